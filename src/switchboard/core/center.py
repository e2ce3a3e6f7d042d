"""The contact center: consumes what happens, decides, commands the port, records events.

Theory of operation
-------------------
:class:`ContactCenter` is told what happens (a call arrives, an agent answers, a caller hangs up)
through its public methods, and acts through the :class:`~switchboard.core.ports.CallControl`
port. Every change is first appended as an event to the sink (the log is the truth: if appending
raises, nothing changes), then applied to the live state.

Routing runs from both sides: a call entering a queue goes to the best available agent chosen
by the queue's strategy; an agent becoming free takes the best call across every queue the agent
serves (queue priority, then call priority with ageing, then the longest wait), which is what
lets one agent serve inbound and outbound queues blended.

Timers (ring-no-answer, overflow, maximum wait, wrap-up) sit in one heap. The owner of the
center asks :meth:`ContactCenter.get_timer` for the next deadline and calls
:meth:`ContactCenter.handle_timer` when it is due: the simulator on its virtual clock, the
server on the real one. A timer whose subject has moved on since it was armed is ignored.
"""

from __future__ import annotations

import enum
import heapq
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from switchboard.core.agents import BUSY_STATES, Agent
from switchboard.core.clock import Clock
from switchboard.core.errors import ConfigError, IllegalTransition, NotAvailable, UnknownObject
from switchboard.core.events import (
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallArrived,
    CallbackRequested,
    CallEnded,
    CallHeld,
    CallOffered,
    CallOfferTimedOut,
    CallOverflowed,
    CallQueued,
    CallResumed,
    CallTransferred,
    Direction,
    Disposition,
    EndReason,
    Event,
    SurveyAnswered,
)
from switchboard.core.ports import CallControl, EventSink
from switchboard.core.queues import Entry, Queue, QueueConfig
from switchboard.core.routing import STRATEGY_TABLE

log = logging.getLogger(__name__)



class CallState(enum.Enum):
    """Where a call stands inside the center."""

    NEW = "new"  # arrived, in the IVR or not yet queued
    QUEUED = "queued"
    RINGING = "ringing"
    TALKING = "talking"
    ON_HOLD = "on_hold"
    ENDED = "ended"


class _Timer(enum.IntEnum):
    RONA = 0
    OVERFLOW = 1
    MAX_WAIT = 2
    WRAP_UP = 3


class Call:
    """A call's live state inside the center."""

    __slots__ = (
        "agent_id",
        "answered_at",
        "call_id",
        "caller",
        "direction",
        "entry",
        "epoch",
        "state",
        "tenant",
    )

    def __init__(self, call_id: str, caller: str, direction: Direction, tenant: str) -> None:
        self.call_id = call_id
        self.caller = caller
        self.direction = direction
        self.tenant = tenant
        self.state = CallState.NEW
        self.entry: Entry | None = None
        self.agent_id = ""
        self.epoch = 0
        """Bumped at every change, so that timers armed before it are ignored."""
        self.answered_at = 0.0

    def __repr__(self) -> str:
        return f"Call({self.call_id!r}, {self.state.value})"


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """A queue's live figures, for the wallboard and for announcements."""

    queue_id: str
    waiting: int
    longest_wait: float
    available: int
    staffed: int
    expected_wait: float


class ContactCenter:
    """Agents, queues and calls, routed by the core's rules. See the module docstring."""

    def __init__(self, *, clock: Clock, port: CallControl, sink: EventSink) -> None:
        self.clock = clock
        self.port = port
        self._sink = sink
        self._append: Callable[[Event], None] = sink.append
        self.agents: dict[str, Agent] = {}
        self.queues: dict[str, Queue] = {}
        self.calls: dict[str, Call] = {}
        self._timers: list[tuple[float, int, _Timer, str, object]] = []
        self._seq = 0

    # ------------------------------------------------------------------ configuration

    def add_queue(self, config: QueueConfig) -> Queue:
        """Create a queue. Overflow targets may name queues added later; :meth:`check` them."""
        if config.queue_id in self.queues:
            raise ConfigError(f"queue {config.queue_id!r} exists already")
        queue = Queue(config)
        self.queues[config.queue_id] = queue
        return queue

    def add_agent(self, agent: Agent) -> Agent:
        """Add an agent (logged out). Every queue the agent serves must exist."""
        if agent.agent_id in self.agents:
            raise ConfigError(f"agent {agent.agent_id!r} exists already")
        for queue_id in agent.queues:
            if queue_id not in self.queues:
                raise ConfigError(f"agent {agent.agent_id!r} serves unknown queue {queue_id!r}")
        self.agents[agent.agent_id] = agent
        for queue_id in agent.queues:
            self.queues[queue_id].members[agent.agent_id] = agent
        return agent

    def check(self) -> None:
        """Raise ConfigError if an overflow or max-wait target is missing or loops back."""
        for queue in self.queues.values():
            seen = [queue.queue_id]
            current = queue.config
            while True:
                target = current.overflow_to or current.max_wait_to
                if not target:
                    break
                if target not in self.queues:
                    raise ConfigError(f"queue {current.queue_id!r} overflows to unknown queue "
                                      f"{target!r}")
                if target in seen:
                    raise ConfigError("overflow loop: " + " -> ".join([*seen, target]))
                seen.append(target)
                current = self.queues[target].config

    # ------------------------------------------------------------------ plumbing

    @property
    def sink(self) -> EventSink:
        """Where every event goes first (the log). It may be replaced (wrapped) at any time."""
        return self._sink

    @sink.setter
    def sink(self, sink: EventSink) -> None:
        self._sink = sink
        self._append = sink.append  # bound once: the per-event path skips the method lookup

    def _emit(self, event: Event) -> None:
        self._append(event)

    def _arm(self, at: float, kind: _Timer, subject: str, ref: object) -> None:
        self._seq += 1
        heapq.heappush(self._timers, (at, self._seq, kind, subject, ref))

    def _agent(self, agent_id: str) -> Agent:
        try:
            return self.agents[agent_id]
        except KeyError:
            raise UnknownObject(f"no agent {agent_id!r}") from None

    def _call(self, call_id: str) -> Call:
        try:
            return self.calls[call_id]
        except KeyError:
            raise UnknownObject(f"no call {call_id!r} in progress") from None

    def _queue(self, queue_id: str) -> Queue:
        try:
            return self.queues[queue_id]
        except KeyError:
            raise UnknownObject(f"no queue {queue_id!r}") from None

    def _set_state(self, agent: Agent, new: AgentState, now: float, *, reason: str = "",
                   call_id: str = "") -> None:
        old = agent.move(new, now)  # raises IllegalTransition before anything is written
        self._append(AgentStateChanged(at=now, agent_id=agent.agent_id, old=old, new=new,
                                           reason=reason, call_id=call_id))
        if old is AgentState.AVAILABLE:
            for queue_id in agent.queues:
                self.queues[queue_id].available.pop(agent.agent_id, None)
        if new is AgentState.PAUSED:
            agent.pause_reason = reason
            agent.pending_pause = ""
        elif new is AgentState.AVAILABLE:
            agent.pause_reason = ""

    # ------------------------------------------------------------------ agents

    def login(self, agent_id: str) -> None:
        """Log an agent in, available for calls."""
        agent = self._agent(agent_id)
        now = self.clock.now()
        self._set_state(agent, AgentState.AVAILABLE, now, reason="login")
        self._agent_free(agent, now)

    def logout(self, agent_id: str) -> None:
        """Log an agent out. Not while on a call; an offer ringing goes back to its queue."""
        agent = self._agent(agent_id)
        now = self.clock.now()
        if agent.state is AgentState.RESERVED:
            self._withdraw_offer(agent, now, to=AgentState.LOGGED_OUT, reason="logout")
            return
        self._set_state(agent, AgentState.LOGGED_OUT, now, reason="logout")

    def pause(self, agent_id: str, reason: str = "break") -> None:
        """Pause an agent. While on a call the pause is taken when the wrap-up ends."""
        agent = self._agent(agent_id)
        if agent.state in (AgentState.TALKING, AgentState.ON_HOLD):
            agent.pending_pause = reason or "break"
            return
        now = self.clock.now()
        if agent.state is AgentState.RESERVED:
            self._withdraw_offer(agent, now, to=AgentState.PAUSED, reason=reason)
            return
        self._set_state(agent, AgentState.PAUSED, now, reason=reason or "break")

    def ready(self, agent_id: str) -> None:
        """Make an agent available: from a pause, from wrap-up (ending it early), or a login."""
        agent = self._agent(agent_id)
        if agent.state is AgentState.LOGGED_OUT:
            self.login(agent_id)
            return
        if agent.state not in (AgentState.PAUSED, AgentState.WRAP_UP):
            raise IllegalTransition(f"agent {agent_id}: cannot become ready while "
                                    f"{agent.state.value}")
        agent.pending_pause = ""
        now = self.clock.now()
        self._set_state(agent, AgentState.AVAILABLE, now, reason="ready")
        self._agent_free(agent, now)

    def _agent_free(self, agent: Agent, now: float) -> None:
        """An agent became available: give them the best call waiting, or list them as free."""
        best: Entry | None = None
        best_rank: tuple[float, float, int] = (0.0, 0.0, 0)
        queues = self.queues
        for queue_id in agent.queues:
            queue = queues[queue_id]
            if not queue.waiting:
                continue
            entry = queue.first_for(agent)
            if entry is None:
                continue
            config = queue.config
            score = config.priority + entry.priority + config.ageing * (now - entry.enqueued_at)
            rank = (-score, entry.first_queued_at, entry.seq)
            if best is None or rank < best_rank:
                best, best_rank = entry, rank
        if best is not None:
            self._offer(best, agent, queues[best.queue_id], now)
            return
        for queue_id in agent.queues:
            queues[queue_id].available[agent.agent_id] = agent

    # ------------------------------------------------------------------ calls

    def call_arrived(self, call_id: str, *, caller: str = "", entry: str = "",
                     direction: Direction = Direction.INBOUND, tenant: str = "") -> None:
        """A new call reached the center (before the IVR or the queue)."""
        if call_id in self.calls:
            raise ConfigError(f"call {call_id!r} is already in progress")
        self._emit(CallArrived(at=self.clock.now(), call_id=call_id, direction=direction,
                               caller=caller, entry=entry, tenant=tenant))
        self.calls[call_id] = Call(call_id, caller, direction, tenant)

    def enqueue(self, call_id: str, queue_id: str, *, priority: int = 0,
                skills: Iterable[tuple[str, int]] = ()) -> None:
        """Put a call in a queue (from the IVR, or directly) and route it if an agent is free."""
        call = self._call(call_id)
        queue = self._queue(queue_id)
        if call.state is not CallState.NEW:
            raise IllegalTransition(f"call {call_id}: cannot queue while {call.state.value}")
        now = self.clock.now()
        self._queue_call(call, queue, now, priority=priority,
                         skills=tuple(skills), first_queued_at=now)

    def _queue_call(self, call: Call, queue: Queue, now: float, *, priority: int,
                    skills: tuple[tuple[str, int], ...], first_queued_at: float) -> None:
        config = queue.config
        required = config.skills + skills if skills else config.skills
        self._emit(CallQueued(at=now, call_id=call.call_id, queue_id=config.queue_id,
                              priority=priority, skills=skills))
        self._seq += 1
        entry = Entry(call.call_id, config.queue_id, priority, required, now, first_queued_at,
                      self._seq, priority - config.ageing * now)
        call.entry = entry
        call.state = CallState.QUEUED
        call.epoch += 1
        self._arm_queue_timers(entry, now)
        queue.push(entry)
        if queue.available:
            agent = STRATEGY_TABLE[config.strategy](queue.available.values(), required, now)
            if agent is not None:
                self._offer(entry, agent, queue, now)

    def _arm_queue_timers(self, entry: Entry, now: float) -> None:
        config = self.queues[entry.queue_id].config
        if config.overflow_after:
            self._arm(max(now, entry.enqueued_at + config.overflow_after), _Timer.OVERFLOW,
                      entry.call_id, entry)
        if config.max_wait:
            self._arm(max(now, entry.enqueued_at + config.max_wait), _Timer.MAX_WAIT,
                      entry.call_id, entry)

    def _offer(self, entry: Entry, agent: Agent, queue: Queue, now: float) -> None:
        call = self.calls[entry.call_id]
        queue.remove(entry)
        self._emit(CallOffered(at=now, call_id=call.call_id, agent_id=agent.agent_id,
                               queue_id=entry.queue_id))
        self._set_state(agent, AgentState.RESERVED, now, call_id=call.call_id)
        agent.call_id = call.call_id
        agent.last_offer = now
        call.state = CallState.RINGING
        call.agent_id = agent.agent_id
        call.epoch += 1
        if queue.config.ring_timeout:
            self._arm(now + queue.config.ring_timeout, _Timer.RONA, call.call_id, call.epoch)
        self.port.ring_agent(call.call_id, agent.agent_id)

    def _withdraw_offer(self, agent: Agent, now: float, *, to: AgentState, reason: str) -> None:
        """Take back a ringing offer from ``agent`` and put the call back at its place."""
        call = self.calls[agent.call_id]
        entry = call.entry
        assert entry is not None
        self.port.stop_ringing(call.call_id, agent.agent_id)
        self._set_state(agent, to, now, reason=reason, call_id=call.call_id)
        agent.call_id = ""
        self._requeue(call, entry, now)
        if to is AgentState.AVAILABLE:
            self._agent_free(agent, now)

    def _requeue(self, call: Call, entry: Entry, now: float) -> None:
        queue = self.queues[entry.queue_id]
        self._emit(CallQueued(at=now, call_id=call.call_id, queue_id=entry.queue_id,
                              priority=entry.priority, requeued=True))
        call.state = CallState.QUEUED
        call.agent_id = ""
        call.epoch += 1
        queue.push(entry)
        self._arm_queue_timers(entry, now)
        if queue.available:
            strategy = STRATEGY_TABLE[queue.config.strategy]
            agent = strategy(queue.available.values(), entry.skills, now)
            if agent is not None:
                self._offer(entry, agent, queue, now)

    def offer_answered(self, call_id: str, agent_id: str) -> None:
        """The agent picked up the offered call: connect them."""
        call = self._call(call_id)
        if call.state is not CallState.RINGING or call.agent_id != agent_id:
            raise IllegalTransition(f"call {call_id} is not ringing agent {agent_id}")
        agent = self.agents[agent_id]
        entry = call.entry
        assert entry is not None
        now = self.clock.now()
        self._emit(CallAnswered(at=now, call_id=call_id, agent_id=agent_id,
                                queue_id=entry.queue_id, wait=now - entry.enqueued_at,
                                total_wait=now - entry.first_queued_at))
        self._set_state(agent, AgentState.TALKING, now, call_id=call_id)
        agent.calls_today += 1
        call.state = CallState.TALKING
        call.answered_at = now
        call.epoch += 1
        if entry.callback:
            self.port.originate(call_id, entry.callback, agent_id)
        else:
            self.port.bridge(call_id, agent_id)

    def caller_hung_up(self, call_id: str) -> None:
        """The caller hung up, wherever the call stood."""
        call = self._call(call_id)
        now = self.clock.now()
        state = call.state
        entry = call.entry
        if state is CallState.NEW:
            self._end(call, now, EndReason.CALLER_HANGUP)
        elif state is CallState.QUEUED:
            assert entry is not None
            if entry.callback:
                return  # the caller's leg is gone already; the callback keeps the place
            self.queues[entry.queue_id].remove(entry)
            self._emit(CallAbandoned(at=now, call_id=call_id, queue_id=entry.queue_id,
                                     wait=now - entry.enqueued_at))
            self._end(call, now, EndReason.CALLER_HANGUP)
        elif state is CallState.RINGING:
            assert entry is not None
            agent = self.agents[call.agent_id]
            self.port.stop_ringing(call_id, agent.agent_id)
            self._emit(CallAbandoned(at=now, call_id=call_id, queue_id=entry.queue_id,
                                     wait=now - entry.enqueued_at))
            self._end(call, now, EndReason.CALLER_HANGUP)
            self._set_state(agent, AgentState.AVAILABLE, now, reason="caller_hangup",
                            call_id=call_id)
            agent.call_id = ""
            self._agent_free(agent, now)
        elif state in (CallState.TALKING, CallState.ON_HOLD):
            self.port.hang_up(call_id)  # the agent's side of the call
            self._finish_talk(call, now, EndReason.CALLER_HANGUP)
        else:
            raise IllegalTransition(f"call {call_id} has ended already")

    def agent_hung_up(self, call_id: str) -> None:
        """The agent ended the conversation."""
        call = self._call(call_id)
        if call.state not in (CallState.TALKING, CallState.ON_HOLD):
            raise IllegalTransition(f"call {call_id}: nothing to hang up while "
                                    f"{call.state.value}")
        self.port.hang_up(call_id)
        self._finish_talk(call, self.clock.now(), EndReason.AGENT_HANGUP)

    def end_in_ivr(self, call_id: str) -> None:
        """The IVR served the caller by itself (self-service): the call ends there."""
        call = self._call(call_id)
        if call.state is not CallState.NEW:
            raise IllegalTransition(f"call {call_id} has left the IVR")
        self.port.hang_up(call_id)
        self._end(call, self.clock.now(), EndReason.SERVED_BY_IVR)

    def _end(self, call: Call, now: float, reason: EndReason, agent_id: str = "") -> None:
        self._emit(CallEnded(at=now, call_id=call.call_id, reason=reason, agent_id=agent_id))
        call.state = CallState.ENDED
        call.epoch += 1
        del self.calls[call.call_id]

    def _finish_talk(self, call: Call, now: float, reason: EndReason) -> None:
        agent = self.agents[call.agent_id]
        self._end(call, now, reason, agent.agent_id)
        self._start_wrap(agent, call, now)

    def _start_wrap(self, agent: Agent, call: Call, now: float) -> None:
        entry = call.entry
        assert entry is not None
        queue = self.queues[entry.queue_id]
        self._set_state(agent, AgentState.WRAP_UP, now, call_id=call.call_id)
        wrap = queue.config.wrap_up
        queue.learn_handle_time(now - call.answered_at + wrap)
        if wrap:
            self._arm(now + wrap, _Timer.WRAP_UP, agent.agent_id, now)
        else:
            self._end_wrap(agent, now)

    def _end_wrap(self, agent: Agent, now: float) -> None:
        call_id = agent.call_id
        agent.call_id = ""
        if agent.pending_pause:
            self._set_state(agent, AgentState.PAUSED, now, reason=agent.pending_pause,
                            call_id=call_id)
            return
        self._set_state(agent, AgentState.AVAILABLE, now, reason="wrap_up_done", call_id=call_id)
        self._agent_free(agent, now)

    def hold(self, call_id: str) -> None:
        """The agent puts the caller on hold."""
        call = self._call(call_id)
        if call.state is not CallState.TALKING:
            raise IllegalTransition(f"call {call_id}: cannot hold while {call.state.value}")
        now = self.clock.now()
        self._emit(CallHeld(at=now, call_id=call_id, agent_id=call.agent_id))
        self._set_state(self.agents[call.agent_id], AgentState.ON_HOLD, now, call_id=call_id)
        call.state = CallState.ON_HOLD
        self.port.hold(call_id)

    def resume(self, call_id: str) -> None:
        """The agent takes the caller off hold."""
        call = self._call(call_id)
        if call.state is not CallState.ON_HOLD:
            raise IllegalTransition(f"call {call_id}: not on hold")
        now = self.clock.now()
        self._emit(CallResumed(at=now, call_id=call_id, agent_id=call.agent_id))
        self._set_state(self.agents[call.agent_id], AgentState.TALKING, now, call_id=call_id)
        call.state = CallState.TALKING
        self.port.resume(call_id)

    def transfer_to_queue(self, call_id: str, queue_id: str, *, priority: int | None = None,
                          skills: Iterable[tuple[str, int]] = ()) -> None:
        """Blind transfer to a queue: the agent goes to wrap-up, the caller waits there."""
        call = self._call(call_id)
        queue = self._queue(queue_id)
        if call.state not in (CallState.TALKING, CallState.ON_HOLD):
            raise IllegalTransition(f"call {call_id}: cannot transfer while {call.state.value}")
        now = self.clock.now()
        agent = self.agents[call.agent_id]
        old_entry = call.entry
        assert old_entry is not None
        self._emit(CallTransferred(at=now, call_id=call_id, from_agent=agent.agent_id,
                                   to_queue=queue_id))
        self._start_wrap(agent, call, now)
        call.agent_id = ""
        self._queue_call(call, queue, now,
                         priority=old_entry.priority if priority is None else priority,
                         skills=tuple(skills), first_queued_at=now)

    def transfer_to_agent(self, call_id: str, agent_id: str) -> None:
        """Transfer to a named agent, who must be available; it rings them at once."""
        call = self._call(call_id)
        target = self._agent(agent_id)
        if call.state not in (CallState.TALKING, CallState.ON_HOLD):
            raise IllegalTransition(f"call {call_id}: cannot transfer while {call.state.value}")
        if target.state is not AgentState.AVAILABLE:
            raise NotAvailable(f"agent {agent_id} is {target.state.value}, not available")
        now = self.clock.now()
        agent = self.agents[call.agent_id]
        old_entry = call.entry
        assert old_entry is not None
        self._emit(CallTransferred(at=now, call_id=call_id, from_agent=agent.agent_id,
                                   to_agent=agent_id))
        self._start_wrap(agent, call, now)
        self._seq += 1
        entry = Entry(call_id, old_entry.queue_id, old_entry.priority, (), now, now, self._seq,
                      float(old_entry.priority))
        entry.active = False
        call.entry = entry
        self._offer(entry, target, self.queues[entry.queue_id], now)

    def transferred_away(self, call_id: str, to: str = "") -> None:
        """The agent's phone transferred the caller away by itself (a SIP REFER, blind or
        attended, to an extension, a number or the echo test): the call leaves the center.

        Recorded as a transfer (``to_agent`` when ``to`` is one of the center's agents) and
        the call ends with reason ``transferred``; the agent goes to wrap-up. The legs are the
        telephony's business: nothing is hung up here.
        """
        call = self._call(call_id)
        if call.state not in (CallState.TALKING, CallState.ON_HOLD):
            raise IllegalTransition(f"call {call_id}: cannot transfer while {call.state.value}")
        now = self.clock.now()
        agent = self.agents[call.agent_id]
        self._emit(CallTransferred(at=now, call_id=call_id, from_agent=agent.agent_id,
                                   to_agent=to if to in self.agents else ""))
        self._end(call, now, EndReason.TRANSFERRED, agent.agent_id)
        self._start_wrap(agent, call, now)

    def request_callback(self, call_id: str, number: str) -> None:
        """A waiting caller asks to be called back: the caller hangs up, the place is kept."""
        call = self._call(call_id)
        entry = call.entry
        if call.state is not CallState.QUEUED or entry is None:
            raise IllegalTransition(f"call {call_id}: a callback is only for a waiting call")
        if not number:
            raise ConfigError("a callback needs a number to call")
        self._emit(CallbackRequested(at=self.clock.now(), call_id=call_id,
                                     queue_id=entry.queue_id, number=number))
        entry.callback = number
        self.port.hang_up(call_id)

    def disposition(self, call_id: str, agent_id: str, code: str, *, success: bool = False,
                    resolved: bool = False, note: str = "") -> None:
        """Record the agent's disposition code for a call (usually during wrap-up)."""
        self._agent(agent_id)
        if not code:
            raise ConfigError("a disposition needs a code")
        self._emit(Disposition(at=self.clock.now(), call_id=call_id, agent_id=agent_id,
                               code=code, success=success, resolved=resolved, note=note))

    def survey(self, call_id: str, score: int) -> None:
        """Record a post-call CSAT answer (1-5)."""
        self._emit(SurveyAnswered(at=self.clock.now(), call_id=call_id, score=score))

    # ------------------------------------------------------------------ timers

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or None."""
        return self._timers[0][0] if self._timers else None

    def handle_timer(self, now: float) -> None:
        """Fire every timer due at or before ``now``."""
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, kind, subject, ref = heapq.heappop(timers)
            _HANDLERS[kind](self, subject, ref)

    def offer_failed(self, call_id: str, agent_id: str) -> None:
        """The agent's phone refused or could not take the offer (busy, unreachable).

        Treated as ring-no-answer at once: the call goes back to its place and the agent is
        paused, so that the next offer goes to someone who can take it.
        """
        call = self._call(call_id)
        if call.state is not CallState.RINGING or call.agent_id != agent_id:
            raise IllegalTransition(f"call {call_id} is not ringing agent {agent_id}")
        self._on_rona(call_id, call.epoch)

    def _on_rona(self, call_id: str, epoch: object) -> None:
        call = self.calls.get(call_id)
        if call is None or call.epoch != epoch or call.state is not CallState.RINGING:
            return
        entry = call.entry
        assert entry is not None
        agent = self.agents[call.agent_id]
        now = self.clock.now()
        self._emit(CallOfferTimedOut(at=now, call_id=call_id, agent_id=agent.agent_id,
                                     queue_id=entry.queue_id))
        self._withdraw_offer(agent, now, to=AgentState.PAUSED,
                             reason=self.queues[entry.queue_id].config.rona_pause)

    def _on_queue_deadline(self, call_id: str, entry: object, *, overflow: bool) -> None:
        call = self.calls.get(call_id)
        if call is None or call.entry is not entry or call.state is not CallState.QUEUED:
            return
        assert isinstance(entry, Entry)
        queue = self.queues[entry.queue_id]
        target = queue.config.overflow_to if overflow else queue.config.max_wait_to
        now = self.clock.now()
        queue.remove(entry)
        if target:
            self._emit(CallOverflowed(at=now, call_id=call_id, from_queue=entry.queue_id,
                                      to_queue=target, waited=now - entry.enqueued_at))
            self._queue_call(call, self.queues[target], now, priority=entry.priority, skills=(),
                             first_queued_at=entry.first_queued_at)
        else:
            if not entry.callback:
                self.port.hang_up(call_id)
            self._end(call, now, EndReason.MAX_WAIT)

    def _on_overflow(self, call_id: str, entry: object) -> None:
        self._on_queue_deadline(call_id, entry, overflow=True)

    def _on_max_wait(self, call_id: str, entry: object) -> None:
        self._on_queue_deadline(call_id, entry, overflow=False)

    def _on_wrap_up(self, agent_id: str, started: object) -> None:
        agent = self.agents[agent_id]
        if agent.state is AgentState.WRAP_UP and agent.since == started:
            self._end_wrap(agent, self.clock.now())

    # ------------------------------------------------------------------ live figures

    def position(self, call_id: str) -> int:
        """The waiting call's position in its queue (1: next)."""
        call = self._call(call_id)
        if call.state is not CallState.QUEUED or call.entry is None:
            raise IllegalTransition(f"call {call_id} is not waiting")
        return self.queues[call.entry.queue_id].position(call.entry)

    def expected_wait(self, call_id: str) -> float:
        """Expected wait (seconds) for a waiting call, for announcements."""
        call = self._call(call_id)
        if call.entry is None:
            raise IllegalTransition(f"call {call_id} is not waiting")
        queue = self.queues[call.entry.queue_id]
        return queue.expected_wait(self.position(call_id))

    def queue_status(self, queue_id: str) -> QueueStatus:
        """Live figures of one queue."""
        queue = self._queue(queue_id)
        now = self.clock.now()
        longest = max((now - e.enqueued_at for e in queue.entries()), default=0.0)
        staffed = sum(1 for a in queue.members.values()
                      if a.state is not AgentState.LOGGED_OUT and a.state is not AgentState.PAUSED)
        return QueueStatus(queue_id=queue_id, waiting=queue.waiting, longest_wait=longest,
                           available=len(queue.available), staffed=staffed,
                           expected_wait=queue.expected_wait(queue.waiting + 1))

    def busy_agents(self) -> int:
        """Agents handling a call now (reserved, talking, on hold, wrap-up)."""
        return sum(1 for a in self.agents.values() if a.state in BUSY_STATES)


_HANDLERS = {
    _Timer.RONA: ContactCenter._on_rona,
    _Timer.OVERFLOW: ContactCenter._on_overflow,
    _Timer.MAX_WAIT: ContactCenter._on_max_wait,
    _Timer.WRAP_UP: ContactCenter._on_wrap_up,
}
