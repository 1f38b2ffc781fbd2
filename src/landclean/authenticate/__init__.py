"""Authenticate land users against the population registry."""
