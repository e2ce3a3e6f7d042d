"""The durable event log: committed before return, gap-free ids, replay, recovery, crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from switchboard.core.agents import Agent
from switchboard.core.center import ContactCenter
from switchboard.core.clock import VirtualClock
from switchboard.core.events import (
    AgentState,
    AgentStateChanged,
    CallAnswered,
    CallArrived,
    CallEnded,
    CallHeld,
    CallQueued,
    CallTransferred,
    EndReason,
    Event,
)
from switchboard.core.log import EventLog
from switchboard.core.metrics import Metrics
from switchboard.store import eventlog
from switchboard.store.db import create_engine
from switchboard.store.errors import CodecError, LogError
from switchboard.store.eventlog import DurableEventLog, LiveState, last_event_id, replay
from tests.store.crash_writer import AGENTS, build_center

WRITER = Path(__file__).with_name("crash_writer.py")


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT id FROM events ORDER BY id")).scalars())


def _held(n: int, at: float = 1.0) -> list[Event]:
    return [CallHeld(at=at + i, call_id=f"c{i}", agent_id="a1") for i in range(n)]


def test_append_is_committed_before_it_returns(engine: Engine) -> None:
    other = create_engine(engine.url)  # another pool: sees only committed rows
    seen: list[int] = []
    with DurableEventLog(engine) as log:
        log.subscribe(lambda _e: seen.append(last_event_id(other)))
        for event in _held(5):
            log.append(event)
            assert _ids(other)[-1] == log.last_id
    assert seen == [1, 2, 3, 4, 5]
    other.dispose()


def test_replay_gives_back_the_same_events_in_order(engine: Engine) -> None:
    events: list[Event] = [
        CallArrived(at=1.0, call_id="c1", caller="+1555", tenant="acme"),
        CallQueued(at=1.5, call_id="c1", queue_id="sales", skills=(("fr", 2),)),
        CallAnswered(at=3.25, call_id="c1", agent_id="a1", queue_id="sales", wait=1.75),
        CallTransferred(at=9.0, call_id="c1", from_agent="a1", to_queue="billing"),
        CallEnded(at=12.0, call_id="c1", reason=EndReason.CALLER_HANGUP, agent_id="a2"),
        AgentStateChanged(at=12.0, agent_id="a2", old=AgentState.TALKING,
                          new=AgentState.WRAP_UP),
    ]
    with DurableEventLog(engine, tenant="default") as log:
        assert log.append_many(events[:2]) == [1, 2]
        for event in events[2:]:
            log.append(event)
    logged = list(replay(engine))
    assert [e.event for e in logged] == events
    assert [e.id for e in logged] == [1, 2, 3, 4, 5, 6]
    # Calls keep their tenant; an agent event without a call takes the log's default.
    assert [e.tenant for e in logged] == ["acme"] * 5 + ["default"]
    assert [e.event for e in replay(engine, since_id=4)] == events[4:]
    assert [e.id for e in replay(engine, since_id=1, until_id=3)] == [2, 3]
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT type, call_id, agent_id FROM events ORDER BY id")).all()
    assert rows[3] == ("CallTransferred", "c1", "a1")
    assert rows[5] == ("AgentStateChanged", "", "a2")


def test_replay_reads_in_batches(engine: Engine) -> None:
    with DurableEventLog(engine) as log:
        log.append_many(_held(23))
    assert [e.id for e in replay(engine, batch=5)] == list(range(1, 24))
    assert [e.id for e in replay(engine, since_id=20, batch=5)] == [21, 22, 23]


def test_a_refused_append_writes_nothing_and_leaves_no_gap(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Event] = []
    with DurableEventLog(engine) as log:
        log.subscribe(seen.append)
        log.append_many(_held(2))
        real_row = eventlog._row

        def broken_row(event: Event, event_id: int, tenant: str) -> dict[str, Any]:
            return {**real_row(event, event_id, tenant), "type": None}  # NOT NULL violated

        monkeypatch.setattr(eventlog, "_row", broken_row)
        with pytest.raises(LogError, match="cannot append to the event log"):
            log.append(CallHeld(at=5.0, call_id="lost", agent_id="a1"))
        monkeypatch.undo()
        assert log.last_id == 2
        log.append(CallHeld(at=6.0, call_id="kept", agent_id="a1"))
        assert log.last_id == 3
    assert _ids(engine) == [1, 2, 3]
    assert [getattr(e, "call_id", "") for e in seen] == ["c0", "c1", "kept"]


def test_a_batch_is_all_or_nothing(engine: Engine) -> None:
    batch = [*_held(3), CallHeld(at=float("nan"), call_id="bad", agent_id="a1")]
    with DurableEventLog(engine) as log:
        with pytest.raises(CodecError, match=r"CallHeld\.at: nan cannot be stored"):
            log.append_many(batch)
        assert log.append_many(_held(2)) == [1, 2]
    assert _ids(engine) == [1, 2]


def test_a_center_acts_only_on_logged_events(engine: Engine,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    log = DurableEventLog(engine)
    memory = EventLog()
    log.subscribe(memory.append)
    clock = VirtualClock()
    center = build_center(log, clock)
    center.login("a1")
    center.call_arrived("c1", caller="+1555", tenant="acme")
    center.enqueue("c1", "sales")
    center.offer_answered("c1", "a1")

    def refuse(*_args: object) -> list[int]:
        raise LogError("disk full")

    monkeypatch.setattr(log, "_write", refuse)
    with pytest.raises(LogError, match="disk full"):
        center.hold("c1")
    assert center.agents["a1"].state.value == "talking"  # nothing changed
    monkeypatch.undo()
    center.hold("c1")
    assert center.agents["a1"].state.value == "on_hold"
    log.close()
    assert [e.event for e in replay(engine)] == list(memory)


def test_a_closed_log_refuses_appends(engine: Engine) -> None:
    log = DurableEventLog(engine)
    log.close()
    with pytest.raises(LogError, match="closed"):
        log.append(_held(1)[0])


def test_missing_head_row_is_a_precise_error(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM event_log_head"))
    with DurableEventLog(engine) as log, pytest.raises(LogError, match="head row is missing"):
        log.append(_held(1)[0])
    with pytest.raises(LogError, match="head row is missing"):
        last_event_id(engine)


def test_concurrent_writers_share_one_gap_free_order(engine: Engine) -> None:
    per_writer = 60
    results: dict[int, list[int]] = {}

    def write(n: int) -> None:
        with DurableEventLog(create_engine(engine.url)) as log:
            mine = []
            for event in _held(per_writer, at=float(n)):
                log.append(event)
                mine.append(log.last_id)
            results[n] = mine

    threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _ids(engine) == list(range(1, 3 * per_writer + 1))
    for mine in results.values():
        assert mine == sorted(mine) and len(mine) == per_writer


def test_group_commit_is_durable_and_ordered(engine: Engine) -> None:
    seen: list[Event] = []
    errors: list[BaseException] = []
    other = create_engine(engine.url)
    with DurableEventLog(engine, group_commit=True, max_batch=16) as log:
        log.subscribe(seen.append)

        def write(n: int) -> None:
            try:
                for i in range(50):
                    event = CallHeld(at=float(i), call_id=f"t{n}-{i}", agent_id="a")
                    log.append(event)
                    if i % 10 == 0:  # acknowledged means committed
                        with other.connect() as c:
                            found = c.execute(sa.text("SELECT count(*) FROM events WHERE "
                                                      "call_id = :c"), {"c": event.call_id})
                            assert found.scalar() == 1
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    other.dispose()
    assert errors == []
    assert _ids(engine) == list(range(1, 201))
    assert [e.event for e in replay(engine)] == seen


def test_group_commit_reports_a_refusal_to_the_appender(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with DurableEventLog(engine, group_commit=True) as log:
        log.append(_held(1)[0])
        with pytest.raises(CodecError):
            log.append(CallHeld(at=float("inf"), call_id="x", agent_id="a"))
        log.append(_held(1)[0])
    assert _ids(engine) == [1, 2]


def test_live_state_and_its_closing_events() -> None:
    state = LiveState().feed([
        AgentStateChanged(at=0.0, agent_id="a1", old=AgentState.LOGGED_OUT,
                          new=AgentState.AVAILABLE),
        AgentStateChanged(at=0.0, agent_id="a2", old=AgentState.LOGGED_OUT,
                          new=AgentState.AVAILABLE),
        AgentStateChanged(at=0.0, agent_id="a3", old=AgentState.LOGGED_OUT,
                          new=AgentState.AVAILABLE),
        AgentStateChanged(at=0.5, agent_id="a3", old=AgentState.AVAILABLE,
                          new=AgentState.LOGGED_OUT),
        CallArrived(at=1.0, call_id="c1"),
        CallQueued(at=1.0, call_id="c1", queue_id="q"),
        CallAnswered(at=2.0, call_id="c1", agent_id="a1", queue_id="q", wait=1.0),
        AgentStateChanged(at=2.0, agent_id="a1", old=AgentState.RESERVED,
                          new=AgentState.TALKING, call_id="c1"),
        CallArrived(at=3.0, call_id="c2"),
        CallQueued(at=3.0, call_id="c2", queue_id="q"),
        CallArrived(at=4.0, call_id="c3"),
        CallEnded(at=5.0, call_id="c3", reason=EndReason.SERVED_BY_IVR),
    ])
    assert list(state.calls) == ["c1", "c2"]
    assert state.calls["c1"].state == "talking"
    assert set(state.agents) == {"a1", "a2"}
    W, T, L = AgentState.WRAP_UP, AgentState.TALKING, AgentState.LOGGED_OUT
    assert state.closing_events(9.0) == [
        CallEnded(at=9.0, call_id="c1", reason=EndReason.SYSTEM, agent_id="a1"),
        CallEnded(at=9.0, call_id="c2", reason=EndReason.SYSTEM),
        AgentStateChanged(at=9.0, agent_id="a1", old=T, new=W, reason="restart", call_id="c1"),
        AgentStateChanged(at=9.0, agent_id="a1", old=W, new=L, reason="restart", call_id="c1"),
        AgentStateChanged(at=9.0, agent_id="a2", old=AgentState.AVAILABLE, new=L,
                          reason="restart"),
    ]


def _read_acknowledged(proc: subprocess.Popen[bytes], want: int) -> list[int]:
    assert proc.stdout is not None
    acknowledged: list[int] = []
    while len(acknowledged) < want:
        line = proc.stdout.readline()
        if not line:
            break
        acknowledged.append(int(line))
    return acknowledged


@pytest.mark.parametrize("round_", [1, 2])
def test_sigkill_mid_way_loses_no_acknowledged_event(engine: Engine, round_: int) -> None:
    """A writer killed by SIGKILL: every acknowledged id is stored, no gap, and rebuild closes
    every open call and agent so that the reports add up."""
    url = engine.url.render_as_string(hide_password=False)
    if round_ == 2:  # a second crash on top of a recovered log
        test_sigkill_mid_way_loses_no_acknowledged_event(engine, 1)
    before = last_event_id(engine)
    proc = subprocess.Popen([sys.executable, str(WRITER), url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    try:
        acknowledged = _read_acknowledged(proc, 300)
        time.sleep(0.01 * (os.getpid() % 7))  # land the kill anywhere in the loop
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.stdout is not None and proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()  # the rest, read-ahead included
    finally:
        watchdog.cancel()
    assert len(acknowledged) >= 300, f"the writer died early: {err.decode()[-2000:]}"
    assert proc.returncode == -signal.SIGKILL
    acknowledged += [int(line) for line in out.decode().splitlines(keepends=True)
                     if line.endswith("\n")]
    assert acknowledged == list(range(before + 1, before + 1 + len(acknowledged)))

    stored = _ids(engine)
    assert stored == list(range(1, len(stored) + 1)), "the log has a gap"
    assert set(acknowledged) <= set(stored)
    assert stored[-1] - acknowledged[-1] <= 1  # at most the one being acknowledged
    assert last_event_id(engine) == stored[-1]

    crashed = LiveState().feed(e.event for e in replay(engine))
    with engine.connect() as connection:
        open_in_sql = set(connection.execute(sa.text(
            "SELECT call_id FROM events WHERE type = 'CallArrived' AND call_id NOT IN "
            "(SELECT call_id FROM events WHERE type = 'CallEnded')")).scalars())
    assert set(crashed.calls) == open_in_sql
    assert set(crashed.agents) == set(AGENTS)  # logged in (maybe paused) at the kill

    metrics = Metrics()
    log = DurableEventLog(engine, tenant="acme")
    log.subscribe(metrics.observe)
    clock = VirtualClock(crashed.last_at)
    recovery = log.rebuild(lambda sink: build_center(sink, clock))
    assert recovery.replayed == len(stored)
    assert set(recovery.closed_calls) == open_in_sql
    assert set(recovery.logged_out) == set(AGENTS)
    assert list(recovery.appended) == list(range(len(stored) + 1, last_event_id(engine) + 1))

    after = LiveState().feed(e.event for e in replay(engine))
    assert after.calls == {} and after.agents == {}
    closing = [e.event for e in replay(engine, since_id=len(stored))]
    assert all(e.at == crashed.last_at for e in closing)
    assert {e.reason for e in closing if isinstance(e, CallEnded)} <= {EndReason.SYSTEM}
    assert {e.reason for e in closing if isinstance(e, AgentStateChanged)} == {"restart"}

    # Every answered call's handling is closed; every offered call has an outcome, the calls
    # that waited at a crash (ended by SYSTEM, never answered) included.
    queued, answered, system_ended = set(), set(), set()
    for logged in replay(engine):
        e = logged.event
        if isinstance(e, CallQueued):
            queued.add(e.call_id)
        elif isinstance(e, CallAnswered):
            answered.add(e.call_id)
        elif isinstance(e, CallEnded) and e.reason is EndReason.SYSTEM:
            system_ended.add(e.call_id)
    waited = len((system_ended & queued) - answered)
    counts = metrics.counts()
    assert counts.handled == counts.answered
    assert counts.offered == (counts.answered + counts.abandoned + counts.overflowed
                              + counts.timed_out + waited)
    metrics.close(crashed.last_at + 3600)  # nobody is logged in: no more agent time
    assert metrics.agent_time().logged == pytest.approx(
        Metrics().feed(e.event for e in replay(engine)).agent_time().logged)

    center: ContactCenter = recovery.center
    assert center.calls == {}
    assert {a.state for a in center.agents.values()} == {AgentState.LOGGED_OUT}
    center.login("a1")
    assert last_event_id(engine) == recovery.appended[-1] + 1
    log.close()


def test_rebuild_of_an_empty_log(engine: Engine) -> None:
    with DurableEventLog(engine) as log:
        recovery = log.rebuild(lambda sink: ContactCenter(
            clock=VirtualClock(), port=None, sink=sink))  # type: ignore[arg-type]
    assert (recovery.replayed, recovery.closed_calls, recovery.logged_out,
            recovery.appended) == (0, (), (), ())


def test_rebuild_refills_in_memory_subscribers(engine: Engine) -> None:
    with DurableEventLog(engine) as log:
        center = build_center(log, VirtualClock())
        center.add_agent(Agent("extra", queues=("sales",)))
        center.login("extra")
    memory = EventLog()
    with DurableEventLog(engine) as log:
        log.subscribe(memory.append)
        log.rebuild(lambda sink: None)
    assert [type(e).__name__ for e in memory] == ["AgentStateChanged", "AgentStateChanged"]
    assert memory[1] == AgentStateChanged(at=0.0, agent_id="extra", old=AgentState.AVAILABLE,
                                          new=AgentState.LOGGED_OUT, reason="restart")
