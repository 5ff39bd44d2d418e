"""Reads of register data, always for a given user and through omsportal.scoping."""
