"""Vietnamese domain knowledge as pure functions and data files."""
