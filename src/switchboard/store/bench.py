"""Durable append throughput, for ``bench/bench_eventlog.py`` and ``docs/store.md``.

Each function appends synthetic events (a realistic mix: arrivals, queueing, offers, agent
state changes, answers, ends) to the database at ``url`` and returns committed events per second.
The schema is migrated first if needed. Use a scratch database: the events stay in its log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from switchboard.core.events import (
    AgentState,
    AgentStateChanged,
    CallAnswered,
    CallArrived,
    CallEnded,
    CallOffered,
    CallQueued,
    EndReason,
    Event,
)
from switchboard.store.db import create_engine, migrate
from switchboard.store.eventlog import DurableEventLog

__all__ = ["append_rate", "synthetic_events"]


def synthetic_events(n: int, *, prefix: str = "b") -> Iterator[Event]:
    """``n`` events: the life of successive calls, each handled by one of 20 agents."""
    a = AgentState
    i = 0
    call = 0
    while True:
        call += 1
        call_id, agent = f"{prefix}{call}", f"agent{call % 20}"
        t = float(call)
        life: list[Event] = [
            CallArrived(at=t, call_id=call_id, caller=f"+1555{call % 9999:04d}", tenant="acme"),
            CallQueued(at=t, call_id=call_id, queue_id="support", skills=(("english", 1),)),
            CallOffered(at=t + 1, call_id=call_id, agent_id=agent, queue_id="support"),
            AgentStateChanged(at=t + 1, agent_id=agent, old=a.AVAILABLE, new=a.RESERVED,
                              call_id=call_id),
            CallAnswered(at=t + 3, call_id=call_id, agent_id=agent, queue_id="support",
                         wait=3.0, total_wait=3.0),
            AgentStateChanged(at=t + 3, agent_id=agent, old=a.RESERVED, new=a.TALKING,
                              call_id=call_id),
            CallEnded(at=t + 90, call_id=call_id, reason=EndReason.CALLER_HANGUP,
                      agent_id=agent),
            AgentStateChanged(at=t + 90, agent_id=agent, old=a.TALKING, new=a.WRAP_UP,
                              call_id=call_id),
        ]
        for event in life:
            if i == n:
                return
            yield event
            i += 1


def append_rate(url: str, n: int, *, batch: int = 1, threads: int = 1) -> float:
    """Durable events per second appending ``n`` events to the log at ``url``.

    ``batch=1``: one :meth:`~DurableEventLog.append` (one commit) per event, as a center does.
    ``batch>1``: :meth:`~DurableEventLog.append_many` with batches of that size.
    ``threads>1``: that many threads append one event at a time through one log in group-commit
    mode (each append still returns only once committed).
    """
    if n < 1 or batch < 1 or threads < 1:
        raise ValueError("n, batch and threads must be at least 1")
    engine = create_engine(url)
    migrate(engine)
    events = list(synthetic_events(n, prefix=f"b{time.monotonic_ns()}-"))
    try:
        if threads > 1:
            with DurableEventLog(engine, group_commit=True) as log:
                shares = [events[k::threads] for k in range(threads)]

                def work(share: list[Event]) -> None:
                    for event in share:
                        log.append(event)

                workers = [threading.Thread(target=work, args=(s,)) for s in shares]
                start = time.perf_counter()
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                elapsed = time.perf_counter() - start
        else:
            with DurableEventLog(engine) as log:
                start = time.perf_counter()
                if batch == 1:
                    for event in events:
                        log.append(event)
                else:
                    for k in range(0, n, batch):
                        log.append_many(events[k:k + batch])
                elapsed = time.perf_counter() - start
    finally:
        engine.dispose()
    return n / elapsed
