"""`switchboard config load|export`: keep a center's configuration as YAML (in git, say)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from switchboard.core.errors import ConfigError
from switchboard.store.errors import StoreError

config_app = typer.Typer(help="Load a configuration directory into the store, or export it.",
                         no_args_is_help=True)

Database = Annotated[str | None, typer.Option(
    help="Database URL (default: SWITCHBOARD_DATABASE_URL, else sqlite:///data/switchboard.db).")]


def _engine(database: str | None):  # type: ignore[no-untyped-def]
    from switchboard.store.db import URL_ENV, create_engine, migrate

    url = database or os.environ.get(URL_ENV) or "sqlite:///data/switchboard.db"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    migrate(engine)
    return engine


@config_app.command("load")
def load_command(directory: Annotated[Path, typer.Argument(help="Configuration directory.")],
                 tenant: Annotated[str, typer.Option(help="The tenant it is for.")] = "default",
                 database: Database = None) -> None:
    """Validate a configuration directory and write it to the store (all or nothing)."""
    from switchboard.store.config import load_config

    engine = _engine(database)
    try:
        summary = load_config(engine, directory, tenant=tenant)
    except (ConfigError, StoreError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"loaded {directory} for tenant {tenant}: {summary}")


@config_app.command("export")
def export_command(directory: Annotated[Path, typer.Argument(help="Where to write.")],
                   tenant: Annotated[str, typer.Option(help="The tenant to export.")]
                   = "default", database: Database = None) -> None:
    """Write a tenant's configuration as a directory that `config load` reads back."""
    from switchboard.store.config import export_config

    engine = _engine(database)
    try:
        written = export_config(engine, tenant, directory)
    except StoreError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    for path in written:
        typer.echo(str(path))
