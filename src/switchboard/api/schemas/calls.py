"""Call control and live state: what the agent desktop and integrations send and read."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints, model_validator

from switchboard.api.schemas.common import Body, Clean, Code, Id

Reason = Annotated[str, StringConstraints(max_length=100), Clean]
Note = Annotated[str, StringConstraints(min_length=1, max_length=4000), Clean]
CallIdText = Annotated[str, StringConstraints(min_length=1, max_length=100), Clean]


class PauseRequest(Body):
    reason: Reason = "break"


class ForceStateRequest(Body):
    state: Literal["available", "paused", "logged_out"]
    reason: Reason = ""


class AnswerRequest(Body):
    agent_id: Id | None = None
    """The agent answering (defaults to the caller's own agent)."""


class TransferRequest(Body):
    queue_id: Id | None = None
    agent_id: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferRequest:
        if (self.queue_id is None) == (self.agent_id is None):
            raise ValueError("give exactly one of queue_id and agent_id")
        return self


class DispositionRequest(Body):
    code: Code
    """One of the tenant's disposition codes."""
    note: Annotated[str, StringConstraints(max_length=4000), Clean] = ""
    agent_id: Id | None = None
    """The agent who handled the call (defaults to the caller's own agent)."""


class NoteRequest(Body):
    text: Note


class MonitorRequest(Body):
    mode: Literal["listen", "whisper", "barge"]


class AgentStatus(BaseModel):
    agent_id: int
    key: str
    state: str
    since: float
    call_id: str
    pause_reason: str
    pending_pause: str


class CallStatus(BaseModel):
    call_id: str
    state: str
    caller: str
    agent: str
    queue: str


class QueueStats(BaseModel):
    queue_id: int
    key: str
    waiting: int
    longest_wait: float
    available: int
    staffed: int
    expected_wait: float | None
    """Seconds; null when nobody serves the queue."""


class Accepted(BaseModel):
    ok: bool = True
    detail: str = ""


class MonitorAccepted(Accepted):
    mode: str
    call_id: str
    supervisor: str


class Empty(BaseModel):
    pass

