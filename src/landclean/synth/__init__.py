"""Synthetic Đắk Lắk: source files as the field has them, plus ground truth."""
