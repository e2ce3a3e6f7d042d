"""Store fixtures; the database fixtures (``db_url``, ``pg_server``: SQLite and PostgreSQL) are
in ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import URL, Engine

from switchboard.store.db import create_engine, migrate
from tests.conftest import BACKENDS, PgServer

__all__ = ["BACKENDS", "PgServer"]


@pytest.fixture
def empty_engine(db_url: URL) -> Iterator[Engine]:
    """An engine on an empty database."""
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a migrated, empty database."""
    migrate(empty_engine)
    return empty_engine
