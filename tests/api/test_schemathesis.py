"""Property-based tests of the whole API from its OpenAPI document (schemathesis 4).

Every operation gets generated requests (valid and invalid) sent as the tenant admin of
``acme``; responses must never be a 5xx, must use a documented status code and content type,
and must match the documented schema. Examples are bounded (20 per operation).

One app per backend: schemathesis starts an app's lifespan once and keeps it for the process,
so each app gets one database (made, migrated and populated by a module fixture before the
first request), shared by every operation of that backend.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import URL

from switchboard.api import create_app
from switchboard.core.clock import VirtualClock
from switchboard.store.db import create_engine, migrate, normalize_url
from tests.api import conftest
from tests.api.conftest import World, populate, seed
from tests.conftest import PgServer, reset_pg

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
HYPOTHESIS = settings(max_examples=20, deadline=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))

SETTINGS = {backend: conftest.settings() for backend in ("sqlite", "postgresql")}
APPS = {backend: create_app(SETTINGS[backend], background=False) for backend in SETTINGS}


def _schema(backend: str) -> Any:
    app = APPS[backend]
    loaded = schemathesis.openapi.from_dict(app.openapi())
    loaded.app = app
    loaded.location = "/openapi.json"
    return loaded


def _prepare(backend: str, url: URL) -> dict[str, str]:
    """Migrate and populate the backend's database; the headers of acme's tenant admin."""
    engine = create_engine(url)
    migrate(engine)
    a, b, root = seed(engine)
    SETTINGS[backend].database_url = url.render_as_string(hide_password=False)
    with TestClient(APPS[backend], base_url="https://testserver") as client:
        world = World(app=APPS[backend], client=client, engine=engine, clock=VirtualClock(),
                      a=a, b=b, root=root)
        populate(world, a, "aa", "5551")
    engine.dispose()
    return a.admin.auth


@pytest.fixture(scope="module")
def sqlite_api(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    path: Path = tmp_path_factory.mktemp("schemathesis") / "api.db"
    return _prepare("sqlite", normalize_url(f"sqlite:///{path}"))


@pytest.fixture(scope="module")
def postgresql_api(pg_server: PgServer) -> dict[str, str]:
    url = pg_server.require()
    reset_pg(url)
    return _prepare("postgresql", url)


def _run(case: Any, headers: dict[str, str]) -> None:
    case.call_and_validate(headers=headers, checks=CHECKS)


def _test(backend: str) -> Callable[..., None]:
    fixture = f"{backend}_api"

    @_schema(backend).parametrize()  # type: ignore[untyped-decorator]
    @HYPOTHESIS
    def test(case: Any, request: pytest.FixtureRequest) -> None:
        _run(case, request.getfixturevalue(fixture))

    return test  # type: ignore[no-any-return]


test_sqlite_api_conforms = _test("sqlite")
test_postgresql_api_conforms = _test("postgresql")
