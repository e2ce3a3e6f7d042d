"""The live contact centers the API controls: one :class:`ContactCenter` per tenant.

Theory of operation
-------------------
:class:`CenterService` holds each tenant's center and one re-entrant lock: the core is
synchronous and not thread-safe, so every operation (from API worker threads, the timer loop,
or the telephony layer, which must take :attr:`CenterService.lock` too) runs under it. Each
center's sink is wrapped so that every event, once appended to the real sink (the durable log),
is also reported to the listeners (the live feed, the metrics) with its tenant; the queues an
event concerns are marked dirty and their figures published after the operation, when the
center has applied the change (the sink sees an event before the center acts on it).

Supervisor monitoring (listen, whisper, barge) goes to a :class:`MonitorPort`: the media engine
implements it; without one, :class:`RecordingMonitor` keeps the requests so they are visible.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from switchboard.core.agents import Agent as CoreAgent
from switchboard.core.center import ContactCenter
from switchboard.core.clock import Clock, RealClock
from switchboard.core.errors import ConfigError, UnknownObject
from switchboard.core.events import AgentStateChanged, Event
from switchboard.core.ports import CallControl, EventSink
from switchboard.store import models as m
from switchboard.store.eventlog import DurableEventLog

__all__ = [
    "CenterService",
    "EventListener",
    "MonitorPort",
    "MonitorRequest",
    "NullCallControl",
    "RecordingMonitor",
    "core_agent",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
EventListener = Callable[[str, Event], None]
"""``listener(tenant, event)``, called after the event is durably appended."""

_QUEUE_FIELDS = ("queue_id", "from_queue", "to_queue")


class MonitorPort(Protocol):
    """The media side of supervisor monitoring."""

    def monitor(self, call_id: str, agent_id: str, supervisor: str, mode: str) -> None:
        """Connect ``supervisor`` to the call: ``listen``, ``whisper`` (to the agent) or
        ``barge`` (to both)."""
        ...


@dataclass(frozen=True, slots=True)
class MonitorRequest:
    """A monitoring request as :class:`RecordingMonitor` keeps it."""

    call_id: str
    agent_id: str
    supervisor: str
    mode: str


class RecordingMonitor:
    """A :class:`MonitorPort` that only remembers the requests (no media engine attached)."""

    def __init__(self) -> None:
        self.requests: list[MonitorRequest] = []

    def monitor(self, call_id: str, agent_id: str, supervisor: str, mode: str) -> None:
        self.requests.append(MonitorRequest(call_id, agent_id, supervisor, mode))


class NullCallControl:
    """A CallControl that does nothing: a center without telephony (the API alone, tests)."""

    def answer(self, call_id: str) -> None: ...
    def play(self, call_id: str, prompt: str) -> None: ...
    def ring_agent(self, call_id: str, agent_id: str) -> None: ...
    def stop_ringing(self, call_id: str, agent_id: str) -> None: ...
    def bridge(self, call_id: str, agent_id: str) -> None: ...
    def hold(self, call_id: str) -> None: ...
    def resume(self, call_id: str) -> None: ...
    def originate(self, call_id: str, number: str, agent_id: str) -> None: ...
    def hang_up(self, call_id: str) -> None: ...


class _Tee:
    """Wraps a center's sink: append to it, then tell the service."""

    def __init__(self, inner: EventSink, tenant: str, service: CenterService) -> None:
        self.inner = inner
        self.tenant = tenant
        self.service = service

    def append(self, event: Event) -> None:
        self.inner.append(event)
        self.service._observed(self.tenant, event)


def core_agent(row: m.Agent) -> CoreAgent:
    """The core's agent for a stored agent row (skills and queues loaded)."""
    return CoreAgent(row.key, name=row.name, capacity=row.capacity,
                     skills={s.skill.name: s.level for s in row.skills},
                     queues=[q.queue.key for q in row.memberships])


class CenterService:
    """The tenants' live centers, under one lock. See the module docstring."""

    def __init__(self, centers: Mapping[str, ContactCenter], *,
                 monitor: MonitorPort | None = None, build: Callable[[str], ContactCenter]
                 | None = None) -> None:
        self.lock = threading.RLock()
        """Hold it for any use of a center (the telephony layer too)."""
        self.monitor: MonitorPort = monitor if monitor is not None else RecordingMonitor()
        self._centers: dict[str, ContactCenter] = {}
        self._build = build
        self._listeners: list[EventListener] = []
        self._status_listeners: list[Callable[[str, dict[str, Any]], None]] = []
        self._dirty: dict[str, set[str]] = {}
        for tenant, center in centers.items():
            self.attach(tenant, center)

    # ------------------------------------------------------------------ wiring

    def attach(self, tenant: str, center: ContactCenter) -> None:
        """Serve ``center`` as ``tenant``'s (its sink is wrapped to observe events)."""
        with self.lock:
            if not isinstance(center.sink, _Tee):
                center.sink = _Tee(center.sink, tenant, self)
            self._centers[tenant] = center

    def listen(self, listener: EventListener) -> None:
        """Call ``listener(tenant, event)`` for every event of every center."""
        self._listeners.append(listener)

    @property
    def tenants(self) -> list[str]:
        """Tenants with a live center."""
        return list(self._centers)

    def center(self, tenant: str) -> ContactCenter:
        """The tenant's center (built on first use when the service can build one)."""
        center = self._centers.get(tenant)
        if center is None:
            if self._build is None:
                raise UnknownObject(f"tenant {tenant!r} has no live center")
            with self.lock:
                center = self._centers.get(tenant)
                if center is None:
                    center = self._build(tenant)
                    self.attach(tenant, center)
        return center

    def run(self, tenant: str, action: Callable[[ContactCenter], T]) -> T:
        """Run ``action(center)`` under the lock; publish the queue figures it changed."""
        with self.lock:
            center = self.center(tenant)
            try:
                return action(center)
            finally:
                self.flush()

    # ------------------------------------------------------------------ events

    def _observed(self, tenant: str, event: Event) -> None:
        dirty = self._dirty.setdefault(tenant, set())
        for name in _QUEUE_FIELDS:
            queue = getattr(event, name, "")
            if queue:
                dirty.add(queue)
        if isinstance(event, AgentStateChanged):
            center = self._centers.get(tenant)
            agent = center.agents.get(event.agent_id) if center is not None else None
            if agent is not None:
                dirty.update(agent.queues)
        for listener in self._listeners:
            try:
                listener(tenant, event)
            except Exception:
                log.exception("event listener failed on %s", type(event).__name__)

    def flush(self) -> list[tuple[str, dict[str, Any]]]:
        """Publish the figures of the queues changed since the last flush; return them."""
        out: list[tuple[str, dict[str, Any]]] = []
        with self.lock:
            dirty, self._dirty = self._dirty, {}
            for tenant, queues in dirty.items():
                center = self._centers.get(tenant)
                if center is None:
                    continue
                for queue_id in sorted(queues):
                    if queue_id in center.queues:
                        out.append((tenant, self.queue_figures(center, queue_id)))
        for listener in self._status_listeners:
            for tenant, status in out:
                listener(tenant, status)
        return out

    def listen_status(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        """Call ``listener(tenant, figures)`` when a queue's figures change."""
        self._status_listeners.append(listener)

    @staticmethod
    def queue_figures(center: ContactCenter, queue_id: str) -> dict[str, Any]:
        """A queue's live figures as JSON-able values (infinite waits as None)."""
        status = center.queue_status(queue_id)
        wait = status.expected_wait
        return {"key": status.queue_id, "waiting": status.waiting,
                "longest_wait": status.longest_wait, "available": status.available,
                "staffed": status.staffed,
                "expected_wait": wait if math.isfinite(wait) else None}

    # ------------------------------------------------------------------ timers

    def next_timer(self) -> float | None:
        """The earliest timer of any center."""
        with self.lock:
            deadlines = [t for c in self._centers.values() if (t := c.get_timer()) is not None]
        return min(deadlines) if deadlines else None

    def tick(self) -> None:
        """Fire every timer that is due, on each center's own clock."""
        with self.lock:
            for center in self._centers.values():
                deadline = center.get_timer()
                if deadline is not None and deadline <= center.clock.now():
                    center.handle_timer(center.clock.now())
            self.flush()

    # ------------------------------------------------------------------ configuration

    def add_queue(self, tenant: str, row: m.Queue) -> None:
        """A queue was created: the tenant's live center learns it."""
        with self.lock:
            center = self._centers.get(tenant)
            if center is not None and row.key not in center.queues:
                center.add_queue(row.to_config())

    def add_agent(self, tenant: str, row: m.Agent) -> None:
        """An agent was created: the tenant's live center learns it (logged out)."""
        with self.lock:
            center = self._centers.get(tenant)
            if center is not None and row.key not in center.agents:
                center.add_agent(core_agent(row))

    def close(self) -> None:
        """Close the sinks that can be closed (the durable logs)."""
        with self.lock:
            for center in self._centers.values():
                sink = center.sink.inner if isinstance(center.sink, _Tee) else center.sink
                close = getattr(sink, "close", None)
                if callable(close):
                    close()

    # ------------------------------------------------------------------ from the store

    @classmethod
    def from_store(cls, engine: Engine, *, port: CallControl | None = None,
                   clock: Clock | None = None, monitor: MonitorPort | None = None,
                   tenants: Iterable[str] | None = None) -> CenterService:
        """A center per active tenant, configured from its queues and agents, on a
        :class:`~switchboard.store.eventlog.DurableEventLog` (tenants created later get
        theirs on first use)."""
        the_port: CallControl = port if port is not None else NullCallControl()
        the_clock: Clock = clock if clock is not None else RealClock()

        def build(tenant: str) -> ContactCenter:
            center = ContactCenter(clock=the_clock, port=the_port,
                                   sink=DurableEventLog(engine, tenant=tenant))
            load_center(engine, tenant, center)
            return center

        service = cls({}, monitor=monitor, build=build)
        with Session(engine) as session:
            slugs = list(tenants) if tenants is not None else list(session.scalars(
                sa.select(m.Tenant.slug).where(m.Tenant.active).order_by(m.Tenant.id)))
        for slug in slugs:
            service.attach(slug, build(slug))
        return service


def load_center(engine: Engine, tenant: str, center: ContactCenter) -> None:
    """Add the tenant's stored queues and active agents to ``center``."""
    with Session(engine) as session:
        queues = session.scalars(
            sa.select(m.Queue).join(m.Tenant).where(m.Tenant.slug == tenant)
            .options(selectinload(m.Queue.skills).selectinload(m.QueueSkill.skill),
                     selectinload(m.Queue.tenant)).order_by(m.Queue.id)).all()
        for queue in queues:
            center.add_queue(queue.to_config())
        agents = session.scalars(
            sa.select(m.Agent).join(m.Tenant).where(m.Tenant.slug == tenant, m.Agent.active)
            .options(selectinload(m.Agent.skills).selectinload(m.AgentSkill.skill),
                     selectinload(m.Agent.memberships).selectinload(m.AgentQueue.queue))
            .order_by(m.Agent.id)).all()
        for agent in agents:
            center.add_agent(core_agent(agent))
    try:
        center.check()
    except ConfigError as exc:
        log.warning("tenant %s: %s", tenant, exc)
