"""Standardization: automatic, logged fixes of values (names, codes) in canonical tables."""
