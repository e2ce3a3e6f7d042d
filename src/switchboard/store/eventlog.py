"""The durable event log: the core's EventSink, backed by the ``events`` table.

Theory of operation
-------------------
:meth:`DurableEventLog.append` encodes the event (:mod:`~switchboard.store.codec`), takes the
next id from the one-row ``event_log_head`` table and inserts the event, in one transaction, and
returns only once the transaction has committed. The center appends each event before it acts on
it, so it only ever acts on logged events; if the database refuses, :class:`LogError` is raised
and the center changes nothing. On SQLite the engine from :func:`~switchboard.store.db.
create_engine` commits with ``synchronous=FULL``; on PostgreSQL with its default
``synchronous_commit=on``: a returned append survives a crash of the process and of the machine.

Ids are gap-free and become visible in id order: updating the head row locks it until the
inserting transaction ends, so appenders (threads or processes) take turns, and a rolled-back
append gives its id back. A reader that follows the log by id (``replay(since_id=...)``) never
misses an event that commits later with a smaller id.

Throughput. Each append is one transaction and one flush to disk, which bounds the rate at the
disk's sync rate (see ``docs/store.md``). Two ways to go faster, both still durable:

* :meth:`DurableEventLog.append_many` writes a batch in one transaction (one flush), for
  producers that have several events at once (imports, the simulator, a replay).
* **Group commit** (``DurableEventLog(engine, group_commit=True)``): appends from several threads
  are gathered by a writer thread and committed together; each ``append`` still returns only after
  the transaction holding its event has committed, so nothing is acted on unlogged. It pays when
  several threads append at once (one center per tenant, API workers); a single-threaded center
  gains nothing from it.

Subscribers (like the in-memory :class:`~switchboard.core.log.EventLog`'s) are called after the
commit, in id order; with group commit they run on the writer thread.

Recovery. :meth:`DurableEventLog.rebuild` replays the log after a crash into
:class:`LiveState` (who is logged in, which calls are up), closes what was open with events —
agents logged out with reason ``restart``, calls ended with reason ``SYSTEM``, at the time of the
last logged event — appends them, and builds a fresh center on the log: the center starts with
every agent logged out and no calls, which is exactly what the log now says.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from switchboard.core.events import (
    AgentState,
    AgentStateChanged,
    CallAnswered,
    CallArrived,
    CallEnded,
    CallHeld,
    CallOffered,
    CallOfferTimedOut,
    CallOverflowed,
    CallQueued,
    CallResumed,
    CallTransferred,
    EndReason,
    Event,
)
from switchboard.store import codec
from switchboard.store.errors import CodecError, LogError
from switchboard.store.models import EventLogHead, EventRecord

__all__ = [
    "DurableEventLog",
    "LiveState",
    "LoggedEvent",
    "OpenCall",
    "Recovery",
    "last_event_id",
    "replay",
]

Subscriber = Callable[[Event], None]
C = TypeVar("C")

_EVENTS = sa.Table("events", EventRecord.metadata)
_HEAD = sa.Table("event_log_head", EventLogHead.metadata)
_TENANT_MEMORY = 100_000
"""How many calls' tenants the log remembers, to tag the events that carry no tenant."""


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as stored: its log id and tenant, and the event itself."""

    id: int
    tenant: str
    event: Event


def _row(event: Event, event_id: int, tenant: str) -> dict[str, Any]:
    payload = codec.encode_payload(event)
    agent = getattr(event, "agent_id", "") or getattr(event, "from_agent", "")
    return {
        "id": event_id,
        "tenant": tenant,
        "at": payload["at"],
        "type": type(event).__name__,
        "call_id": getattr(event, "call_id", ""),
        "agent_id": agent,
        "payload": payload,
    }


def _logged(row: Any) -> LoggedEvent:
    try:
        event = codec.decode_payload(row.type, row.payload)
    except CodecError as exc:
        raise LogError(f"event {row.id}: {exc}") from None
    return LoggedEvent(row.id, row.tenant, event)


def replay(engine: Engine, since_id: int = 0, *, until_id: int | None = None,
           batch: int = 1000) -> Iterator[LoggedEvent]:
    """Every logged event with ``since_id < id`` (and ``id <= until_id``), in id order.

    Reads in batches of ``batch`` rows by id, so it neither holds a cursor open nor loads the
    whole log. A stored record that is not a valid event raises :class:`LogError` naming its id.
    """
    last = since_id
    while True:
        query = sa.select(_EVENTS.c.id, _EVENTS.c.tenant, _EVENTS.c.type, _EVENTS.c.payload)
        query = query.where(_EVENTS.c.id > last)
        if until_id is not None:
            query = query.where(_EVENTS.c.id <= until_id)
        query = query.order_by(_EVENTS.c.id).limit(batch)
        try:
            with engine.connect() as connection:
                rows = connection.execute(query).all()
        except SQLAlchemyError as exc:
            raise LogError(f"cannot read the event log: {exc}") from exc
        for row in rows:
            yield _logged(row)
        if len(rows) < batch:
            return
        last = rows[-1].id


def last_event_id(engine: Engine) -> int:
    """The id of the last committed event (0 for an empty log)."""
    try:
        with engine.connect() as connection:
            value = connection.execute(
                sa.select(_HEAD.c.last_id).where(_HEAD.c.id == 1)).scalar_one_or_none()
    except SQLAlchemyError as exc:
        raise LogError(f"cannot read the event log head: {exc}") from exc
    if value is None:
        raise LogError("the event log head row is missing: run the migrations")
    return int(value)


# ---------------------------------------------------------------------------------- live state


@dataclass(slots=True)
class OpenCall:
    """A call the log shows in progress."""

    call_id: str
    state: str
    """``new``, ``queued``, ``ringing``, ``talking``, ``on_hold`` or ``transferring``."""
    agent_id: str = ""
    """The agent it rings or talks to."""
    tenant: str = ""


@dataclass(slots=True)
class LiveState:
    """Who is logged in and which calls are up, folded from the log (for recovery).

    Calls open with ``CallArrived`` (or their first state event) and close with ``CallEnded``;
    agents are tracked from ``AgentStateChanged`` and dropped when they log out.
    """

    agents: dict[str, tuple[AgentState, str]] = field(default_factory=dict)
    """Agents not logged out: their state and the call it concerns."""
    calls: dict[str, OpenCall] = field(default_factory=dict)
    """Calls in progress, in arrival order."""
    last_at: float = 0.0
    """Time of the last event applied."""
    applied: int = 0

    def apply(self, event: Event) -> None:
        """Fold one event in."""
        self.applied += 1
        self.last_at = event.at
        if isinstance(event, AgentStateChanged):
            if event.new is AgentState.LOGGED_OUT:
                self.agents.pop(event.agent_id, None)
            else:
                self.agents[event.agent_id] = (event.new, event.call_id)
            return
        handler = _CALL_STATES.get(type(event))
        if handler is None:
            return
        call_id: str = getattr(event, "call_id", "")
        if isinstance(event, CallEnded):
            self.calls.pop(call_id, None)
            return
        call = self.calls.get(call_id)
        if call is None:
            call = self.calls[call_id] = OpenCall(call_id, "new")
        handler(call, event)

    def feed(self, events: Iterable[Event]) -> LiveState:
        """Fold a stream in; returns self."""
        for event in events:
            self.apply(event)
        return self

    def closing_events(self, at: float) -> list[Event]:
        """Events that end every open call (``SYSTEM``) and log every agent out (``restart``).

        Calls first (a call being talked on names its agent, whose wrap-up starts), then the
        agents, each through legal transitions of the agent state machine (talking and on hold
        go through wrap-up).
        """
        out: list[Event] = []
        for call in self.calls.values():
            talking = call.state in ("talking", "on_hold")
            out.append(CallEnded(at=at, call_id=call.call_id, reason=EndReason.SYSTEM,
                                 agent_id=call.agent_id if talking else ""))
        for agent_id, (state, call_id) in self.agents.items():
            old = state
            if state in (AgentState.TALKING, AgentState.ON_HOLD):
                out.append(AgentStateChanged(at=at, agent_id=agent_id, old=state,
                                             new=AgentState.WRAP_UP, reason="restart",
                                             call_id=call_id))
                old = AgentState.WRAP_UP
            out.append(AgentStateChanged(at=at, agent_id=agent_id, old=old,
                                         new=AgentState.LOGGED_OUT, reason="restart",
                                         call_id=call_id))
        return out


def _arrived(call: OpenCall, e: Any) -> None:
    call.tenant = e.tenant


def _state(name: str, keep_agent: bool) -> Callable[[OpenCall, Any], None]:
    def apply(call: OpenCall, e: Any) -> None:
        call.state = name
        call.agent_id = getattr(e, "agent_id", "") if keep_agent else ""
    return apply


def _hold_state(name: str) -> Callable[[OpenCall, Any], None]:
    def apply(call: OpenCall, e: Any) -> None:
        call.state = name
    return apply


_CALL_STATES: dict[type[Event], Callable[[OpenCall, Any], None]] = {
    CallArrived: _arrived,
    CallQueued: _state("queued", False),
    CallOverflowed: _state("queued", False),
    CallOffered: _state("ringing", True),
    CallOfferTimedOut: _state("queued", False),
    CallAnswered: _state("talking", True),
    CallHeld: _hold_state("on_hold"),
    CallResumed: _hold_state("talking"),
    CallTransferred: _state("transferring", False),
    CallEnded: _hold_state("ended"),
}


@dataclass(frozen=True, slots=True)
class Recovery(Generic[C]):
    """What :meth:`DurableEventLog.rebuild` found and did."""

    center: C
    """The fresh center, built by the factory on the log."""
    replayed: int
    """Events read back from the log."""
    closed_calls: tuple[str, ...]
    """Calls that were up at the crash, now ended with reason SYSTEM."""
    logged_out: tuple[str, ...]
    """Agents who were logged in, now logged out with reason ``restart``."""
    appended: tuple[int, ...]
    """Ids of the closing events."""


# ---------------------------------------------------------------------------------- the log


@dataclass(slots=True)
class _Pending:
    event: Event
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class DurableEventLog:
    """An append-only event log in the database; an EventSink for the core. See the module doc.

    ``tenant`` tags events that carry no tenant of their own and whose call's tenant is not
    known. ``group_commit`` turns on the writer thread (see the module docstring); ``max_batch``
    bounds a group. Close the log (or use it as a context manager) to release its connection.
    """

    def __init__(self, engine: Engine, *, tenant: str = "", group_commit: bool = False,
                 max_batch: int = 1000) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.engine = engine
        self.tenant = tenant
        self.max_batch = max_batch
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._call_tenants: OrderedDict[str, str] = OrderedDict()
        self._last_id = 0
        self._closed = False
        self._group = group_commit
        self._queue: list[_Pending] = []
        self._wakeup = threading.Condition()
        self._writer: threading.Thread | None = None
        if group_commit:
            self._writer = threading.Thread(target=self._write_groups, name="event-log-writer",
                                            daemon=True)
            self._writer.start()

    # ------------------------------------------------------------------ public API

    @property
    def last_id(self) -> int:
        """Id of the last event this log appended (0 before the first)."""
        return self._last_id

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber(event)`` for every event appended (and replayed by rebuild)."""
        self._subscribers.append(subscriber)

    def append(self, event: Event) -> None:
        """Write ``event`` durably (committed) and then hand it to the subscribers.

        Raises :class:`LogError` (nothing written) if the database refuses, and
        :class:`~switchboard.store.errors.CodecError` for an event that cannot be encoded.
        """
        if self._group:
            self._append_grouped(event)
        else:
            self.append_many((event,))

    def append_many(self, events: Iterable[Event]) -> list[int]:
        """Write ``events`` in one transaction (all or none); return their ids, in order."""
        batch = list(events)
        if not batch:
            return []
        with self._lock:
            ids = self._write(batch)
        self._notify(batch)
        return ids

    def close(self) -> None:
        """Stop the writer thread (group commit) and release the connection."""
        if self._closed:
            return
        self._closed = True
        if self._writer is not None:
            with self._wakeup:
                self._wakeup.notify_all()
            self._writer.join()
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> DurableEventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def replay(self, since_id: int = 0) -> Iterator[LoggedEvent]:
        """Every logged event after ``since_id``, in order (see :func:`replay`)."""
        return replay(self.engine, since_id)

    def rebuild(self, center_factory: Callable[[DurableEventLog], C], *,
                at: float | None = None, notify: bool = True) -> Recovery[C]:
        """Recover after a crash: replay, close what was open, build a fresh center.

        Every logged event is folded into a :class:`LiveState` (and, with ``notify``, handed to
        the subscribers, so in-memory projections such as metrics rebuild too). Calls still up
        are ended (reason SYSTEM) and agents still logged in are logged out (reason
        ``restart``), at ``at`` or else the time of the last logged event; these events are
        appended durably. Then ``center_factory(self)`` builds the center (with this log as its
        sink): with every agent logged out and no call, as the log now says.
        """
        state = LiveState()
        replayed = 0
        for logged in replay(self.engine):
            if self.tenant and logged.tenant != self.tenant:
                continue  # another tenant's center recovers its own calls and agents
            state.apply(logged.event)
            replayed += 1
            if notify:
                for subscriber in self._subscribers:
                    subscriber(logged.event)
            if logged.tenant and isinstance(logged.event, CallArrived):
                self._remember(logged.event.call_id, logged.tenant)
        closing = state.closing_events(state.last_at if at is None else at)
        closed_calls = tuple(state.calls)
        logged_out = tuple(state.agents)
        ids: list[int] = []
        for start in range(0, len(closing), self.max_batch):
            ids += self.append_many(closing[start:start + self.max_batch])
        state.feed(closing)
        assert not state.calls and not state.agents
        return Recovery(center=center_factory(self), replayed=replayed,
                        closed_calls=closed_calls, logged_out=logged_out, appended=tuple(ids))

    # ------------------------------------------------------------------ writing

    def _tenant_of(self, event: Event) -> str:
        call_id: str = getattr(event, "call_id", "")
        own: str = getattr(event, "tenant", "")
        if own:
            if call_id:
                self._remember(call_id, own)
            return own
        if call_id:
            known = self._call_tenants.get(call_id)
            if known is not None:
                return known
        return self.tenant

    def _remember(self, call_id: str, tenant: str) -> None:
        memory = self._call_tenants
        memory[call_id] = tenant
        memory.move_to_end(call_id)
        if len(memory) > _TENANT_MEMORY:
            memory.popitem(last=False)

    def _write(self, events: list[Event]) -> list[int]:
        """Insert ``events`` in one committed transaction; caller holds ``self._lock``."""
        if self._closed:
            raise LogError("the event log is closed")
        tenants = [self._tenant_of(e) for e in events]
        try:
            connection = self._connection
            if connection is None:
                connection = self._connection = self.engine.connect()
            with connection.begin():
                last = connection.execute(
                    sa.update(_HEAD).where(_HEAD.c.id == 1)
                    .values(last_id=_HEAD.c.last_id + len(events))
                    .returning(_HEAD.c.last_id)).scalar_one_or_none()
                if last is None:
                    raise LogError("the event log head row is missing: run the migrations")
                first = int(last) - len(events) + 1
                rows = [_row(e, first + i, t)
                        for i, (e, t) in enumerate(zip(events, tenants, strict=True))]
                connection.execute(sa.insert(_EVENTS), rows)
        except SQLAlchemyError as exc:
            self._drop_connection()
            raise LogError(f"cannot append to the event log: {exc}") from exc
        except BaseException:
            self._drop_connection()
            raise
        self._last_id = first + len(events) - 1
        return list(range(first, first + len(events)))

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except SQLAlchemyError:
                pass  # the connection is broken already; a new one is made on the next append

    def _notify(self, events: Iterable[Event]) -> None:
        subscribers = self._subscribers
        if subscribers:
            for event in events:
                for subscriber in subscribers:
                    subscriber(event)

    # ------------------------------------------------------------------ group commit

    def _append_grouped(self, event: Event) -> None:
        pending = _Pending(event)
        with self._wakeup:
            if self._closed:
                raise LogError("the event log is closed")
            self._queue.append(pending)
            self._wakeup.notify()
        pending.done.wait()
        if pending.error is not None:
            raise pending.error

    def _write_groups(self) -> None:
        while True:
            with self._wakeup:
                while not self._queue and not self._closed:
                    self._wakeup.wait()
                if not self._queue:
                    return
                group = self._queue[:self.max_batch]
                del self._queue[:self.max_batch]
            events = [p.event for p in group]
            try:
                with self._lock:
                    self._write(events)
                self._notify(events)
            except Exception as exc:
                for pending in group:
                    pending.error = exc
            for pending in group:
                pending.done.set()
