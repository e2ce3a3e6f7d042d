"""Tenants (platform admins only)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from switchboard.api.schemas.common import Body, Clean, Label, ListQuery, Stamped, keep

Slug = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                        pattern=r"^[a-z0-9][a-z0-9-]{0,63}$"), Clean]


class TenantCreate(Body):
    slug: Slug
    """The tenant string events carry; cannot change later."""
    name: Label = ""
    active: bool = True
    sip_realm: Label = ""


class TenantUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    """The version this change is based on (from the last read)."""
    name: Label = keep()
    active: bool = keep()
    sip_realm: Label = keep()


class TenantPublic(Stamped):
    id: int
    slug: str
    name: str
    active: bool
    sip_realm: str


class TenantQuery(ListQuery):
    slug: Slug | None = None
    active: bool | None = None
