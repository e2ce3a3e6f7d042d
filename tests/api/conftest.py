"""Fixtures: every API test runs on SQLite (a temporary file) and on PostgreSQL.

The database side reuses the store's approach (``tests/store/conftest.py``): one PostgreSQL
database per session on ``SWITCHBOARD_TEST_PG_URL``, emptied for each test; unreachable, the
PostgreSQL tests are skipped, or fail when ``CI`` is set. On top, :func:`world` starts the app
(lifespan included) on a migrated database holding two tenants, ``acme`` and ``globex``, each
with a tenant admin, a supervisor and an agent user, an API token for each, and a platform
admin. The app's centers run on a virtual clock; nothing runs in the background (tests drive
the timers, the interactions and the webhooks by hand).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from switchboard.api import ApiSettings, create_app
from switchboard.api.state import AppState
from switchboard.core.clock import VirtualClock
from switchboard.store.credentials import hash_password, new_token
from switchboard.store.db import create_engine, migrate, normalize_url
from switchboard.store.models import ApiToken, Role, Tenant, User
from tests.store.conftest import BACKENDS, PgServer

SECRET = "test-secret-key-" + "x" * 32
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer()
    server.start()
    yield server
    server.stop()


def _reset_pg(url: URL) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_server: PgServer) -> URL:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return normalize_url(f"sqlite:///{tmp_path / 'api.db'}")
    url = pg_server.require()
    _reset_pg(url)
    return url


@pytest.fixture
def engine(db_url: URL) -> Iterator[Engine]:
    """An engine on a migrated, empty database."""
    engine = create_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


@dataclass
class Actor:
    """A user and their API token."""

    user_id: int
    username: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        """Headers authenticating as this user."""
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class TenantUsers:
    tenant_id: int
    slug: str
    admin: Actor
    supervisor: Actor
    agent: Actor


@dataclass
class World:
    """The running app, its database, two tenants and a platform admin."""

    app: FastAPI
    client: TestClient
    engine: Engine
    clock: VirtualClock
    a: TenantUsers
    b: TenantUsers
    root: Actor
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.switchboard
        return state

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, for before/after comparisons."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        meta = sa.MetaData()
        meta.reflect(self.engine)
        with self.engine.connect() as connection:
            for table in meta.sorted_tables:
                rows = connection.execute(sa.select(table)).all()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
        return out


def _actor(session: Session, username: str, role: Role, tenant_id: int | None,
           password_hash: str) -> Actor:
    user = User(username=username, role=role, tenant_id=tenant_id, password_hash=password_hash)
    session.add(user)
    session.flush()
    token, prefix, token_hash = new_token()
    session.add(ApiToken(user_id=user.id, name="test", prefix=prefix, token_hash=token_hash))
    return Actor(user.id, username, token)


def seed(engine: Engine) -> tuple[TenantUsers, TenantUsers, Actor]:
    """Two tenants with a user of each role, and a platform admin."""
    hashed = hash_password(PASSWORD)
    with Session(engine) as session:
        tenants = []
        for slug in ("acme", "globex"):
            tenant = Tenant(slug=slug, name=slug.title())
            session.add(tenant)
            session.flush()
            tenants.append(TenantUsers(
                tenant.id, slug,
                _actor(session, f"{slug}-admin", Role.TENANT_ADMIN, tenant.id, hashed),
                _actor(session, f"{slug}-super", Role.SUPERVISOR, tenant.id, hashed),
                _actor(session, f"{slug}-agent", Role.AGENT, tenant.id, hashed)))
        root = _actor(session, "root", Role.ADMIN, None, hashed)
        session.commit()
    return tenants[0], tenants[1], root


def settings(**overrides: Any) -> ApiSettings:
    """Production-like settings (not demo) for tests."""
    values: dict[str, Any] = {"secret_key": SECRET, "migrate": False,
                              "webhook_allow_private": True, "webhook_backoff": 10.0,
                              "webhook_max_attempts": 3}
    values.update(overrides)
    return ApiSettings(**values)


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    """The app running on a seeded database (see the module docstring)."""
    a, b, root = seed(engine)
    clock = VirtualClock(1_000.0)
    app = create_app(settings(), engine=engine, clock=clock, background=False)
    with TestClient(app, base_url="https://testserver") as client:
        yield World(app=app, client=client, engine=engine, clock=clock, a=a, b=b, root=root)


def unique_name(prefix: str) -> str:
    """A fresh identifier."""
    return f"{prefix}-{secrets.token_hex(3)}"
