"""``python -m pulserec`` runs the CLI."""

from pulserec.cli import main

main()
