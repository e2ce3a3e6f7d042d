"""Sign in and out (browser sessions), who am I, and one's own API tokens."""

from __future__ import annotations

import secrets
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Request, Response

from switchboard.api.deps import CurrentUser, Db, State
from switchboard.api.errors import NotFound, error_responses
from switchboard.api.schemas.common import MAX_ID, PageOut
from switchboard.api.schemas.users import (
    LoginRequest,
    LoginResult,
    Me,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    TokenQuery,
)
from switchboard.api.security import CSRF_COOKIE, SESSION_COOKIE, password_fingerprint
from switchboard.api.services import audit, tokens
from switchboard.api.services.accounts import authenticate_password
from switchboard.store.models import Agent, Tenant, User

router = APIRouter(prefix="/auth", tags=["Auth"], responses=error_responses(401, 403, 422))

TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="The token's id.")]


def _me(db: Db, user: User) -> Me:
    tenant = db.get(Tenant, user.tenant_id) if user.tenant_id is not None else None
    agent = db.scalars(sa.select(Agent.id).where(Agent.user_id == user.id)).first()
    return Me(id=user.id, username=user.username, role=user.role.value,
              tenant_id=user.tenant_id, tenant=tenant.slug if tenant else None, agent_id=agent)


def _source(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post("/login", response_model=LoginResult, operation_id="login",
             responses=error_responses(429))
def login(request: Request, response: Response, state: State, db: Db,
          body: LoginRequest) -> LoginResult:
    """Start a browser session: sets the HttpOnly session cookie and the CSRF cookie.

    Failed attempts are throttled per username and per source address (429 with
    ``Retry-After``).
    """
    source = _source(request)
    state.throttle.check(body.username, source)
    try:
        user = authenticate_password(db, body.username, body.password)
    except Exception:
        state.throttle.failed(body.username, source)
        raise
    state.throttle.succeeded(body.username)
    session_id = secrets.token_urlsafe(16)
    cookie = state.codec.issue(user.id, session_id, password_fingerprint(user.password_hash))
    csrf = state.codec.csrf_token(session_id)
    secure = state.settings.cookie_secure
    max_age = int(state.settings.session_ttl)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=max_age, httponly=True, secure=secure,
                        samesite="lax", path="/")
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, secure=secure,
                        samesite="lax", path="/")
    audit.record(db, None, action="login", object_type="user", object_id=user.id,
                 tenant_id=user.tenant_id, actor=user.username,
                 after={"source": source, "session": session_id[:6]})
    db.commit()
    return LoginResult(user=_me(db, user), csrf_token=csrf)


@router.post("/logout", status_code=204, response_class=Response, operation_id="logout")
def logout(request: Request, state: State, principal: CurrentUser) -> Response:
    """End the browser session (the cookie stops working at once)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    data = state.codec.read(cookie) if cookie else None
    if data is not None:
        state.codec.revoke(data)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=Me, operation_id="me")
def me(principal: CurrentUser, db: Db) -> Me:
    """Who is signed in (or whose token this is)."""
    user = db.get(User, principal.user_id)
    assert user is not None
    return _me(db, user)


@router.get("/tokens", response_model=PageOut[TokenPublic], operation_id="list_my_tokens")
def list_my_tokens(principal: CurrentUser, db: Db,
                   query: Annotated[TokenQuery, Query()]) -> PageOut[TokenPublic]:
    """Your API tokens."""
    user = db.get(User, principal.user_id)
    assert user is not None
    return tokens.list_tokens(db, user, query)


@router.post("/tokens", response_model=TokenCreated, status_code=201,
             operation_id="create_my_token")
def create_my_token(principal: CurrentUser, db: Db, body: TokenCreate) -> TokenCreated:
    """A new API token for yourself; the token is shown once."""
    user = db.get(User, principal.user_id)
    assert user is not None
    return tokens.create_token(db, principal, user, body)


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response,
               operation_id="revoke_my_token", responses=error_responses(404))
def revoke_my_token(principal: CurrentUser, db: Db, token_id: TokenId) -> Response:
    """Revoke one of your tokens."""
    user = db.get(User, principal.user_id)
    if user is None:
        raise NotFound("no such user")
    tokens.revoke_token(db, principal, user, token_id)
    return Response(status_code=204)
