"""The discrete-event simulator: the real :class:`ContactCenter` on a virtual clock.

Theory of operation
-------------------
One heap holds the simulated world's future events as ``(time, seq, handler, argument)``;
``seq`` breaks ties in scheduling order, so a run is a pure function of its model and seed. The
center keeps its own timers (ring-no-answer, overflow, wrap-up); the loop always runs whichever
comes first, the world's next event or the center's next timer, after moving the virtual clock
there.

The world talks to the center as a telephony layer would: callers arrive
(``call_arrived`` / ``enqueue``), hang up when their patience runs out (``caller_hung_up``);
agents' phones ring through the :class:`SimPort` (the simulator's ``CallControl``), agents
answer after a ring delay, talk for a drawn handle time, sometimes hold or transfer, and
follow their shifts and breaks. Everything the center decides goes through the same code as in
production and lands in the same event log, which the KPIs are computed from.
"""

from __future__ import annotations

import gc
import heapq
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from switchboard.core.agents import Agent
from switchboard.core.center import CallState, ContactCenter
from switchboard.core.clock import VirtualClock
from switchboard.core.events import AgentState
from switchboard.core.log import EventLog
from switchboard.core.metrics import Metrics
from switchboard.core.queues import QueueConfig
from switchboard.sim.distributions import Distribution, expovariate

Handler = Callable[[Any], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueSpec:
    """A queue and how its simulated calls behave."""

    config: QueueConfig
    handle: Distribution
    """Talk time (hold excluded) of a call answered from this queue."""
    patience: Distribution | None = None
    """How long a caller waits before hanging up; None: callers never abandon."""
    ring_delay: float = 0.0
    """Seconds an agent's phone rings before the agent answers."""
    no_answer: float = 0.0
    """Probability that an agent lets an offer ring out (ring-no-answer)."""
    hold: float = 0.0
    """Probability that a call is put on hold once, half-way through."""
    hold_time: Distribution | None = None
    transfer_to: str = ""
    transfer: float = 0.0
    """Probability that the agent transfers the call to ``transfer_to`` at the end of talk."""
    callback: float = 0.0
    """Probability that a waiting caller asks for a callback when first queued."""
    repeat: float = 0.0
    """Probability that a handled caller calls again (not resolved: lowers FCR)."""
    repeat_after: float = 86400.0
    """Mean delay before that repeat call (exponential)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EntrySpec:
    """An entry point (a number callers dial): arrival rate and where the IVR sends them."""

    entry_id: str
    calls_per_hour: float
    profile: tuple[float, ...] = (1.0,)
    """Relative arrival rate hour by hour from the start (cycled); 1.0 means the base rate."""
    branches: tuple[tuple[str, float], ...] = ()
    """IVR choices as (queue id, probability); an empty queue id is self-service in the IVR."""
    ivr_time: float = 0.0
    """Seconds spent in the IVR before being queued."""
    priority: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSpec:
    """A simulated agent and their working day (seconds from the start of the run)."""

    agent_id: str
    skills: tuple[tuple[str, int], ...] = ()
    queues: tuple[str, ...] = ()
    shift: tuple[float, float] = (0.0, float("inf"))
    breaks: tuple[tuple[float, float], ...] = ()
    """(start, length) of each break."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Model:
    """Everything a run needs."""

    queues: tuple[QueueSpec, ...]
    entries: tuple[EntrySpec, ...]
    agents: tuple[AgentSpec, ...]
    duration: float
    """Seconds during which calls arrive."""
    interval: float = 1800.0
    drain: float = 4 * 3600.0
    """After ``duration``, keep running up to this long for calls still in progress."""
    keep_log: bool = False
    """Keep every event in memory (tests); KPIs are computed either way."""


class _SimCall:
    """The simulated caller behind one call (a plain class: one per call)."""

    __slots__ = ("caller", "entry", "held", "segment", "transferred")

    def __init__(self, entry: EntrySpec, caller: str) -> None:
        self.entry = entry
        self.caller = caller
        self.segment = 0
        self.held = False
        self.transferred = False


@dataclass(slots=True)
class Result:
    """What a run produced."""

    metrics: Metrics
    log: EventLog
    center: ContactCenter
    sim_events: int
    """Events of the simulated world that were processed (arrivals, answers, hang-ups ...)."""
    core_events: int
    """Events the core wrote to the log."""
    end: float
    calls: int = 0
    unfinished: list[str] = field(default_factory=list)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run a long simulation with the cyclic garbage collector mostly out of the way.

    A run allocates millions of short-lived objects (events, heap entries, calls) that die by
    reference counting and hold no cycles; CPython's default of a collection every 700
    allocations then spends ~10% of the run scanning the same live objects. The objects that
    exist before the run (the model, the center, the agents) are frozen out of collections,
    and young collections run 100x less often. Both are put back afterwards.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(70_000, threshold[1], threshold[2])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


class Simulation:
    """One run of a :class:`Model` with a seed. Call :meth:`run` once."""

    def __init__(self, model: Model, *, seed: int = 1) -> None:
        self.model = model
        self.rng = random.Random(seed)
        self.clock = VirtualClock()
        self.log = EventLog(keep=model.keep_log)
        thresholds = {q.config.queue_id: (q.config.sl_seconds, q.config.short_abandon)
                      for q in model.queues}
        self.metrics = Metrics(interval=model.interval, thresholds=thresholds)
        self.log.subscribe(self.metrics.observe)
        self.port = SimPort(self)
        self.center = ContactCenter(clock=self.clock, port=self.port, sink=self.log)
        self.specs = {q.config.queue_id: q for q in model.queues}
        for spec in model.queues:
            self.center.add_queue(spec.config)
        self.center.check()
        for a in model.agents:
            self.center.add_agent(Agent(a.agent_id, skills=dict(a.skills), queues=a.queues))
        self.calls: dict[str, _SimCall] = {}
        self._heap: list[tuple[float, int, Handler, Any]] = []
        self._seq = 0
        self._next_id = 0
        self.sim_events = 0

    # ------------------------------------------------------------------ scheduling

    def at(self, when: float, handler: Handler, arg: Any = None) -> None:
        """Schedule ``handler(arg)`` at virtual time ``when``."""
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, handler, arg))

    def start(self) -> None:
        """Schedule the first arrivals and every agent's shift (once, before advancing)."""
        for entry in self.model.entries:
            if entry.calls_per_hour > 0:
                self._schedule_arrival(entry, 0.0)
        for agent in self.model.agents:
            self._schedule_agent(agent)

    def advance(self, until: float, progress: Callable[[float], None] | None = None) -> bool:
        """Process everything due up to virtual time ``until``; False once the run is over."""
        heap = self._heap
        center = self.center
        clock = self.clock
        pop = heapq.heappop
        model = self.model
        horizon = model.duration + model.drain
        count = self.sim_events
        running = True
        while True:
            timer = center.get_timer()
            if heap and (timer is None or heap[0][0] <= timer):
                when = heap[0][0]
                if when > horizon or (when > model.duration and not center.calls):
                    running = False
                    break
                if when > until:
                    break
                _, _, handler, arg = pop(heap)
                clock.advance_to(when)
                handler(arg)
            elif timer is not None:
                if timer > horizon:
                    running = False
                    break
                if timer > until:
                    break
                clock.advance_to(max(timer, clock.now()))
                center.handle_timer(timer)
            else:
                running = False
                break
            count += 1
            if progress is not None and count % 20000 == 0:
                progress(min(1.0, clock.now() / model.duration))
        self.sim_events = count
        if running and until > clock.now():
            clock.advance_to(until)
        return running

    def finish(self) -> Result:
        """Close the books: agent time up to now, and what the run produced."""
        end = self.clock.now()
        self.metrics.close(end)
        return Result(metrics=self.metrics, log=self.log, center=self.center,
                      sim_events=self.sim_events, core_events=self.log.count, end=end,
                      calls=self._next_id, unfinished=sorted(self.center.calls))

    def run(self, progress: Callable[[float], None] | None = None) -> Result:
        """Run to the end; ``progress(fraction)`` is called now and then."""
        self.start()
        with _fewer_collections():
            self.advance(float("inf"), progress)
        if progress is not None:
            progress(1.0)
        return self.finish()

    # ------------------------------------------------------------------ callers

    def _schedule_arrival(self, entry: EntrySpec, now: float) -> None:
        rate_max = entry.calls_per_hour * max(entry.profile) / 3600.0
        if rate_max <= 0:
            return
        rng = self.rng
        t = now
        profile = entry.profile
        flat = len(profile) == 1
        while True:
            t += expovariate(rng, rate_max)
            if t >= self.model.duration:
                return
            if flat or rng.random() * max(profile) < profile[int(t // 3600) % len(profile)]:
                break
        self.at(t, self._arrive, entry)

    def _arrive(self, entry: EntrySpec, caller: str = "") -> None:
        if not caller:
            self._schedule_arrival(entry, self.clock.now())
            caller = f"+1{int(self.rng.random() * 9e9) + 1_000_000_000}"
        self._next_id += 1
        call_id = f"c{self._next_id}"
        self.calls[call_id] = _SimCall(entry, caller)
        self.center.call_arrived(call_id, caller=caller, entry=entry.entry_id)
        if entry.ivr_time:
            self.at(self.clock.now() + entry.ivr_time, self._leave_ivr, call_id)
        else:
            self._leave_ivr(call_id)

    def _repeat(self, arg: tuple[EntrySpec, str]) -> None:
        self._arrive(arg[0], arg[1])

    def _leave_ivr(self, call_id: str) -> None:
        sim = self.calls[call_id]
        entry = sim.entry
        branches = entry.branches
        if len(branches) == 1:
            target = branches[0][0]
        else:
            r = self.rng.random()
            target = branches[-1][0]
            for queue_id, p in branches:
                if r < p:
                    target = queue_id
                    break
                r -= p
        if not target:
            del self.calls[call_id]
            self.center.end_in_ivr(call_id)
            return
        self._queue(call_id, target, entry.priority)

    def _queue(self, call_id: str, queue_id: str, priority: int) -> None:
        spec = self.specs[queue_id]
        sim = self.calls[call_id]
        sim.segment += 1
        self.center.enqueue(call_id, queue_id, priority=priority)
        self._after_queued(call_id, spec, sim)

    def _after_queued(self, call_id: str, spec: QueueSpec, sim: _SimCall) -> None:
        now = self.clock.now()
        if spec.callback and self.rng.random() < spec.callback:
            call = self.center.calls.get(call_id)
            if call is not None and call.state is CallState.QUEUED:
                self.center.request_callback(call_id, sim.caller)
                return
        if spec.patience is not None:
            self.at(now + spec.patience.sample(self.rng), self._give_up,
                    (call_id, sim.segment))

    def _give_up(self, arg: tuple[str, int]) -> None:
        call_id, segment = arg
        call = self.center.calls.get(call_id)
        sim = self.calls.get(call_id)
        if call is None or sim is None or sim.segment != segment:
            return
        if call.state is CallState.QUEUED or call.state is CallState.RINGING:
            if call.entry is not None and call.entry.callback:
                return
            del self.calls[call_id]
            self.center.caller_hung_up(call_id)

    # ------------------------------------------------------------------ agents

    def _schedule_agent(self, spec: AgentSpec) -> None:
        start, end = spec.shift
        self.at(start, self._login, spec.agent_id)
        for b_start, length in spec.breaks:
            self.at(b_start, self._break, spec.agent_id)
            self.at(b_start + length, self._back, spec.agent_id)
        if end != float("inf"):
            self.at(end, self._end_shift, spec.agent_id)

    def _login(self, agent_id: str) -> None:
        if self.center.agents[agent_id].state is AgentState.LOGGED_OUT:
            self.center.login(agent_id)

    def _break(self, agent_id: str) -> None:
        if self.center.agents[agent_id].state is not AgentState.LOGGED_OUT:
            self.center.pause(agent_id, "break")

    def _back(self, agent_id: str) -> None:
        agent = self.center.agents[agent_id]
        if agent.state is AgentState.PAUSED and agent.pause_reason == "break":
            self.center.ready(agent_id)
        elif agent.pending_pause == "break":
            agent.pending_pause = ""

    def _end_shift(self, agent_id: str) -> None:
        agent = self.center.agents[agent_id]
        if agent.state in (AgentState.AVAILABLE, AgentState.PAUSED, AgentState.WRAP_UP,
                           AgentState.RESERVED):
            self.center.logout(agent_id)
        elif agent.state is not AgentState.LOGGED_OUT:
            agent.pending_pause = "end_of_shift"
            self.at(self.clock.now() + 30.0, self._end_shift, agent_id)

    def _answer(self, arg: tuple[str, str, int]) -> None:
        call_id, agent_id, epoch = arg
        call = self.center.calls.get(call_id)
        if (call is not None and call.state is CallState.RINGING and call.agent_id == agent_id
                and call.epoch == epoch):
            self.center.offer_answered(call_id, agent_id)

    def _talk(self, call_id: str) -> None:
        call = self.center.calls.get(call_id)
        sim = self.calls.get(call_id)
        if call is None or sim is None or call.entry is None:
            return
        spec = self.specs[call.entry.queue_id]
        rng = self.rng
        talk = spec.handle.sample(rng)
        now = self.clock.now()
        if spec.hold and spec.hold_time is not None and not sim.held and rng.random() < spec.hold:
            sim.held = True
            self.at(now + talk / 2, self._hold, (call_id, spec.hold_time.sample(rng), talk / 2))
            return
        self.at(now + talk, self._end_talk, call_id)

    def _hold(self, arg: tuple[str, float, float]) -> None:
        call_id, hold, rest = arg
        call = self.center.calls.get(call_id)
        if call is None or call.state is not CallState.TALKING:
            return
        self.center.hold(call_id)
        self.at(self.clock.now() + hold, self._resume, (call_id, rest))

    def _resume(self, arg: tuple[str, float]) -> None:
        call_id, rest = arg
        call = self.center.calls.get(call_id)
        if call is None or call.state is not CallState.ON_HOLD:
            return
        self.center.resume(call_id)
        self.at(self.clock.now() + rest, self._end_talk, call_id)

    def _end_talk(self, call_id: str) -> None:
        call = self.center.calls.get(call_id)
        sim = self.calls.get(call_id)
        if call is None or sim is None or call.state is not CallState.TALKING:
            return
        assert call.entry is not None
        spec = self.specs[call.entry.queue_id]
        rng = self.rng
        if spec.transfer and not sim.transferred and rng.random() < spec.transfer:
            sim.transferred = True
            sim.segment += 1
            self.center.transfer_to_queue(call_id, spec.transfer_to)
            self._after_queued(call_id, self.specs[spec.transfer_to], sim)
            return
        del self.calls[call_id]
        self.center.caller_hung_up(call_id)
        if spec.repeat and rng.random() < spec.repeat:
            delay = expovariate(rng, 1.0 / spec.repeat_after)
            if self.clock.now() + delay < self.model.duration:
                self.at(self.clock.now() + delay, self._repeat, (sim.entry, sim.caller))


class SimPort:
    """The simulator's :class:`~switchboard.core.ports.CallControl`: simulated phones."""

    __slots__ = ("sim",)

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def answer(self, call_id: str) -> None:
        """The IVR answers: nothing to simulate."""

    def play(self, call_id: str, prompt: str) -> None:
        """Prompts take no simulated time beyond the IVR time."""

    def ring_agent(self, call_id: str, agent_id: str) -> None:
        """The agent answers after the queue's ring delay, or lets it ring out."""
        sim = self.sim
        call = sim.center.calls[call_id]
        entry = call.entry
        assert entry is not None
        spec = sim.specs[entry.queue_id]
        if spec.no_answer and sim.rng.random() < spec.no_answer:
            return
        if spec.ring_delay:
            sim.at(sim.clock.now() + spec.ring_delay, sim._answer,
                   (call_id, agent_id, call.epoch))
        else:
            # Picked up at once: the center has finished offering (ring_agent is its last act).
            sim.center.offer_answered(call_id, agent_id)

    def stop_ringing(self, call_id: str, agent_id: str) -> None:
        """Nothing to do: a pending answer checks that the offer still stands."""

    def bridge(self, call_id: str, agent_id: str) -> None:
        """Caller and agent talk for a drawn handle time."""
        self.sim._talk(call_id)

    def hold(self, call_id: str) -> None:
        """Music on hold: nothing to simulate."""

    def resume(self, call_id: str) -> None:
        """Off hold: nothing to simulate."""

    def originate(self, call_id: str, number: str, agent_id: str) -> None:
        """A callback: the customer answers at once and they talk."""
        self.sim._talk(call_id)

    def hang_up(self, call_id: str) -> None:
        """The caller's leg ends: forget the simulated caller."""
        call = self.sim.center.calls.get(call_id)
        if call is None or call.entry is None or not call.entry.callback:
            self.sim.calls.pop(call_id, None)
