"""Every read of the surveys app, always given the user (scoped through omsportal.scoping)."""
