"""Reads of screening data, one module per area; every read takes the user and is scoped (omsportal.scoping)."""
