"""Webhooks, and the delivery log of each (read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from switchboard.api.deps import ManagerScope
from switchboard.api.routers._crud import crud_router
from switchboard.api.schemas.common import MAX_ID, PageOut
from switchboard.api.schemas.webhooks import DeliveryPublic, DeliveryQuery
from switchboard.api.services import crud
from switchboard.api.services.crud import Resource
from switchboard.api.services.outbound import WEBHOOKS
from switchboard.store import models as m

router = crud_router(WEBHOOKS, tag="Webhooks")

WebhookId = Annotated[int, Path(ge=1, le=MAX_ID, description="The webhook's id.")]

_DELIVERIES: Resource[m.WebhookDelivery] = Resource(
    name="delivery", path="", model=m.WebhookDelivery, public=DeliveryPublic,
    create=DeliveryPublic, update=None, filters=DeliveryQuery,
    present=DeliveryPublic.model_validate, apply=lambda *_: False,
    order=lambda: (m.WebhookDelivery.id.desc(),))


@router.get("/{webhook_id}/deliveries", response_model=PageOut[DeliveryPublic],
            tags=["Webhooks"], operation_id="list_webhook_deliveries")
def list_deliveries(scope: ManagerScope, webhook_id: WebhookId,
                    query: Annotated[DeliveryQuery, Query()]) -> PageOut[DeliveryPublic]:
    """A webhook's deliveries, newest first: status, attempts, last response and error."""
    scope.get(m.Webhook, webhook_id, field="webhook_id", what="webhook")
    page = crud.list_page(scope, _DELIVERIES, query, base=scope.select(m.WebhookDelivery).where(
        m.WebhookDelivery.webhook_id == webhook_id))
    return PageOut[DeliveryPublic](items=[DeliveryPublic.model_validate(r) for r in page.items],
                                   total=page.total, limit=page.limit, offset=page.offset)
