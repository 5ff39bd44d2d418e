"""Every write of the surveys app: forms, call lists, calls, reports, appeals."""
