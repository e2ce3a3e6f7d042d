"""Tenants: platform admins only. Deleting a tenant deletes everything it owns."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Response

from switchboard.api.deps import AdminUser, Db
from switchboard.api.errors import Conflict, NotFound, error_responses
from switchboard.api.routers._crud import IfMatch, etag
from switchboard.api.schemas.common import MAX_ID, PageOut
from switchboard.api.schemas.tenants import TenantCreate, TenantPublic, TenantQuery, TenantUpdate
from switchboard.api.services import audit
from switchboard.api.services.crud import check_version, parse_if_match, refuse_nulls
from switchboard.store.models import Tenant

router = APIRouter(prefix="/tenants", tags=["Tenants"],
                   responses=error_responses(401, 403, 404, 422))

TenantId = Annotated[int, Path(ge=1, le=MAX_ID, description="The tenant's id.")]


def _get(db: Db, tenant_id: int) -> Tenant:
    tenant = db.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id}", field="tenant_id")
    return tenant


def _show(tenant: Tenant) -> dict[str, Any]:
    return TenantPublic.model_validate(tenant).model_dump(mode="json")


@router.get("", response_model=PageOut[TenantPublic], operation_id="list_tenants")
def list_tenants(_admin: AdminUser, db: Db,
                 query: Annotated[TenantQuery, Query()]) -> PageOut[TenantPublic]:
    """Every tenant (filter by slug or active)."""
    select = sa.select(Tenant)
    if query.slug is not None:
        select = select.where(Tenant.slug == query.slug)
    if query.active is not None:
        select = select.where(Tenant.active == query.active)
    total = db.scalar(sa.select(sa.func.count()).select_from(select.subquery())) or 0
    rows = db.scalars(select.order_by(Tenant.id).limit(query.limit).offset(query.offset))
    return PageOut[TenantPublic](items=[TenantPublic.model_validate(t) for t in rows],
                                 total=total, limit=query.limit, offset=query.offset)


@router.post("", response_model=TenantPublic, status_code=201, operation_id="create_tenant",
             responses=error_responses(409))
def create_tenant(admin: AdminUser, db: Db, body: TenantCreate,
                  response: Response) -> TenantPublic:
    """Create a tenant (its slug is the ``tenant`` of its events and cannot change)."""
    if db.scalars(sa.select(Tenant.id).where(Tenant.slug == body.slug)).first() is not None:
        raise Conflict(f"slug {body.slug!r} is taken", field="slug", error="duplicate")
    tenant = Tenant(**body.model_dump())
    db.add(tenant)
    db.flush()
    audit.record(db, admin, action="create", object_type="tenant", object_id=tenant.id,
                 tenant_id=tenant.id, after=_show(tenant))
    db.commit()
    response.headers["ETag"] = etag(tenant)
    return TenantPublic.model_validate(tenant)


@router.get("/{tenant_id}", response_model=TenantPublic, operation_id="read_tenant")
def read_tenant(_admin: AdminUser, db: Db, tenant_id: TenantId,
                response: Response) -> TenantPublic:
    """One tenant."""
    tenant = _get(db, tenant_id)
    response.headers["ETag"] = etag(tenant)
    return TenantPublic.model_validate(tenant)


@router.patch("/{tenant_id}", response_model=TenantPublic, operation_id="update_tenant",
              responses=error_responses(409, 412))
def update_tenant(admin: AdminUser, db: Db, tenant_id: TenantId, body: TenantUpdate,
                  response: Response, if_match: IfMatch = None) -> TenantPublic:
    """Change a tenant (``version`` from the last read)."""
    tenant = _get(db, tenant_id)
    values = body.model_dump(exclude_unset=True)
    check_version("tenant", tenant, values.pop("version"), parse_if_match(if_match))
    before = _show(tenant)
    refuse_nulls(Tenant, values)
    for name, value in values.items():
        setattr(tenant, name, value)
    db.flush()
    after = _show(tenant)
    if after != before:
        audit.record(db, admin, action="update", object_type="tenant", object_id=tenant.id,
                     tenant_id=tenant.id, before=before, after=after)
    db.commit()
    response.headers["ETag"] = etag(tenant)
    return TenantPublic.model_validate(tenant)


@router.delete("/{tenant_id}", status_code=204, response_class=Response,
               operation_id="delete_tenant", responses=error_responses(409, 412))
def delete_tenant(admin: AdminUser, db: Db, tenant_id: TenantId,
                  if_match: IfMatch = None) -> Response:
    """Delete a tenant and everything it owns (the event log keeps its events)."""
    tenant = _get(db, tenant_id)
    check_version("tenant", tenant, None, parse_if_match(if_match))
    before = _show(tenant)
    db.delete(tenant)
    db.flush()
    audit.record(db, admin, action="delete", object_type="tenant", object_id=tenant_id,
                 before=before)
    db.commit()
    return Response(status_code=204)
