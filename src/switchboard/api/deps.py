"""The API's dependencies, as ``Annotated[..., Depends()]`` aliases, all in one place.

* :data:`State` — the app's services (built in ``lifespan``).
* :data:`Db` — a session per request: committed by the service that changes something, rolled
  back on any error (a refused request leaves the database as it was).
* :data:`CurrentUser` — who is calling: an API token (``Authorization: Bearer``) or a session
  cookie (then unsafe methods need the CSRF header).
* :data:`AdminUser` — a platform admin.
* :data:`MemberScope`, :data:`SupervisorScope`, :data:`ManagerScope` — a
  :class:`~switchboard.api.services.scope.TenantScope` for a user with at least that role; a
  platform admin names the tenant in the ``X-Tenant`` header.
* :data:`ControlDep`, :data:`SupervisionDep` — call control over the tenant's live center.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Header
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection, Request

from switchboard.api.errors import Forbidden, Invalid, NotFound, Unauthorized, Unavailable
from switchboard.api.security import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    UNSAFE_METHODS,
    Principal,
    password_fingerprint,
)
from switchboard.api.services.accounts import principal_for_token, principal_for_user
from switchboard.api.services.control import Control
from switchboard.api.services.scope import TenantScope
from switchboard.api.state import AppState
from switchboard.store.models import Role, Tenant, User

__all__ = [
    "AdminUser",
    "ControlDep",
    "CurrentUser",
    "Db",
    "ManagerScope",
    "MemberScope",
    "State",
    "SupervisionDep",
    "SupervisorScope",
    "TenantHeader",
    "authenticate",
    "scope_for",
]

MEMBERS = frozenset(Role)
SUPERVISORS = frozenset({Role.ADMIN, Role.TENANT_ADMIN, Role.SUPERVISOR})
MANAGERS = frozenset({Role.ADMIN, Role.TENANT_ADMIN})


def get_state(connection: HTTPConnection) -> AppState:
    """The app's services."""
    state: AppState = connection.app.state.switchboard
    return state


State = Annotated[AppState, Depends(get_state)]


def get_db(state: State) -> Iterator[Session]:
    """A session for one request; rolled back on error, small bookkeeping committed."""
    session = state.sessions()
    try:
        yield session
        if session.dirty or session.new or session.deleted:
            session.commit()  # e.g. a token's last use; services commit their own work
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


Db = Annotated[Session, Depends(get_db)]

bearer_scheme = HTTPBearer(auto_error=False, scheme_name="token",
                           description="An API token (`sbt_...`) for integrations.")
cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, scheme_name="session",
                             description="A browser session (from `POST /auth/login`); unsafe "
                                         f"methods need the `{CSRF_HEADER}` header.")


def authenticate(state: AppState, db: Session, *, method: str, token: str | None,
                 cookie: str | None, csrf_header: str | None,
                 csrf_cookie: str | None) -> Principal:
    """The principal behind a token or a session cookie (checking CSRF for unsafe methods)."""
    if token is not None:
        return principal_for_token(db, token, state.token_used)
    if cookie is None:
        raise Unauthorized("sign in (session cookie) or send an API token",
                           field="Authorization", headers={"WWW-Authenticate": "Bearer"})
    data = state.codec.read(cookie)
    user = db.get(User, data.user_id) if data is not None else None
    if data is None or user is None or \
            password_fingerprint(user.password_hash) != data.fingerprint:
        raise Unauthorized("the session has expired; sign in again", field=SESSION_COOKIE)
    principal = principal_for_user(db, user.id, "session")
    if principal is None:
        raise Unauthorized("this account is disabled", field=SESSION_COOKIE)
    if method in UNSAFE_METHODS and not state.codec.check_csrf(data.session_id, csrf_header,
                                                               csrf_cookie):
        raise Forbidden(f"missing or wrong CSRF token: repeat the {CSRF_COOKIE} cookie in the "
                        f"{CSRF_HEADER} header", field=CSRF_HEADER, error="csrf")
    return principal


def get_principal(request: Request, state: State, db: Db,
                  credentials: Annotated[HTTPAuthorizationCredentials | None,
                                         Depends(bearer_scheme)],
                  cookie: Annotated[str | None, Depends(cookie_scheme)]) -> Principal:
    """Who is calling (401 if nobody)."""
    token = credentials.credentials if credentials is not None else None
    return authenticate(state, db, method=request.method, token=token, cookie=cookie,
                        csrf_header=request.headers.get(CSRF_HEADER),
                        csrf_cookie=request.cookies.get(CSRF_COOKIE))


CurrentUser = Annotated[Principal, Depends(get_principal)]


def require_admin(principal: CurrentUser) -> Principal:
    """A platform admin, or 403."""
    if not principal.is_admin:
        raise Forbidden("only a platform admin may do this")
    return principal


AdminUser = Annotated[Principal, Depends(require_admin)]

TenantHeader = Annotated[str | None, Header(
    alias="X-Tenant", min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$",
    description="The tenant's slug: required for a platform admin on tenant resources; "
                "others may omit it (it must name their own tenant).")]


def tenant_scope(principal: Principal, db: Session, x_tenant: str | None,
                 roles: frozenset[Role]) -> TenantScope:
    """The scope of ``principal`` (who must have one of ``roles``) in their tenant."""
    if principal.role not in roles:
        raise Forbidden(f"a {principal.role.value} may not do this")
    if principal.is_admin:
        if x_tenant is None:
            raise Invalid("a platform admin names the tenant in the X-Tenant header",
                          field="X-Tenant", error="tenant_required")
        tenant = db.scalars(sa.select(Tenant).where(Tenant.slug == x_tenant)).first()
        if tenant is None:
            raise NotFound(f"no tenant {x_tenant!r}", field="X-Tenant")
        return TenantScope(db, principal, tenant)
    assert principal.tenant_id is not None
    own = db.get(Tenant, principal.tenant_id)
    assert own is not None  # principal_for_user checked it is active
    if x_tenant is not None and x_tenant != own.slug:
        raise Forbidden("X-Tenant must name your own tenant", field="X-Tenant")
    return TenantScope(db, principal, own)


@cache
def scope_for(roles: frozenset[Role]) -> Callable[..., TenantScope]:
    """A dependency giving the caller's tenant scope, for callers with one of ``roles``."""

    def dependency(principal: CurrentUser, db: Db, state: State,
                   x_tenant: TenantHeader = None) -> TenantScope:
        scope = tenant_scope(principal, db, x_tenant, roles)
        scope.allow_private_urls = state.settings.webhook_allow_private or state.settings.demo
        return scope

    return dependency


MemberScope = Annotated[TenantScope, Depends(scope_for(MEMBERS))]
SupervisorScope = Annotated[TenantScope, Depends(scope_for(SUPERVISORS))]
ManagerScope = Annotated[TenantScope, Depends(scope_for(MANAGERS))]


def get_control(scope: MemberScope, state: State) -> Control:
    """Call control for the caller's tenant (503 when the app runs no live center)."""
    if state.centers is None:
        raise Unavailable("this server runs no live contact center")
    return Control(scope=scope, centers=state.centers)


def get_supervision(scope: SupervisorScope, state: State) -> Control:
    """Call control with a supervisor's rights (force state, monitoring, live lists)."""
    return get_control(scope, state)


ControlDep = Annotated[Control, Depends(get_control)]
SupervisionDep = Annotated[Control, Depends(get_supervision)]
