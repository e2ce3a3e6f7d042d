"""Accounts and security: tokens, session cookies with CSRF, login throttling, roles, and
settings that refuse unsafe defaults."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from switchboard.api import ApiSettings, create_app
from switchboard.store.models import ApiToken
from tests.api.conftest import PASSWORD, World, seed, settings


def _login(world: World, username: str = "acme-admin", password: str = PASSWORD) -> str:
    response = world.client.post("/auth/login", json={"username": username,
                                                       "password": password})
    assert response.status_code == 200, response.text
    csrf: str = response.json()["csrf_token"]
    return csrf


def test_requests_need_credentials(world: World) -> None:
    c = world.client
    anonymous = c.get("/queues")
    assert anonymous.status_code == 401 and anonymous.json()["field"] == "Authorization"
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    forged = c.get("/queues", headers={"Authorization": "Bearer sbt_not-a-real-token"})
    assert forged.status_code == 401
    assert c.get("/queues", headers=world.a.admin.auth).status_code == 200


def test_revoked_token_stops_working(world: World) -> None:
    c, h = world.client, world.a.admin.auth
    made = c.post("/auth/tokens", json={"name": "crm", "expires_in_days": 30}, headers=h)
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("sbt_") and made.json()["prefix"] == token[:12]
    mine = {"Authorization": f"Bearer {token}"}
    assert c.get("/auth/me", headers=mine).json()["username"] == "acme-admin"
    listed = c.get("/auth/tokens", headers=h).json()
    assert token not in str(listed) and listed["total"] == 2
    assert c.delete(f"/auth/tokens/{made.json()['id']}", headers=h).status_code == 204
    assert c.get("/auth/me", headers=mine).status_code == 401


def test_token_use_is_recorded_in_the_background(world: World) -> None:
    world.client.get("/auth/me", headers=world.a.agent.auth)
    assert world.state.flush_token_uses() == 1
    with world.engine.connect() as connection:
        used = connection.execute(ApiToken.__table__.select().where(
            ApiToken.user_id == world.a.agent.user_id)).one()
    assert used.last_used_at is not None


def test_session_cookie_and_csrf(world: World) -> None:
    c = world.client
    response = c.post("/auth/login", json={"username": "acme-admin", "password": PASSWORD})
    cookies = response.headers.get_list("set-cookie")
    session = next(x for x in cookies if x.startswith("sb_session="))
    csrf_cookie = next(x for x in cookies if x.startswith("sb_csrf="))
    assert "HttpOnly" in session and "Secure" in session and "SameSite=lax" in session
    assert "HttpOnly" not in csrf_cookie and "Secure" in csrf_cookie
    csrf = response.json()["csrf_token"]
    assert c.get("/queues").status_code == 200  # safe methods need no CSRF token
    before = world.dump()
    missing = c.post("/skills", json={"name": "french"})
    assert missing.status_code == 403 and missing.json() == {
        "error": "csrf", "field": "X-CSRF-Token",
        "detail": "missing or wrong CSRF token: repeat the sb_csrf cookie in the X-CSRF-Token "
                  "header"}
    wrong = c.post("/skills", json={"name": "french"}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    assert world.dump() == before
    assert c.post("/skills", json={"name": "french"},
                  headers={"X-CSRF-Token": csrf}).status_code == 201
    # the token of one session is useless with another session's cookie
    other = TestClient(world.app, base_url="https://testserver")
    other.post("/auth/login", json={"username": "acme-super", "password": PASSWORD})
    assert other.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 403
    # logging out ends the session at once
    assert c.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    c.cookies.set("sb_session", session.split(";")[0].split("=", 1)[1], domain="testserver")
    assert c.get("/queues").status_code == 401


def test_password_change_ends_sessions(world: World) -> None:
    c = world.client
    _login(world, "acme-agent")
    assert c.get("/auth/me").status_code == 200
    user = c.get(f"/users/{world.a.agent.user_id}", headers=world.a.admin.auth).json()
    changed = c.patch(f"/users/{user['id']}", headers=world.a.admin.auth,
                      json={"version": user["version"], "password": "another long password"})
    assert changed.status_code == 200
    assert c.get("/auth/me").status_code == 401


def test_login_throttling_per_username_and_per_source(world: World) -> None:
    c = world.client
    before = world.dump()
    for _ in range(5):
        wrong = c.post("/auth/login", json={"username": "acme-admin", "password": "nope"})
        assert wrong.status_code == 401 and wrong.json()["field"] == "password"
    blocked = c.post("/auth/login", json={"username": "acme-admin", "password": PASSWORD})
    assert blocked.status_code == 429 and blocked.json()["field"] == "username"
    assert int(blocked.headers["Retry-After"]) > 0
    assert world.dump() == before  # failed logins write nothing
    # other usernames still work from here, until the source's budget (20) is spent
    assert c.post("/auth/login", json={"username": "acme-super",
                                       "password": PASSWORD}).status_code == 200
    for i in range(15):
        c.post("/auth/login", json={"username": f"nobody-{i}", "password": "nope"})
    from_here = c.post("/auth/login", json={"username": "globex-admin", "password": PASSWORD})
    assert from_here.status_code == 429 and from_here.json()["field"] == "source"


def test_unknown_user_and_wrong_password_look_alike(world: World) -> None:
    c = world.client
    unknown = c.post("/auth/login", json={"username": "ghost", "password": "nope"})
    wrong = c.post("/auth/login", json={"username": "acme-admin", "password": "nope"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_roles(world: World) -> None:
    c = world.client
    agent, supervisor, admin = world.a.agent.auth, world.a.supervisor.auth, world.a.admin.auth
    assert c.post("/queues", json={"key": "q"}, headers=agent).status_code == 403
    assert c.post("/queues", json={"key": "q"}, headers=supervisor).status_code == 403
    assert c.post("/queues", json={"key": "q"}, headers=admin).status_code == 201
    assert c.get("/queues", headers=agent).status_code == 200
    assert c.get("/users", headers=agent).status_code == 403
    assert c.get("/tenants", headers=admin).status_code == 403
    assert c.post("/dnc", json={"number": "+15550100"}, headers=agent).status_code == 201
    root = world.root.auth
    needs_tenant = c.get("/queues", headers=root)
    assert needs_tenant.status_code == 422 and needs_tenant.json()["field"] == "X-Tenant"
    assert c.get("/queues", headers={**root, "X-Tenant": "acme"}).json()["total"] == 1
    assert c.get("/tenants", headers=root).json()["total"] == 2
    not_mine = c.get("/queues", headers={**admin, "X-Tenant": "globex"})
    assert not_mine.status_code == 403 and not_mine.json()["field"] == "X-Tenant"


def test_disabled_tenant_locks_its_users_out(world: World) -> None:
    c, root = world.client, world.root.auth
    c.patch(f"/tenants/{world.b.tenant_id}", json={"version": 1, "active": False}, headers=root)
    assert c.get("/queues", headers=world.b.admin.auth).status_code == 401
    assert c.get("/queues", headers=world.a.admin.auth).status_code == 200


def test_settings_refuse_unsafe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWITCHBOARD_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="secret_key: required"):
        ApiSettings()
    with pytest.raises(ValidationError, match="at least 32"):
        ApiSettings.model_validate({"secret_key": "short"})
    with pytest.raises(ValidationError, match="cookie_secure"):
        ApiSettings.model_validate({"secret_key": "k" * 40, "cookie_secure": False})
    with pytest.raises(ValidationError, match="admin_password"):
        ApiSettings.model_validate({"secret_key": "k" * 40, "admin_username": "root",
                                    "admin_password": "short"})
    with pytest.raises(ValidationError, match="colour"):
        ApiSettings.model_validate({"secret_key": "k" * 40, "colour": "red"})
    demo = ApiSettings(demo=True, cookie_secure=False)
    assert demo.secret_key is not None and len(demo.secret()) >= 32
    monkeypatch.setenv("SWITCHBOARD_SECRET_KEY", "e" * 40)
    assert ApiSettings().secret() == b"e" * 40


def test_bootstrap_admin(engine: Engine) -> None:
    app = create_app(settings(admin_username="boss", admin_password="a long boss password"),
                     engine=engine, background=False)
    with TestClient(app, base_url="https://testserver") as c:
        login = c.post("/auth/login", json={"username": "boss",
                                            "password": "a long boss password"})
        assert login.status_code == 200 and login.json()["user"]["role"] == "admin"
    seed(engine)  # a second start with an admin present creates nobody
