"""``python -m landclean`` runs the command line."""

from landclean.cli import main

main()
