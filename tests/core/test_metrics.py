"""KPIs from a scripted event stream, checked against hand-computed values."""

from __future__ import annotations

import math

import pytest

from switchboard.core.events import (
    CallArrived,
    DialAttempted,
    DialOutcome,
    DialResult,
    Disposition,
    QualityScored,
    SurveyAnswered,
)
from switchboard.core.metrics import Metrics
from switchboard.core.queues import QueueConfig
from tests.core.helpers import Rig


def scripted() -> tuple[Rig, Metrics]:
    """Five calls in one queue (T = 20 s, short abandon 5 s), one agent, wrap-up 10 s."""
    rig = Rig(QueueConfig(queue_id="q", wrap_up=10, sl_seconds=20, short_abandon=5,
                          ring_timeout=0))
    metrics = Metrics(interval=1800, thresholds={"q": (20, 5)})
    rig.log.subscribe(metrics.observe)
    rig.agent("a", "q")
    # c1: answered at once, talk 100 (20 of it on hold), wrap 10
    rig.call("c1", "q")
    rig.center.offer_answered("c1", "a")
    rig.advance(40)
    rig.center.hold("c1")
    rig.advance(20)
    rig.center.resume("c1")
    rig.advance(40)
    rig.center.caller_hung_up("c1")  # t=100, wrap until 110
    # c2 arrives at 100 while the agent wraps: waits 10 s, talks 50, transferred out at 160
    rig.call("c2", "q")
    rig.advance(10)
    rig.center.offer_answered("c2", "a")
    rig.advance(50)
    rig.center.transfer_to_queue("c2", "q")  # re-enters q: a new offered call, at t=160
    # the agent wraps until 170, then gets c2 back: waits 10, answered, ends at 200
    rig.advance(10)
    rig.center.offer_answered("c2", "a")
    rig.advance(30)
    rig.center.agent_hung_up("c2")  # wrap until 210
    # c3 abandons after 3 s (short), c4 after 30 s: both while the agent wraps / is busy
    rig.call("c3", "q")
    rig.advance(3)
    rig.center.caller_hung_up("c3")  # t=203
    rig.center.pause("a", "lunch")  # during wrap-up a pause is immediate: wrap 200-203
    rig.call("c4", "q")
    rig.advance(30)
    rig.center.caller_hung_up("c4")  # t=233
    rig.advance(67)  # t=300
    metrics.close(rig.clock.now())
    return rig, metrics


def test_queue_kpis_by_hand() -> None:
    _, m = scripted()
    k = m.kpis("q")
    # offered: c1, c2, c2 again after the transfer, c3, c4
    assert (k.offered, k.answered, k.abandoned, k.short_abandoned) == (5, 3, 2, 1)
    assert k.asa == pytest.approx((0 + 10 + 10) / 3)
    assert k.service_level == pytest.approx(3 / 3)
    assert k.service_level_offered == pytest.approx((3 + 1) / (3 + 2))  # c3 abandoned within T
    assert k.service_level_net == pytest.approx(3 / (5 - 1))
    assert k.abandon_rate == pytest.approx(2 / 5)
    assert k.abandon_rate_net == pytest.approx(1 / 4)
    # handle time: c1 80 talk + 20 hold + 10 wrap; c2 50 + 10; c2' 30 + 3 (paused at 203)
    assert k.aht == pytest.approx((110 + 60 + 33) / 3)
    assert k.average_hold == pytest.approx(20 / 3)
    assert k.transfer_rate == pytest.approx(1 / 3)
    assert k.longest_wait == pytest.approx(30)


def test_agent_time_occupancy_and_utilisation() -> None:
    _, m = scripted()
    t = m.agent_time("a")
    # busy: 0-110 (c1 talk, hold, wrap); c2 was offered at 110 when the wrap ended and
    # answered at once, talk to 160, wrap to 170; c2' talk 170-200, wrap 200-203; paused 203-300
    assert t.busy == pytest.approx(203)
    assert t.available == pytest.approx(0)
    assert t.paused == pytest.approx(97)
    assert m.occupancy("a") == pytest.approx(1.0)
    assert m.utilisation("a") == pytest.approx(203 / 300)


def test_agent_time_is_cut_at_interval_boundaries() -> None:
    rig = Rig(QueueConfig(queue_id="q"))
    m = Metrics(interval=60)
    rig.log.subscribe(m.observe)
    rig.advance(30)
    rig.agent("a", "q")  # available from 30
    rig.advance(100)  # to 130
    m.close(rig.clock.now())
    assert m.agent_time("a", 0).available == pytest.approx(30)
    assert m.agent_time("a", 1).available == pytest.approx(60)
    assert m.agent_time("a", 2).available == pytest.approx(10)


def test_fcr_csat_quality_and_outbound() -> None:
    m = Metrics()
    events = [
        CallArrived(at=0, call_id="x1", caller="+1"),
        CallArrived(at=100, call_id="y1", caller="+2"),
        CallArrived(at=5000, call_id="x2", caller="+1"),  # +1 calls back: x1 not resolved
    ]
    m.feed(events)
    m.answered_calls.extend([("+1", 0.0), ("+2", 100.0), ("+1", 5000.0)])
    assert m.fcr(window=86400) == pytest.approx(2 / 3)
    assert m.fcr(window=1000) == pytest.approx(1.0)
    m.feed([SurveyAnswered(at=1, call_id="x1", score=s) for s in (5, 4, 3, 1)])
    assert m.csat_score() == pytest.approx(0.5)
    m.feed([QualityScored(at=1, call_id="x1", agent_id="a", score=s) for s in (80, 90)])
    assert m.call_quality() == pytest.approx(85)
    outbound = []
    for i, outcome in enumerate([DialOutcome.HUMAN, DialOutcome.NO_ANSWER, DialOutcome.HUMAN,
                                 DialOutcome.MACHINE, DialOutcome.ABANDONED]):
        contact = "k1" if i < 2 else f"k{i}"
        outbound += [DialAttempted(at=i, call_id=f"o{i}", campaign_id="camp",
                                   contact_id=contact, number="+3"),
                     DialResult(at=i, call_id=f"o{i}", outcome=outcome)]
    outbound.append(Disposition(at=9, call_id="o0", agent_id="a", code="sale", success=True))
    m.feed(outbound)
    out = m.outbound("camp")
    assert out["attempts"] == 5
    assert out["hit_rate"] == pytest.approx(2 / 5)
    assert out["conversion_rate"] == pytest.approx(1 / 2)
    assert out["first_call_close"] == pytest.approx(1.0)
    assert out["calls_per_account"] == pytest.approx(5 / 4)
    assert out["abandoned_call_ratio"] == pytest.approx(1 / 3)


def test_empty_ratios_are_nan_not_zero() -> None:
    k = Metrics().kpis()
    assert math.isnan(k.service_level) and math.isnan(k.asa)
    with pytest.raises(ValueError, match="CSAT score must be 1-5"):
        SurveyAnswered(at=0, call_id="x", score=6)


def test_fcr_counts_a_transferred_call_once_and_forgets_ended_calls() -> None:
    """c2 is answered twice (transferred back into the queue): one contact for FCR, not two."""
    rig, m = scripted()
    assert [caller for caller, _ in m.answered_calls] == ["+1555c1", "+1555c2"]
    assert m.fcr(window=86400) == pytest.approx(1.0)
    assert m._callers == {}  # every call has ended: nothing is kept per call
    assert not rig.center.calls
