"""Interactions built from the log: exact figures, incremental equals batch, screen pops."""

from __future__ import annotations

import random

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from switchboard.core.agents import Agent
from switchboard.core.center import ContactCenter
from switchboard.core.clock import VirtualClock
from switchboard.core.events import (
    CallArrived,
    CallEnded,
    DialAttempted,
    Direction,
    Disposition,
    EndReason,
)
from switchboard.core.queues import QueueConfig
from switchboard.store.eventlog import DurableEventLog
from switchboard.store.interactions import CallRecord, InteractionBuilder, history
from switchboard.store.models import Interaction
from tests.store.crash_writer import Driver, QuietPort, build_center


def _rows(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        rows = session.scalars(sa.select(Interaction).order_by(Interaction.call_id))
        return [(r.call_id, r.tenant, r.caller, r.direction, r.queue, r.agent, r.arrived_at,
                 r.answered_at, r.ended_at, r.wait, r.talk, r.hold, r.wrap, r.end_reason,
                 r.abandoned, r.disposition, r.transferred, r.open_spans, r.last_event_id)
                for r in rows]


class Scripted:
    """A center on a durable log, updating the interactions after every step."""

    def __init__(self, engine: Engine) -> None:
        self.log = DurableEventLog(engine, tenant="acme")
        self.builder = InteractionBuilder(engine)
        self.clock = VirtualClock()
        self.center = ContactCenter(clock=self.clock, port=QuietPort(), sink=self.log)
        self.center.add_queue(QueueConfig(queue_id="sales", wrap_up=10))
        self.center.add_queue(QueueConfig(queue_id="billing", wrap_up=10))
        self.center.add_agent(Agent("a1", queues=("sales",)))
        self.center.add_agent(Agent("a2", queues=("billing", "sales")))

    def at(self, t: float) -> ContactCenter:
        self.builder.update()
        while (due := self.center.get_timer()) is not None and due <= t:
            self.clock.advance_to(max(due, self.clock.now()))
            self.center.handle_timer(self.clock.now())
        self.clock.advance_to(t)
        return self.center


def test_figures_of_answered_held_transferred_and_abandoned_calls(engine: Engine) -> None:
    s = Scripted(engine)
    s.at(0).login("a1")
    s.at(0).call_arrived("c1", caller="+100", entry="main", tenant="acme")
    s.at(0).enqueue("c1", "sales")
    s.at(4).offer_answered("c1", "a1")
    s.at(10).hold("c1")
    s.at(25).resume("c1")
    s.at(40).agent_hung_up("c1")
    s.at(45).disposition("c1", "a1", "resolved", resolved=True)
    s.at(60).call_arrived("c2", caller="+100", tenant="acme")  # wrap-up ended at 50
    s.at(60).enqueue("c2", "sales")
    s.at(62).offer_answered("c2", "a1")
    s.at(70).transfer_to_queue("c2", "billing")
    s.at(75).login("a2")
    s.at(77).offer_answered("c2", "a2")
    s.at(90).caller_hung_up("c2")
    s.at(150).pause("a1")
    s.at(150).pause("a2")
    s.at(200).call_arrived("c3", caller="+200", tenant="globex")
    s.at(200).enqueue("c3", "sales")
    s.at(230).caller_hung_up("c3")
    s.at(231)
    s.log.close()

    [c1, c2] = history(engine, "+100")[::-1]
    assert c1 == CallRecord(
        call_id="c1", tenant="acme", caller="+100", direction="inbound", entry="main",
        queue="sales", agent="a1", arrived_at=0.0, answered_at=4.0, ended_at=40.0, wait=4.0,
        talk=21.0, hold=15.0, wrap=10.0, end_reason="agent_hangup", abandoned=False,
        disposition="resolved", transferred=False)
    assert (c2.queue, c2.agent, c2.answered_at, c2.ended_at) == ("billing", "a2", 62.0, 90.0)
    assert (c2.wait, c2.talk, c2.hold, c2.wrap) == (2.0, 21.0, 0.0, 20.0)
    assert (c2.transferred, c2.end_reason) == (True, "caller_hangup")
    [c3] = history(engine, "+200")
    assert (c3.tenant, c3.wait, c3.abandoned, c3.answered_at, c3.talk) == (
        "globex", 30.0, True, None, 0.0)
    assert history(engine, "+200", tenant="acme") == []
    assert [r.call_id for r in history(engine, "+100", limit=1)] == ["c2"]
    assert history(engine, "+999") == []

    incremental = _rows(engine)
    assert all(row[17] == {} for row in incremental)  # nothing left open
    assert InteractionBuilder(engine).rebuild() == s.log.last_id
    assert _rows(engine) == incremental


def test_incremental_updates_equal_a_batch_rebuild(engine: Engine) -> None:
    log = DurableEventLog(engine, tenant="acme")
    clock = VirtualClock(1000.0)
    driver = Driver(build_center(log, clock), clock, seed=11)
    builder = InteractionBuilder(engine, batch=17)
    rng = random.Random(3)
    for _ in range(150):
        driver.tick()
        if rng.random() < 0.3:
            builder.update()
    builder.update()
    assert builder.checkpoint() == log.last_id
    log.close()
    incremental = _rows(engine)
    assert len(incremental) == driver.n
    assert builder.rebuild() == log.last_id
    assert _rows(engine) == incremental
    assert builder.update() == 0  # idempotent: nothing new


def test_every_answered_call_has_consistent_figures(engine: Engine) -> None:
    log = DurableEventLog(engine, tenant="acme")
    clock = VirtualClock(0.0)
    driver = Driver(build_center(log, clock), clock, seed=5)
    for _ in range(120):
        driver.tick()
    log.close()
    InteractionBuilder(engine).update()
    with Session(engine) as session:
        rows = list(session.scalars(sa.select(Interaction)))
    ended = [r for r in rows if r.ended_at is not None]
    assert ended
    for r in ended:
        assert r.ended_at is not None and r.arrived_at is not None
        assert r.arrived_at <= r.ended_at
        if r.answered_at is not None:
            span = r.ended_at - r.answered_at
            assert abs(r.talk + r.hold - span) < 1e-9, r.call_id
            assert abs(r.wait - (r.answered_at - r.arrived_at)) < 1e-9, r.call_id
        else:
            assert r.talk == r.hold == 0.0
        assert not r.abandoned or r.answered_at is None


def test_events_of_unknown_calls_and_outbound_dials(engine: Engine) -> None:
    with DurableEventLog(engine, tenant="acme") as log:
        log.append_many([
            Disposition(at=1.0, call_id="ghost", agent_id="a1", code="x"),
            CallArrived(at=2.0, call_id="o1", tenant="acme", direction=Direction.OUTBOUND),
            DialAttempted(at=2.0, call_id="o1", campaign_id="k", contact_id="p",
                          number="+300"),
            CallEnded(at=9.0, call_id="o1", reason=EndReason.CALLER_HANGUP),
        ])
    InteractionBuilder(engine).update()
    [o1] = history(engine, "+300")
    assert (o1.call_id, o1.direction, o1.tenant, o1.ended_at) == ("o1", "outbound", "acme", 9.0)
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Interaction)) == 1
