"""Webhooks and their delivery log."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from switchboard.api.schemas.common import (
    Body,
    Clean,
    ListQuery,
    Public,
    Stamped,
    UtcDateTime,
    keep,
)

EventType = Literal[
    "CallArrived", "CallQueued", "CallOffered", "CallOfferTimedOut", "CallAnswered",
    "CallHeld", "CallResumed", "CallTransferred", "CallOverflowed", "CallAbandoned",
    "CallbackRequested", "CallEnded", "AgentStateChanged", "DialAttempted", "DialResult",
    "Disposition", "SurveyAnswered", "QualityScored",
]
"""The core's event types a webhook may subscribe to."""
Url = Annotated[str, StringConstraints(min_length=8, max_length=2000,
                                       pattern=r"^https?://[^\s/$.?#][^\s]*$"), Clean]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200), Clean]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreate(Body):
    url: Url
    """``http(s)://``; loopback and private addresses are refused unless allowed."""
    secret: Secret
    """HMAC-SHA256 key for the ``X-Switchboard-Signature`` header; never shown back."""
    event_types: list[EventType] = Field(default_factory=list, max_length=30)
    """Empty: every event type."""
    active: bool = True


class WebhookUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    url: Url = keep()
    secret: Secret = keep()
    event_types: list[EventType] = keep(max_length=30)
    active: bool = keep()


class WebhookPublic(Stamped):
    id: int
    url: str
    event_types: list[str]
    active: bool


class WebhookQuery(ListQuery):
    active: bool | None = None


class DeliveryPublic(Public):
    id: int
    webhook_id: int
    event_id: int
    status: str
    attempts: int
    response_code: int | None
    last_error: str
    created_at: UtcDateTime
    next_attempt_at: UtcDateTime | None
    delivered_at: UtcDateTime | None


class DeliveryQuery(ListQuery):
    status: DeliveryStatus | None = None
