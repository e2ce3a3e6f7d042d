"""The `switchboard` command line: serve, simulate, staff."""

from __future__ import annotations

import typer

from switchboard.cli.config import config_app
from switchboard.cli.serve import serve_command
from switchboard.cli.simulate import simulate_command
from switchboard.cli.staff import staff_command

app = typer.Typer(
    name="switchboard",
    help="Switchboard: an open-source contact-center platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve_command)
app.command("simulate")(simulate_command)
app.command("staff")(staff_command)
app.add_typer(config_app, name="config")


@app.command()
def version() -> None:
    """Print the version."""
    from switchboard import __version__

    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
