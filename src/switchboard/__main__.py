"""`python -m switchboard` runs the command line."""

from switchboard.cli import main

main()
