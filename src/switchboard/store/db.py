"""Engines and migrations.

:func:`create_engine` builds an engine from a URL: a SQLite file by default, PostgreSQL when the
URL says so (``postgresql://user@host/db``; the psycopg 3 driver is chosen). The caller reads
``SWITCHBOARD_DATABASE_URL`` (see :data:`URL_ENV`) and passes it in; nothing here reads the
environment at import time.

SQLite connections are set up for a durable log: write-ahead logging (readers do not block the
writer), ``synchronous=FULL`` (a commit is on disk when it returns, even after a power cut),
foreign keys enforced, and a busy timeout so that a second process waits for the write lock
instead of failing at once.

:func:`migrate` runs the Alembic migrations shipped inside the package
(``switchboard/store/migrations``), so an installed package needs no ``alembic.ini``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from switchboard.store.errors import SchemaError

__all__ = [
    "DEFAULT_URL",
    "URL_ENV",
    "alembic_config",
    "check_schema",
    "create_engine",
    "current_revision",
    "downgrade",
    "head_revision",
    "migrate",
    "normalize_url",
    "session_factory",
]

URL_ENV = "SWITCHBOARD_DATABASE_URL"
"""The environment variable the CLI and the API read the database URL from."""

DEFAULT_URL = "sqlite:///switchboard.db"
"""A SQLite file in the working directory."""

SQLITE_BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite connection waits for another writer's lock before failing."""

MIGRATIONS = Path(__file__).with_name("migrations")


def normalize_url(url: str | URL | None) -> URL:
    """The URL to connect to: :data:`DEFAULT_URL` if None, psycopg 3 for bare PostgreSQL URLs."""
    parsed = make_url(url if url is not None else DEFAULT_URL)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def create_engine(url: str | URL | None = None, *, echo: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url`` (a SQLite file by default); see the module docstring.

    Extra keyword arguments go to :func:`sqlalchemy.create_engine`.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database not in ("", ":memory:") and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, echo=echo, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, echo=echo, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration for the package's migrations (no ``alembic.ini`` needed).

    With ``engine``, Alembic's ``env.py`` runs on it instead of reading a URL.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema of ``engine``'s database to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema of ``engine``'s database to ``revision`` (``"base"``: empty)."""
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with the package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaError` unless the database is at the package's newest revision."""
    current = current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaError(
            f"database {engine.url.render_as_string(hide_password=True)} is at revision "
            f"{current or '(empty)'}, the code needs {head}: run the migrations "
            "(switchboard.store.db.migrate)")
