"""The events of the append-only log: the truth from which live state and every KPI derive.

Every event is a dataclass with keyword-only fields, hashable and compared by value. ``at`` is
the time (seconds, from the center's clock) at which the event happened. Identifiers are strings
chosen by whoever created the object (the telephony layer's call ids, the configuration's agent
and queue ids).

Events are immutable by contract: nothing changes an event once it is written (a correction is a
new event). They are not ``frozen`` dataclasses because a frozen dataclass's ``__init__`` sets
each field through ``object.__setattr__``, which made building an event 2.4x slower (3x when
compiled with mypyc), and the core builds nine of them per call (bench/bench_sim.py). For the
same reason the six events of every call's path (``CallArrived``, ``CallQueued``,
``CallOffered``, ``CallAnswered``, ``CallEnded``, ``AgentStateChanged``) write their
``__init__`` by hand: mypyc compiles a hand-written ``__init__`` to native code, about 25x
faster than the one the dataclass decorator generates at import time. The signature must
match the fields (names, order, defaults); tests/core/test_events.py checks that it does.

The vocabulary follows the life of a call::

    CallArrived -> CallQueued -> CallOffered -> CallAnswered -> [CallHeld/CallResumed]*
        -> [CallTransferred -> CallQueued ...] -> CallEnded -> WrapUpEnded
    CallQueued -> CallAbandoned | CallOverflowed -> CallQueued (another queue)
    CallOffered -> CallOfferTimedOut (RONA) -> back in the queue at its place

and of an agent: ``AgentStateChanged`` for every transition of the agent state machine.
Outbound adds ``DialAttempted`` / ``DialResult``; after the call, ``Disposition``,
``SurveyAnswered`` (CSAT) and ``QualityScored`` (QA).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class AgentState(enum.Enum):
    """States of the agent state machine (see :mod:`switchboard.core.agents`)."""

    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    RESERVED = "reserved"  # a call is offered (ringing) or an outbound call is being dialled
    TALKING = "talking"
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"
    PAUSED = "paused"

    # Members are singletons: hash by identity (C speed) rather than Enum's Python-level
    # hash of the name; the routing hot path tests state membership in sets.
    __hash__ = object.__hash__


class Direction(enum.Enum):
    """Which way a call goes."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class EndReason(enum.Enum):
    """Why a call ended."""

    CALLER_HANGUP = "caller_hangup"
    AGENT_HANGUP = "agent_hangup"
    TRANSFERRED = "transferred"
    SERVED_BY_IVR = "served_by_ivr"
    MAX_WAIT = "max_wait"
    CALLBACK = "callback"
    SYSTEM = "system"


class DialOutcome(enum.Enum):
    """What an outbound dial attempt reached."""

    HUMAN = "human"
    MACHINE = "machine"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"
    ABANDONED = "abandoned"  # answered by a person, no agent free in time (dialer abandon)


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Event:
    """Base of every event."""

    at: float
    """When it happened, in seconds on the center's clock."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True, init=False)
class CallArrived(Event):
    """A call entered the center (inbound) or was created for an outbound attempt."""

    call_id: str
    """The call's identifier."""
    direction: Direction = Direction.INBOUND
    """Inbound or outbound."""
    caller: str = ""
    """The caller's number (ANI); for FCR the repeat-caller key."""
    entry: str = ""
    """The entry point dialled (DID, IVR flow or queue id)."""
    tenant: str = ""
    """The client company the call belongs to."""

    def __init__(self, *, at: float, call_id: str, direction: Direction = Direction.INBOUND,
                 caller: str = "", entry: str = "", tenant: str = "") -> None:
        self.at = at
        self.call_id = call_id
        self.direction = direction
        self.caller = caller
        self.entry = entry
        self.tenant = tenant


@dataclass(slots=True, kw_only=True, unsafe_hash=True, init=False)
class CallQueued(Event):
    """A call waits in a queue for an agent."""

    call_id: str
    """The call."""
    queue_id: str
    """The queue it waits in."""
    priority: int = 0
    """Call priority (higher is served first)."""
    skills: tuple[tuple[str, int], ...] = ()
    """Extra skills this call needs, with minimum levels, on top of the queue's."""
    requeued: bool = False
    """True when the call re-enters the same queue at its old place (RONA, failed transfer)."""

    def __init__(self, *, at: float, call_id: str, queue_id: str, priority: int = 0,
                 skills: tuple[tuple[str, int], ...] = (), requeued: bool = False) -> None:
        self.at = at
        self.call_id = call_id
        self.queue_id = queue_id
        self.priority = priority
        self.skills = skills
        self.requeued = requeued


@dataclass(slots=True, kw_only=True, unsafe_hash=True, init=False)
class CallOffered(Event):
    """Routing chose an agent; the agent's phone rings (the agent is reserved)."""

    call_id: str
    """The call."""
    agent_id: str
    """The agent reserved for it."""
    queue_id: str
    """The queue it was routed from."""

    def __init__(self, *, at: float, call_id: str, agent_id: str, queue_id: str) -> None:
        self.at = at
        self.call_id = call_id
        self.agent_id = agent_id
        self.queue_id = queue_id


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class CallOfferTimedOut(Event):
    """Ring-no-answer (RONA): the agent did not answer in time; the call goes back to its place."""

    call_id: str
    """The call."""
    agent_id: str
    """The agent who did not answer (now paused)."""
    queue_id: str
    """The queue the call returns to."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True, init=False)
class CallAnswered(Event):
    """An agent answered: the caller and the agent are connected."""

    call_id: str
    """The call."""
    agent_id: str
    """The agent."""
    queue_id: str
    """The queue it was answered from."""
    wait: float
    """Seconds the call waited in this queue (ring time included): the queue's speed of answer."""
    total_wait: float = 0.0
    """Seconds since the call first queued, across overflows: the caller's whole wait."""

    def __init__(self, *, at: float, call_id: str, agent_id: str, queue_id: str, wait: float,
                 total_wait: float = 0.0) -> None:
        self.at = at
        self.call_id = call_id
        self.agent_id = agent_id
        self.queue_id = queue_id
        self.wait = wait
        self.total_wait = total_wait


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class CallHeld(Event):
    """The agent put the caller on hold."""

    call_id: str
    """The call."""
    agent_id: str
    """The agent."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class CallResumed(Event):
    """The agent took the caller off hold."""

    call_id: str
    """The call."""
    agent_id: str
    """The agent."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class CallTransferred(Event):
    """An agent transferred the call to a queue or to another agent."""

    call_id: str
    """The call."""
    from_agent: str
    """The agent who transferred it."""
    to_queue: str = ""
    """The target queue, for a transfer to a queue."""
    to_agent: str = ""
    """The target agent, for a transfer to an agent."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class CallOverflowed(Event):
    """The call waited too long in one queue and moved on to another (overflow / escalation)."""

    call_id: str
    """The call."""
    from_queue: str
    """Where it waited."""
    to_queue: str
    """Where it goes."""
    waited: float
    """Seconds it waited in ``from_queue``."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class CallAbandoned(Event):
    """The caller hung up while waiting (or while an agent's phone was ringing)."""

    call_id: str
    """The call."""
    queue_id: str
    """The queue the caller waited in."""
    wait: float
    """Seconds waited in that queue."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class CallbackRequested(Event):
    """The caller asked to be called back; the request keeps the caller's place in the queue."""

    call_id: str
    """The call whose place is kept."""
    queue_id: str
    """The queue."""
    number: str
    """The number to call back."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True, init=False)
class CallEnded(Event):
    """The call is over."""

    call_id: str
    """The call."""
    reason: EndReason
    """Why it ended."""
    agent_id: str = ""
    """The agent who had it last, if any (their wrap-up starts now)."""

    def __init__(self, *, at: float, call_id: str, reason: EndReason, agent_id: str = "") -> None:
        self.at = at
        self.call_id = call_id
        self.reason = reason
        self.agent_id = agent_id


@dataclass(slots=True, kw_only=True, unsafe_hash=True, init=False)
class AgentStateChanged(Event):
    """An agent moved from one state to another."""

    agent_id: str
    """The agent."""
    old: AgentState
    """State before."""
    new: AgentState
    """State after."""
    reason: str = ""
    """Pause reason, or why the change happened (``rona``, ``login`` ...)."""
    call_id: str = ""
    """The call involved, if any."""

    def __init__(self, *, at: float, agent_id: str, old: AgentState, new: AgentState,
                 reason: str = "", call_id: str = "") -> None:
        self.at = at
        self.agent_id = agent_id
        self.old = old
        self.new = new
        self.reason = reason
        self.call_id = call_id


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class DialAttempted(Event):
    """The dialer (or an agent in preview) placed an outbound call to a contact."""

    call_id: str
    """The outbound call."""
    campaign_id: str
    """The campaign."""
    contact_id: str
    """The contact (account) dialled."""
    number: str
    """The number dialled."""
    agent_id: str = ""
    """The agent, for preview/manual dialling."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class DialResult(Event):
    """What an outbound attempt reached."""

    call_id: str
    """The outbound call."""
    outcome: DialOutcome
    """Human, machine, no answer, busy, failed, or abandoned by the dialer."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Disposition(Event):
    """The agent's wrap-up code for a call."""

    call_id: str
    """The call."""
    agent_id: str
    """The agent."""
    code: str
    """The disposition code (``sale``, ``no_interest``, ``resolved`` ...)."""
    success: bool = False
    """Whether the code counts as a success (a sale, a resolved issue) for conversion."""
    resolved: bool = False
    """Whether the customer's issue was resolved on this call (for first-call resolution)."""
    note: str = ""
    """Free text."""


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class SurveyAnswered(Event):
    """A post-call survey answer (CSAT), on a 1-5 scale."""

    call_id: str
    """The call surveyed."""
    score: int
    """1 (very dissatisfied) to 5 (very satisfied)."""

    def __post_init__(self) -> None:
        if not 1 <= self.score <= 5:
            raise ValueError(f"CSAT score must be 1-5, got {self.score}")


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class QualityScored(Event):
    """A QA evaluation of a recorded call, as a percentage of the scorecard's maximum."""

    call_id: str
    """The call evaluated."""
    agent_id: str
    """The agent evaluated."""
    score: float
    """0-100."""
    scorecard: str = field(default="")
    """The scorecard used."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 100.0:
            raise ValueError(f"quality score must be 0-100, got {self.score}")
