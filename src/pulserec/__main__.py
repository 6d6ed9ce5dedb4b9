"""``python -m pulserec`` runs the CLI."""

from pulserec.cli.main import main

main()
