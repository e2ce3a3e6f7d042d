"""Call control for the agent desktop and integrations, and the live figures.

Agents: ``POST /agents/{agent_id}/login|logout|pause|ready``, ``GET /agents/{agent_id}/state``;
supervisors also ``POST /agents/{agent_id}/force-state``. Calls (live in the tenant's center):
``POST /calls/{call_id}/answer|hangup|hold|resume|transfer|disposition|notes``; supervisors
``POST /calls/{call_id}/monitor`` (listen, whisper, barge). Live figures under ``/live``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from switchboard.api.deps import ControlDep, SupervisionDep
from switchboard.api.errors import NotFound, error_responses
from switchboard.api.schemas.calls import (
    Accepted,
    AgentStatus,
    AnswerRequest,
    CallStatus,
    DispositionRequest,
    ForceStateRequest,
    MonitorAccepted,
    MonitorRequest,
    NoteRequest,
    PauseRequest,
    QueueStats,
    TransferRequest,
)
from switchboard.api.schemas.common import MAX_ID

agents = APIRouter(prefix="/agents/{agent_id}", tags=["Agent control"],
                   responses=error_responses(401, 403, 404, 409, 422, 503))
calls = APIRouter(prefix="/calls/{call_id}", tags=["Call control"],
                  responses=error_responses(401, 403, 404, 409, 422, 503))
live = APIRouter(prefix="/live", tags=["Live"],
                 responses=error_responses(401, 403, 404, 422, 503))

AgentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The agent's id.")]
CallId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:@+-]+$",
                             description="The call's id (from the live feed).")]
QueueId = Annotated[int, Path(ge=1, le=MAX_ID, description="The queue's id.")]


@agents.get("/state", response_model=AgentStatus, operation_id="agent_state")
def agent_state(control: ControlDep, agent_id: AgentId) -> AgentStatus:
    """The agent's live state."""
    return control.status(agent_id)


@agents.post("/login", response_model=AgentStatus, operation_id="agent_login")
def agent_login(control: ControlDep, agent_id: AgentId) -> AgentStatus:
    """Log the agent in, available for calls."""
    return control.login(agent_id)


@agents.post("/logout", response_model=AgentStatus, operation_id="agent_logout")
def agent_logout(control: ControlDep, agent_id: AgentId) -> AgentStatus:
    """Log the agent out (not during a call; a ringing offer goes back to its queue)."""
    return control.logout(agent_id)


@agents.post("/pause", response_model=AgentStatus, operation_id="agent_pause")
def agent_pause(control: ControlDep, agent_id: AgentId, body: PauseRequest) -> AgentStatus:
    """Pause the agent (during a call: when its wrap-up ends)."""
    return control.pause(agent_id, body.reason)


@agents.post("/ready", response_model=AgentStatus, operation_id="agent_ready")
def agent_ready(control: ControlDep, agent_id: AgentId) -> AgentStatus:
    """Make the agent available (from a pause, from wrap-up, or logged out)."""
    return control.ready(agent_id)


@agents.post("/force-state", response_model=AgentStatus, operation_id="agent_force_state")
def agent_force_state(control: SupervisionDep, agent_id: AgentId,
                      body: ForceStateRequest) -> AgentStatus:
    """Supervisor: move an agent to available, paused or logged out (audited)."""
    return control.force_state(agent_id, body.state, body.reason)


@calls.post("/answer", response_model=Accepted, operation_id="call_answer")
def call_answer(control: ControlDep, call_id: CallId, body: AnswerRequest) -> Accepted:
    """The agent answers the call ringing them."""
    control.answer(call_id, body.agent_id)
    return Accepted()


@calls.post("/hangup", response_model=Accepted, operation_id="call_hangup")
def call_hangup(control: ControlDep, call_id: CallId) -> Accepted:
    """The agent ends the conversation (wrap-up starts)."""
    control.hang_up(call_id)
    return Accepted()


@calls.post("/hold", response_model=Accepted, operation_id="call_hold")
def call_hold(control: ControlDep, call_id: CallId) -> Accepted:
    """Put the caller on hold."""
    control.hold(call_id)
    return Accepted()


@calls.post("/resume", response_model=Accepted, operation_id="call_resume")
def call_resume(control: ControlDep, call_id: CallId) -> Accepted:
    """Take the caller off hold."""
    control.resume(call_id)
    return Accepted()


@calls.post("/transfer", response_model=Accepted, operation_id="call_transfer")
def call_transfer(control: ControlDep, call_id: CallId, body: TransferRequest) -> Accepted:
    """Blind transfer to a queue, or to an available agent."""
    control.transfer(call_id, queue_id=body.queue_id, agent_id=body.agent_id)
    return Accepted()


@calls.post("/disposition", response_model=Accepted, operation_id="call_disposition")
def call_disposition(control: ControlDep, call_id: CallId,
                     body: DispositionRequest) -> Accepted:
    """Record the wrap-up code (one of the tenant's disposition codes) with a note."""
    control.disposition(call_id, body.code, body.note, body.agent_id)
    return Accepted()


@calls.post("/notes", response_model=Accepted, operation_id="call_note")
def call_note(control: ControlDep, call_id: CallId, body: NoteRequest) -> Accepted:
    """A note on a live or recent call."""
    control.note(call_id, body.text)
    return Accepted()


@calls.post("/monitor", response_model=MonitorAccepted, operation_id="call_monitor")
def call_monitor(control: SupervisionDep, call_id: CallId,
                 body: MonitorRequest) -> MonitorAccepted:
    """Supervisor: listen to, whisper to the agent on, or barge into a call."""
    supervisor = control.monitor(call_id, body.mode)
    return MonitorAccepted(mode=body.mode, call_id=call_id, supervisor=supervisor)


@live.get("/queues", response_model=list[QueueStats], operation_id="live_queues")
def live_queues(control: ControlDep) -> list[QueueStats]:
    """Every queue's live figures (waiting, longest wait, available, staffed, expected wait)."""
    return control.queue_stats()


@live.get("/queues/{queue_id}", response_model=QueueStats, operation_id="live_queue")
def live_queue(control: ControlDep, queue_id: QueueId) -> QueueStats:
    """One queue's live figures."""
    stats = control.queue_stats(queue_id)
    if not stats:
        raise NotFound(f"queue {queue_id} is not live yet", field="queue_id")
    return stats[0]


@live.get("/agents", response_model=list[AgentStatus], operation_id="live_agents")
def live_agents(control: SupervisionDep) -> list[AgentStatus]:
    """Every agent's live state."""
    return control.agents()


@live.get("/calls", response_model=list[CallStatus], operation_id="live_calls")
def live_calls(control: SupervisionDep) -> list[CallStatus]:
    """The calls in progress."""
    return control.calls()
