"""Accounts: who a request is (session cookie or API token), logins, tokens, the first admin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from switchboard.api.errors import Forbidden, Unauthorized
from switchboard.api.security import Principal
from switchboard.api.services import audit
from switchboard.store.credentials import (
    hash_password,
    hash_token,
    password_needs_rehash,
    verify_password,
)
from switchboard.store.models import ApiToken, Role, Tenant, User, utcnow

__all__ = ["authenticate_password", "ensure_admin", "principal_for_token", "principal_for_user",
           "record_token_uses"]

_DUMMY_HASH = hash_password("switchboard-timing-equaliser")
"""Verified against when the user does not exist, so a wrong username costs as much time as a
wrong password (no user enumeration by timing)."""


def _usable(session: Session, user: User) -> bool:
    if not user.active:
        return False
    if user.tenant_id is None:
        return user.role is Role.ADMIN
    tenant = session.get(Tenant, user.tenant_id)
    return tenant is not None and tenant.active


def principal_for_user(session: Session, user_id: int, via: str) -> Principal | None:
    """The principal of an active user (of an active tenant), or None."""
    user = session.get(User, user_id)
    if user is None or not _usable(session, user):
        return None
    return Principal(user_id=user.id, username=user.username, role=user.role,
                     tenant_id=user.tenant_id, via=via)


def principal_for_token(session: Session, token: str,
                        used: Callable[[int], None] | None = None) -> Principal:
    """The principal an API token stands for; 401 if unknown, revoked or expired.

    ``used(token_id)`` is told of the use (the app records ``last_used_at`` in the background:
    writing it inside the request would hold SQLite's write lock for the whole request).
    """
    row = session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token))
                          ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or (
            row.expires_at is not None and _aware(row.expires_at) <= now):
        raise Unauthorized("the API token is unknown, revoked or expired", field="Authorization")
    principal = principal_for_user(session, row.user_id, "token")
    if principal is None:
        raise Unauthorized("the token's user is disabled", field="Authorization")
    if used is not None:
        used(row.id)
    return principal


def record_token_uses(session: Session, uses: dict[int, dt.datetime]) -> None:
    """Write the tokens' last use times."""
    for token_id, at in uses.items():
        session.execute(sa.update(ApiToken).where(ApiToken.id == token_id)
                        .values(last_used_at=at))
    session.commit()


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def authenticate_password(session: Session, username: str, password: str) -> User:
    """The user with these credentials (rehashing an outdated hash); 401 otherwise."""
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("wrong username or password", field="password")
    if not verify_password(user.password_hash, password):
        raise Unauthorized("wrong username or password", field="password")
    if not _usable(session, user):
        raise Forbidden("this account is disabled", field="username")
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def ensure_admin(session: Session, username: str, password: str) -> bool:
    """Create the platform admin ``username`` unless a platform admin exists; True if created."""
    exists = session.scalars(sa.select(User.id).where(User.role == Role.ADMIN).limit(1)).first()
    if exists is not None:
        return False
    user = User(username=username, role=Role.ADMIN, tenant_id=None,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, None, action="create", object_type="user", object_id=user.id,
                 actor="bootstrap", after={"username": username, "role": "admin"})
    session.commit()
    return True
