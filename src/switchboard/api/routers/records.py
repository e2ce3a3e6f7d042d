"""Read-only records: the audit log (admins of the tenant) and the interactions (call history
for screen pops: every member of the tenant)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from switchboard.api.deps import ManagerScope, MemberScope, State
from switchboard.api.errors import error_responses
from switchboard.api.schemas.common import PageOut
from switchboard.api.schemas.records import (
    AuditPublic,
    AuditQuery,
    InteractionPublic,
    InteractionQuery,
)
from switchboard.api.services import crud
from switchboard.api.services.crud import Resource
from switchboard.store import models as m

router = APIRouter(tags=["Records"], responses=error_responses(401, 403, 422))

_AUDIT: Resource[m.AuditEntry] = Resource(
    name="audit_entry", path="/audit", model=m.AuditEntry, public=AuditPublic,
    create=AuditPublic, update=None, filters=AuditQuery, present=AuditPublic.model_validate,
    apply=lambda *_: False, order=lambda: (m.AuditEntry.id.desc(),))

_INTERACTIONS: Resource[m.Interaction] = Resource(
    name="interaction", path="/interactions", model=m.Interaction, public=InteractionPublic,
    create=InteractionPublic, update=None, filters=InteractionQuery,
    present=InteractionPublic.model_validate, apply=lambda *_: False,
    order=lambda: (m.Interaction.arrived_at.desc(), m.Interaction.id.desc()))


@router.get("/audit", response_model=PageOut[AuditPublic], operation_id="list_audit")
def list_audit(scope: ManagerScope,
               query: Annotated[AuditQuery, Query()]) -> PageOut[AuditPublic]:
    """The tenant's audit log, newest first: who changed what, when, before and after."""
    page = crud.list_page(scope, _AUDIT, query)
    return PageOut[AuditPublic](items=[AuditPublic.model_validate(r) for r in page.items],
                                total=page.total, limit=page.limit, offset=page.offset)


@router.get("/interactions", response_model=PageOut[InteractionPublic],
            operation_id="list_interactions")
def list_interactions(scope: MemberScope, state: State,
                      query: Annotated[InteractionQuery, Query()]
                      ) -> PageOut[InteractionPublic]:
    """The tenant's calls, newest first; ``caller=`` gives a caller's history (screen pop)."""
    state.update_interactions()
    page = crud.list_page(scope, _INTERACTIONS, query)
    return PageOut[InteractionPublic](
        items=[InteractionPublic.model_validate(r) for r in page.items], total=page.total,
        limit=page.limit, offset=page.offset)
