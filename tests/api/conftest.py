"""Fixtures: every API test runs on SQLite (a temporary file) and on PostgreSQL.

The database side is shared with the store tests (``tests/conftest.py``): one PostgreSQL
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
from switchboard.store.db import create_engine, migrate
from switchboard.store.models import ApiToken, Role, Tenant, User

SECRET = "test-secret-key-" + "x" * 32
PASSWORD = "correct horse battery"


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


@dataclass
class Objects:
    """One of each object of a tenant, made through the API (ids, keys, numbers)."""

    ids: dict[str, int]
    keys: dict[str, str]


def populate(world: World, users: TenantUsers, prefix: str, digits: str) -> Objects:
    """Make one of each configuration object for ``users``' tenant, through the API.

    Every name and key starts with ``prefix`` and every phone number with ``+1<digits>``, so a
    response leaking them is easy to spot. The agent is linked to the tenant's agent user.
    """
    c, h = world.client, users.admin.auth

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = c.post(path, json=body, headers=h)
        assert response.status_code == 201, (path, response.text)
        data: dict[str, Any] = response.json()
        return data

    ids: dict[str, int] = {}
    keys: dict[str, str] = {}
    keys["skill"] = f"{prefix}-skill"
    ids["skill"] = post("/skills", {"name": keys["skill"]})["id"]
    keys["queue"] = f"{prefix}-support"
    ids["queue"] = post("/queues", {"key": keys["queue"], "skills": {keys["skill"]: 1}})["id"]
    keys["agent"] = f"{prefix}-agent"
    ids["agent"] = post("/agents", {"key": keys["agent"], "extension": digits[:4],
                                    "skills": {keys["skill"]: 5}, "queues": [keys["queue"]],
                                    "user_id": users.agent.user_id})["id"]
    keys["flow"] = f"{prefix}-main"
    ids["ivr_flow"] = post("/ivr-flows", {"name": keys["flow"],
                                          "source": f"greeting: {prefix}-hello\n"})["id"]
    keys["trunk"] = f"{prefix}-carrier"
    ids["trunk"] = post("/trunks", {"name": keys["trunk"], "host": "sip.example.com",
                                    "password": "carrier-secret"})["id"]
    keys["did"] = f"+1{digits}0100"
    ids["did"] = post("/dids", {"number": keys["did"], "entry_kind": "queue",
                                "entry": keys["queue"], "trunk_id": ids["trunk"]})["id"]
    keys["contact_list"] = f"{prefix}-list"
    ids["contact_list"] = post("/contact-lists", {"name": keys["contact_list"],
                                                  "fields": ["plan"]})["id"]
    keys["contact"] = f"{prefix}-contact"
    ids["contact"] = post(f"/contact-lists/{ids['contact_list']}/contacts",
                          {"key": keys["contact"], "number": f"+1{digits}0200",
                           "custom": {"plan": f"{prefix}-gold"}})["id"]
    keys["campaign"] = f"{prefix}-campaign"
    ids["campaign"] = post("/campaigns", {"key": keys["campaign"], "queue_id": ids["queue"],
                                          "list_id": ids["contact_list"]})["id"]
    keys["disposition"] = f"{prefix}-sale"
    ids["disposition"] = post("/dispositions", {"code": keys["disposition"], "success": True,
                                                "campaign_id": ids["campaign"]})["id"]
    keys["dnc"] = f"+1{digits}0300"
    ids["dnc_entry"] = post("/dnc", {"number": keys["dnc"], "source": f"{prefix}-request"})["id"]
    keys["callback"] = f"+1{digits}0400"
    ids["callback"] = post("/callbacks", {"number": keys["callback"], "queue_id": ids["queue"],
                                          "agent_id": ids["agent"]})["id"]
    ids["webhook"] = post("/webhooks", {"url": f"http://127.0.0.1:9/{prefix}-hook",
                                        "secret": f"{prefix}-secret-0123456789"})["id"]
    ids["user"] = users.agent.user_id
    ids["tenant"] = users.tenant_id
    return Objects(ids, keys)
