"""The `switchboard` command line: serve, simulate, staff."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="switchboard",
    help="Switchboard: an open-source contact-center platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def version() -> None:
    """Print the version."""
    from switchboard import __version__

    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
