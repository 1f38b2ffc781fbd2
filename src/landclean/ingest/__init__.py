"""Readers and column-mapping profiles for the layouts provinces hold."""
