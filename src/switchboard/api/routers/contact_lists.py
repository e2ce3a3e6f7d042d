"""Contact lists, and the contacts of a list (nested under it)."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query, Response

from switchboard.api.deps import MemberScope, SupervisorScope
from switchboard.api.errors import Conflict, NotFound, error_responses
from switchboard.api.routers._crud import crud_router
from switchboard.api.schemas.common import MAX_ID, PageOut
from switchboard.api.schemas.outbound import (
    ContactCreate,
    ContactPublic,
    ContactQuery,
    ContactUpdate,
)
from switchboard.api.services import audit, crud
from switchboard.api.services.outbound import CONTACT_LISTS, CONTACTS
from switchboard.api.services.scope import TenantScope
from switchboard.store import models as m

router = crud_router(CONTACT_LISTS, tag="Contact lists")
contacts = APIRouter(prefix="/contact-lists/{contact_list_id}/contacts", tags=["Contacts"],
                     responses=error_responses(401, 403, 404, 422))

ListId = Annotated[int, Path(ge=1, le=MAX_ID, description="The contact list's id.")]
ContactId = Annotated[int, Path(ge=1, le=MAX_ID, description="The contact's id.")]


def _list(scope: TenantScope, list_id: int) -> m.ContactList:
    return scope.get(m.ContactList, list_id, field="contact_list_id", what="contact list")


def _contact(scope: TenantScope, list_id: int, contact_id: int) -> m.Contact:
    _list(scope, list_id)
    row = scope.find(m.Contact, contact_id)
    if row is None or row.list_id != list_id:
        raise NotFound(f"no contact {contact_id} in list {list_id}", field="contact_id")
    return row


def _show(row: m.Contact) -> dict[str, Any]:
    return ContactPublic.model_validate(row).model_dump(mode="json")


def _key_free(scope: TenantScope, list_id: int, key: str, contact_id: int | None) -> None:
    query = sa.select(m.Contact.id).where(m.Contact.list_id == list_id, m.Contact.key == key)
    if contact_id is not None:
        query = query.where(m.Contact.id != contact_id)
    if scope.session.scalars(query).first() is not None:
        raise Conflict(f"key {key!r} is taken in this list", field="key", error="duplicate")


@contacts.get("", response_model=PageOut[ContactPublic], operation_id="list_contacts")
def list_contacts(scope: MemberScope, contact_list_id: ListId,
                  query: Annotated[ContactQuery, Query()]) -> PageOut[ContactPublic]:
    """The contacts of a list (filter by number, status, key)."""
    _list(scope, contact_list_id)
    page = crud.list_page(scope, CONTACTS, query,
                          base=scope.select(m.Contact).where(
                              m.Contact.list_id == contact_list_id))
    return PageOut[ContactPublic](items=[ContactPublic.model_validate(r) for r in page.items],
                                  total=page.total, limit=page.limit, offset=page.offset)


@contacts.post("", response_model=ContactPublic, status_code=201,
               operation_id="create_contact", responses=error_responses(409))
def create_contact(scope: SupervisorScope, contact_list_id: ListId,
                   body: ContactCreate) -> ContactPublic:
    """Add a contact to a list (its key is unique in the list)."""
    _list(scope, contact_list_id)
    _key_free(scope, contact_list_id, body.key, None)
    row = m.Contact(list_id=contact_list_id, attempts=0, **body.model_dump())
    scope.session.add(row)
    scope.session.flush()
    audit.record(scope.session, scope.principal, action="create", object_type="contact",
                 object_id=row.id, tenant_id=scope.tenant_id, after=_show(row))
    scope.session.commit()
    return ContactPublic.model_validate(row)


@contacts.get("/{contact_id}", response_model=ContactPublic, operation_id="read_contact")
def read_contact(scope: MemberScope, contact_list_id: ListId,
                 contact_id: ContactId) -> ContactPublic:
    """One contact."""
    return ContactPublic.model_validate(_contact(scope, contact_list_id, contact_id))


@contacts.patch("/{contact_id}", response_model=ContactPublic, operation_id="update_contact")
def update_contact(scope: SupervisorScope, contact_list_id: ListId, contact_id: ContactId,
                   body: ContactUpdate) -> ContactPublic:
    """Change a contact."""
    row = _contact(scope, contact_list_id, contact_id)
    values = body.model_dump(exclude_unset=True)
    crud.refuse_nulls(m.Contact, values)
    before = _show(row)
    for name, value in values.items():
        setattr(row, name, value)
    scope.session.flush()
    after = _show(row)
    if after != before:
        audit.record(scope.session, scope.principal, action="update", object_type="contact",
                     object_id=row.id, tenant_id=scope.tenant_id, before=before, after=after)
    scope.session.commit()
    return ContactPublic.model_validate(row)


@contacts.delete("/{contact_id}", status_code=204, response_class=Response,
                 operation_id="delete_contact")
def delete_contact(scope: SupervisorScope, contact_list_id: ListId,
                   contact_id: ContactId) -> Response:
    """Remove a contact from its list."""
    row = _contact(scope, contact_list_id, contact_id)
    before = _show(row)
    scope.session.delete(row)
    scope.session.flush()
    audit.record(scope.session, scope.principal, action="delete", object_type="contact",
                 object_id=contact_id, tenant_id=scope.tenant_id, before=before)
    scope.session.commit()
    return Response(status_code=204)
