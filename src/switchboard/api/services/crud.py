"""Generic create / read / update / delete of a tenant's configuration rows.

A :class:`Resource` describes one table to the API: its schemas, how a validated body is
written to a row (``apply``, which resolves references through the tenant scope), which
columns must be unique, and how rows are shown. The functions here do the rest the same way for
every resource: tenant scoping (through :class:`~switchboard.api.services.scope.TenantScope`),
uniqueness checks that name the field, optimistic locking on the ``version`` column, an audit
entry in the same transaction, and a commit only when everything succeeded (a refused request
leaves the database as it was).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from switchboard.api.errors import (
    Conflict,
    Invalid,
    NotFound,
    PreconditionFailed,
    VersionConflict,
)
from switchboard.api.services import audit
from switchboard.api.services.scope import TenantScope
from switchboard.store.models import Role, Versioned, utcnow

__all__ = ["Page", "Resource", "check_version", "create", "delete", "get", "list_page",
           "parse_if_match", "refuse_nulls", "update"]

M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class Page(Generic[M]):
    """One page of rows and the total across pages."""

    items: list[M]
    total: int
    limit: int
    offset: int


Apply = Callable[[TenantScope, Any, dict[str, Any], bool], bool]
"""``apply(scope, row, values, creating)`` writes validated values; returns True when it
changed a relationship only (so the row's version must move anyway)."""


@dataclass(frozen=True, kw_only=True)
class Resource(Generic[M]):
    """One table as the API shows it."""

    name: str
    """Singular name, for messages and the audit log (``queue``)."""
    path: str
    """Collection path (``/queues``)."""
    model: type[M]
    public: type[BaseModel]
    create: type[BaseModel]
    update: type[BaseModel] | None
    filters: type[BaseModel]
    """Query model: ``limit``, ``offset`` and equality filters named after columns."""
    present: Callable[[Any], BaseModel]
    apply: Apply
    unique: Sequence[str] = ()
    """Columns unique within the tenant."""
    unique_global: Sequence[str] = ()
    """Columns unique across tenants (a phone number belongs to one tenant)."""
    read_roles: frozenset[Role] = frozenset(Role)
    write_roles: frozenset[Role] = frozenset({Role.ADMIN, Role.TENANT_ADMIN})
    options: Sequence[ORMOption] = ()
    """Loader options (eager loading of the relationships ``present`` reads)."""
    filter_map: dict[str, Callable[[Any], sa.ColumnElement[bool]]] = field(default_factory=dict)
    """Filters that are not a plain column equality."""
    order: Callable[[], tuple[Any, ...]] | None = None
    """The ORDER BY columns of a page (default: the primary key)."""
    after_create: Callable[[Any, Any], None] | None = None
    """``after_create(state, row)`` once committed (the live center learns of new rows)."""
    before_delete: Callable[[TenantScope, Any], None] | None = None
    """Raise to refuse a deletion (a row still referenced), naming the field."""

    @property
    def id_param(self) -> str:
        """The path parameter naming one row (``queue_id``)."""
        return f"{self.name}_id"

    @property
    def versioned(self) -> bool:
        """Whether the table has optimistic locking."""
        return issubclass(self.model, Versioned)


def snapshot(resource: Resource[Any], row: Any) -> dict[str, Any]:
    """The row as the API shows it, JSON-able (for the audit log)."""
    return resource.present(row).model_dump(mode="json")


def _pk(resource: Resource[Any]) -> Any:
    return sa.inspect(resource.model).primary_key[0]


def list_page(scope: TenantScope, resource: Resource[M], query: BaseModel,
              base: sa.Select[Any] | None = None) -> Page[M]:
    """One page of the tenant's rows matching the filters in ``query``."""
    values = query.model_dump(exclude_none=True)
    limit = int(values.pop("limit"))
    offset = int(values.pop("offset"))
    select = base if base is not None else scope.select(resource.model)
    for name, value in values.items():
        custom = resource.filter_map.get(name)
        select = select.where(custom(value) if custom is not None
                              else getattr(resource.model, name) == value)
    total = scope.count(select)
    order = resource.order() if resource.order is not None else (_pk(resource),)
    rows = scope.session.scalars(
        select.options(*resource.options).order_by(*order).limit(limit).offset(offset)).all()
    return Page(items=list(rows), total=total, limit=limit, offset=offset)


def get(scope: TenantScope, resource: Resource[M], object_id: int) -> M:
    """The tenant's row, or 404 naming the path parameter."""
    row = scope.session.scalars(
        scope.select(resource.model).where(_pk(resource) == object_id)
        .options(*resource.options)).first()
    if row is None:
        raise NotFound(f"no {resource.name} {object_id}", field=resource.id_param)
    return row


def refuse_nulls(model: type[Any], values: dict[str, Any]) -> None:
    """422 naming the field when a PATCH sets a non-nullable column to null."""
    columns = sa.inspect(model).columns
    for name, value in values.items():
        column = columns.get(name)
        if value is None and column is not None and not column.nullable:
            raise Invalid(f"{name} must not be null", field=name)


def check_unique(scope: TenantScope, resource: Resource[Any], row: Any,
                 values: dict[str, Any]) -> None:
    """409 naming the field when a unique value is taken (by this tenant, or globally)."""
    session: Session = scope.session
    model: Any = resource.model
    checks = [(name, True) for name in resource.unique] + \
        [(name, False) for name in resource.unique_global]
    with session.no_autoflush:
        for name, scoped in checks:
            if name not in values:
                continue
            column = getattr(model, name)
            query = scope.select(model) if scoped else sa.select(model)
            query = query.where(column == values[name])
            if getattr(row, "id", None) is not None:
                query = query.where(model.id != row.id)
            if session.scalars(query.limit(1)).first() is not None:
                raise Conflict(f"{name} {values[name]!r} is taken", field=name,
                               error="duplicate")


def parse_if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header names (``"3"``, ``W/"3"`` or ``3``), or None."""
    if header is None:
        return None
    text = header.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit() or len(text) > 12:
        raise PreconditionFailed(f"If-Match must be an ETag given by this API, got {header!r}",
                                 field="If-Match")
    return int(text)


def _check_version(resource: Resource[Any], row: Any, body_version: int | None,
                   if_match: int | None) -> None:
    if resource.versioned:
        check_version(resource.name, row, body_version, if_match)


def check_version(name: str, row: Any, body_version: int | None,
                  if_match: int | None) -> None:
    """409 (body ``version``) or 412 (``If-Match``) unless they name the row's version."""
    current = row.version
    if if_match is not None and if_match != current:
        raise PreconditionFailed(
            f"{name} {row.id} is at version {current}, If-Match names {if_match}; "
            "reload it and retry", field="If-Match")
    if body_version is not None and body_version != current:
        raise VersionConflict(
            f"{name} {row.id} was changed meanwhile: it is at version {current}, "
            f"the update was based on version {body_version}; reload it and retry",
            field="version")


def create(scope: TenantScope, resource: Resource[M], body: BaseModel) -> M:
    """Insert a row for the tenant, audited, committed."""
    values = body.model_dump()
    row: Any = resource.model()
    if hasattr(row, "tenant_id"):
        scope.adopt(row)
    check_unique(scope, resource, row, values)
    with scope.session.no_autoflush:
        resource.apply(scope, row, values, True)
    scope.session.add(row)
    scope.session.flush()
    audit.record(scope.session, scope.principal, action="create", object_type=resource.name,
                 object_id=row.id, tenant_id=scope.tenant_id,
                 after=snapshot(resource, row))
    scope.session.commit()
    return row  # type: ignore[no-any-return]


def update(scope: TenantScope, resource: Resource[M], object_id: int, body: BaseModel,
           if_match: int | None = None) -> M:
    """Change a row: refused (409) if the body's ``version`` is not the row's; audited."""
    row: Any = get(scope, resource, object_id)
    values = body.model_dump(exclude_unset=True)
    body_version = values.pop("version", None)
    _check_version(resource, row, body_version, if_match)
    refuse_nulls(resource.model, values)
    before = snapshot(resource, row)
    check_unique(scope, resource, row, values)
    with scope.session.no_autoflush:
        touched = resource.apply(scope, row, values, False)
    if touched and resource.versioned:
        row.updated_at = utcnow()  # a relationship-only change moves the version too
    scope.session.flush()
    after = snapshot(resource, row)
    if after != before:
        audit.record(scope.session, scope.principal, action="update",
                     object_type=resource.name, object_id=row.id, tenant_id=scope.tenant_id,
                     before=before, after=after)
    scope.session.commit()
    return row  # type: ignore[no-any-return]


def delete(scope: TenantScope, resource: Resource[M], object_id: int,
           if_match: int | None = None) -> None:
    """Delete a row (``If-Match`` guards against deleting a changed row); audited."""
    row: Any = get(scope, resource, object_id)
    _check_version(resource, row, None, if_match)
    if resource.before_delete is not None:
        resource.before_delete(scope, row)
    before = snapshot(resource, row)
    scope.session.delete(row)
    scope.session.flush()
    audit.record(scope.session, scope.principal, action="delete", object_type=resource.name,
                 object_id=object_id, tenant_id=scope.tenant_id, before=before)
    scope.session.commit()


def assign(row: Any, values: dict[str, Any], names: Sequence[str]) -> None:
    """Copy the plain columns among ``names`` present in ``values`` onto ``row``."""
    for name in names:
        if name in values:
            setattr(row, name, values[name])
