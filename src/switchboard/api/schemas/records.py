"""Read-only records: the audit log and the interactions (call history, screen pops)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints

from switchboard.api.schemas.common import Clean, ListQuery, Name, Public, UtcDateTime

Word = Annotated[str, StringConstraints(min_length=1, max_length=200), Clean]
Caller = Annotated[str, StringConstraints(min_length=1, max_length=40), Clean]


class AuditPublic(Public):
    id: int
    at: UtcDateTime
    actor: str
    user_id: int | None
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditQuery(ListQuery):
    object_type: Word | None = None
    object_id: Word | None = None
    actor: Word | None = None
    action: Word | None = None


class InteractionPublic(Public):
    call_id: str
    caller: str
    direction: str
    entry: str
    queue: str
    agent: str
    arrived_at: float | None
    answered_at: float | None
    ended_at: float | None
    wait: float
    talk: float
    hold: float
    wrap: float
    end_reason: str
    abandoned: bool
    disposition: str
    transferred: bool


class InteractionQuery(ListQuery):
    caller: Caller | None = None
    """The caller's number: the screen-pop history, newest first."""
    agent: Name | None = None
    queue: Name | None = None
