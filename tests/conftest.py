"""Shared fixtures: the store and API tests run on SQLite (a temporary file) and on PostgreSQL.

The PostgreSQL side creates one database per test session, ``switchboard_test_<random>``, on the
server named by ``SWITCHBOARD_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/
postgres``), and drops it at the end. Each test gets an empty, migrated schema. When the server
cannot be reached, the PostgreSQL tests fail with a clear message if ``CI`` is set, and are
skipped otherwise.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from switchboard.store.db import normalize_url

PG_URL_ENV = "SWITCHBOARD_TEST_PG_URL"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


class PgServer:
    """The PostgreSQL test database of this session, or why there is none."""

    def __init__(self) -> None:
        self.admin_url = normalize_url(os.environ.get(PG_URL_ENV, PG_DEFAULT))
        self.url: URL | None = None
        self.error = ""

    def start(self) -> None:
        name = f"switchboard_test_{secrets.token_hex(4)}"
        try:
            admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            admin.dispose()
        except sa.exc.OperationalError as exc:
            where = self.admin_url.render_as_string(hide_password=True)
            self.error = (f"PostgreSQL is unreachable at {where} (set {PG_URL_ENV} to "
                          f"another server): {str(exc.orig).strip()}")
            return
        self.url = self.admin_url.set(database=name)

    def stop(self) -> None:
        if self.url is None:
            return
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f'DROP DATABASE IF EXISTS "{self.url.database}" WITH (FORCE)')
        admin.dispose()

    def require(self) -> URL:
        """The database URL; fails (CI) or skips the test when there is no server."""
        if self.url is None:
            if os.environ.get("CI"):
                pytest.fail(self.error, pytrace=False)
            pytest.skip(self.error)
        return self.url


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    server.start()
    yield server
    server.stop()


def reset_pg(url: URL) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_server: PgServer) -> URL:
    """An empty database (no tables) on each backend."""
    if request.param == "sqlite":
        return normalize_url(f"sqlite:///{tmp_path / 'test.db'}")
    url = pg_server.require()
    reset_pg(url)
    return url


