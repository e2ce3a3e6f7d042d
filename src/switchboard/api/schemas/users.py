"""Users, API tokens and logins."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from switchboard.api.schemas.common import (
    Body,
    Clean,
    Label,
    ListQuery,
    Public,
    Stamped,
    UtcDateTime,
    keep,
)
from switchboard.api.settings import MIN_PASSWORD

Username = Annotated[str, StringConstraints(min_length=1, max_length=200,
                                            pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,199}$"),
                     Clean]
Password = Annotated[str, StringConstraints(min_length=MIN_PASSWORD, max_length=200), Clean]
Email = Annotated[str, StringConstraints(max_length=320,
                                         pattern=r"^$|^[^@\s]{1,64}@[^@\s]{1,255}$"), Clean]
TenantRole = Literal["tenant_admin", "supervisor", "agent"]
"""Roles a tenant's users may have (platform admins are made with ``ensure_admin``)."""


class UserCreate(Body):
    username: Username
    """Unique across the platform; the login name."""
    email: Email = ""
    role: TenantRole
    password: Password
    """12 to 200 characters; stored as an argon2id hash, never shown."""
    active: bool = True


class UserUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    email: Email = keep()
    role: TenantRole = keep()
    password: Password = keep()
    """A new password ends the user's browser sessions."""
    active: bool = keep()


class UserPublic(Stamped):
    id: int
    tenant_id: int | None
    username: str
    email: str
    role: str
    active: bool


class UserQuery(ListQuery):
    role: TenantRole | None = None
    active: bool | None = None
    username: Username | None = None


class TokenCreate(Body):
    name: Label = ""
    """What the token is for (``crm-integration``)."""
    expires_in_days: int | None = keep(ge=1, le=3650)
    """None: the token does not expire (revoke it when done)."""


class TokenPublic(Public):
    id: int
    user_id: int
    name: str
    prefix: str
    """The token's first characters, to recognise it."""
    created_at: UtcDateTime
    expires_at: UtcDateTime | None
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None


class TokenCreated(TokenPublic):
    token: str
    """The token itself: shown only in this response. Send it as ``Authorization: Bearer``."""


class TokenQuery(ListQuery):
    pass


class LoginRequest(Body):
    username: Annotated[str, StringConstraints(min_length=1, max_length=200), Clean]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200), Clean]


class Me(Public):
    id: int
    username: str
    role: str
    tenant_id: int | None
    tenant: str | None
    """The tenant's slug (None for a platform admin)."""
    agent_id: int | None
    """The agent this user works as, if any."""


class LoginResult(Body):
    user: Me
    csrf_token: str
    """Send it back in the ``X-CSRF-Token`` header on POST, PATCH, PUT and DELETE."""
