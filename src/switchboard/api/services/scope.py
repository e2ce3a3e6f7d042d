"""Tenant isolation, in one place.

A :class:`TenantScope` is what every tenant-owned read and write goes through: it knows how each
table belongs to a tenant (a ``tenant_id`` column, a parent row that has one, or the tenant's
slug for the event log and the interactions), adds that condition to every query, and turns
an id of another tenant's object into the same 404 (or 422 for a reference inside a body) as
an id that does not exist, so nothing leaks. Handlers never write a tenant condition
themselves.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from switchboard.api.errors import Invalid, NotFound
from switchboard.api.security import Principal
from switchboard.store import models as m

__all__ = ["TenantScope", "owned"]

T = TypeVar("T")


def owned(model: type[Any], tenant_id: int, slug: str) -> sa.ColumnElement[bool]:
    """The condition that keeps ``model``'s rows of one tenant."""
    if model is m.Contact:
        return m.Contact.list_id.in_(
            sa.select(m.ContactList.id).where(m.ContactList.tenant_id == tenant_id))
    if model is m.WebhookDelivery:
        return m.WebhookDelivery.webhook_id.in_(
            sa.select(m.Webhook.id).where(m.Webhook.tenant_id == tenant_id))
    if model is m.ApiToken:
        return m.ApiToken.user_id.in_(sa.select(m.User.id).where(m.User.tenant_id == tenant_id))
    if model is m.Interaction:
        return m.Interaction.tenant == slug
    if model is m.EventRecord:
        return m.EventRecord.tenant == slug
    column = getattr(model, "tenant_id", None)
    if column is None:
        raise TypeError(f"{model.__name__} has no tenant ownership rule")
    return column == tenant_id  # type: ignore[no-any-return]


class TenantScope:
    """One request's view of one tenant: every query and reference goes through it."""

    def __init__(self, session: Session, principal: Principal, tenant: m.Tenant) -> None:
        self.session = session
        self.principal = principal
        self.tenant = tenant
        self.tenant_id = tenant.id
        self.slug = tenant.slug
        self.allow_private_urls = False
        """Whether webhook URLs may name local or private addresses (settings)."""

    def where(self, model: type[Any]) -> sa.ColumnElement[bool]:
        """The tenant condition for ``model``."""
        return owned(model, self.tenant_id, self.slug)

    def select(self, model: type[T]) -> sa.Select[T]:
        """``SELECT model`` restricted to this tenant."""
        return sa.select(model).where(self.where(model))

    def count(self, query: sa.Select[Any]) -> int:
        """The number of rows ``query`` returns (for paging totals)."""
        total = self.session.scalar(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        return int(total or 0)

    def find(self, model: type[T], object_id: int) -> T | None:
        """The tenant's ``model`` row with this id, or None (also for another tenant's)."""
        pk = sa.inspect(model).primary_key[0]
        return self.session.scalars(self.select(model).where(pk == object_id)).first()

    def get(self, model: type[T], object_id: int, *, field: str, what: str) -> T:
        """The tenant's row, or 404 naming ``field`` (the same for another tenant's row)."""
        found = self.find(model, object_id)
        if found is None:
            raise NotFound(f"no {what} {object_id}", field=field)
        return found

    def ref(self, model: type[T], object_id: int, *, field: str, what: str) -> T:
        """A row a request body refers to, or 422 naming ``field`` (other tenants' included)."""
        found = self.find(model, object_id)
        if found is None:
            raise Invalid(f"no {what} {object_id}", field=field, error="unknown_reference")
        return found

    def by(self, model: type[T], column: Any, value: Any) -> T | None:
        """The tenant's row whose ``column`` equals ``value``, or None."""
        return self.session.scalars(self.select(model).where(column == value)).first()

    def ref_by(self, model: type[T], column: Any, value: Any, *, field: str, what: str) -> T:
        """A row a request body names by a key (a queue key, a skill name), or 422."""
        found = self.by(model, column, value)
        if found is None:
            raise Invalid(f"no {what} {value!r}", field=field, error="unknown_reference")
        return found

    def adopt(self, obj: Any) -> None:
        """Make a new row the tenant's."""
        obj.tenant_id = self.tenant_id
