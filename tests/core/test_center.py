"""The center's routing, agent state machine, timers and events, on a virtual clock."""

from __future__ import annotations

import pytest

from switchboard.core.agents import Agent
from switchboard.core.center import CallState
from switchboard.core.errors import ConfigError, IllegalTransition, NotAvailable, UnknownObject
from switchboard.core.events import (
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallOfferTimedOut,
    CallOverflowed,
    CallQueued,
    CallTransferred,
    EndReason,
)
from switchboard.core.metrics import Metrics
from switchboard.core.queues import QueueConfig
from tests.core.helpers import Rig

A = AgentState


def test_call_is_offered_answered_and_wrapped_up() -> None:
    rig = Rig(QueueConfig(queue_id="sales", wrap_up=30))
    agent = rig.agent("a1")
    rig.advance(5)
    rig.call("c1")
    assert agent.state is A.RESERVED
    assert ("ring", "c1", "a1") in rig.port.commands
    rig.advance(3)
    rig.center.offer_answered("c1", "a1")
    assert agent.state is A.TALKING
    assert ("bridge", "c1", "a1") in rig.port.commands
    rig.advance(100)
    rig.center.caller_hung_up("c1")
    assert agent.state is A.WRAP_UP
    assert "c1" not in rig.center.calls
    rig.advance(29)
    assert agent.state is A.WRAP_UP
    rig.advance(1)
    assert agent.state is A.AVAILABLE
    answered = rig.events(CallAnswered)
    assert len(answered) == 1 and answered[0].wait == pytest.approx(3.0)  # type: ignore[attr-defined]
    states = [(e.old, e.new) for e in rig.events(AgentStateChanged)]  # type: ignore[attr-defined]
    assert states == [
        (A.LOGGED_OUT, A.AVAILABLE),
        (A.AVAILABLE, A.RESERVED),
        (A.RESERVED, A.TALKING),
        (A.TALKING, A.WRAP_UP),
        (A.WRAP_UP, A.AVAILABLE),
    ]


def test_longest_idle_agent_gets_the_call() -> None:
    rig = Rig()
    rig.agent("a1")
    rig.advance(10)
    rig.agent("a2")
    rig.advance(10)
    rig.call("c1")
    assert rig.center.agents["a1"].state is A.RESERVED
    assert rig.center.agents["a2"].state is A.AVAILABLE


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("fewest_calls", "a2"), ("best_skill", "a2"), ("round_robin", "a2"), ("longest_idle", "a1")],
)
def test_strategies_choose_by_their_rule(strategy: str, expected: str) -> None:
    rig = Rig(QueueConfig(queue_id="sales", strategy=strategy, skills=(("en", 1),)))
    a1 = rig.agent("a1", en=3)
    rig.agent("a2", en=9)
    a1.calls_today = 5
    a1.last_offer = 100.0
    rig.advance(1)
    rig.call("c1")
    assert rig.center.calls["c1"].agent_id == expected


def test_agent_without_required_skill_level_is_skipped() -> None:
    rig = Rig(QueueConfig(queue_id="sales", skills=(("spanish", 5),)))
    low = rig.agent("low", spanish=4)
    rig.call("c1")
    assert low.state is A.AVAILABLE
    assert rig.center.calls["c1"].state is CallState.QUEUED
    high = rig.agent("high", spanish=5)
    assert high.state is A.RESERVED


def test_priority_first_then_ageing_overtakes() -> None:
    rig = Rig(QueueConfig(queue_id="sales", ageing=0.1))
    rig.call("old", priority=0)
    rig.advance(60)  # ages by 6 points
    rig.call("vip", priority=5)
    rig.call("urgent", priority=8)
    agent = rig.agent("a1")
    assert agent.call_id == "urgent"  # 8 > 0 + 6
    rig.center.offer_answered("urgent", "a1")
    rig.center.agent_hung_up("urgent")
    assert agent.call_id == "old"  # 0 + 6 > 5


def test_rona_pauses_agent_and_keeps_callers_place() -> None:
    rig = Rig(QueueConfig(queue_id="sales", ring_timeout=15))
    a1 = rig.agent("a1")
    rig.call("first")
    rig.advance(1)
    rig.call("second")
    rig.advance(14)
    assert a1.state is A.PAUSED and a1.pause_reason == "rona"
    assert len(rig.events(CallOfferTimedOut)) == 1
    assert rig.center.position("first") == 1
    assert rig.center.position("second") == 2
    a2 = rig.agent("a2")
    assert a2.call_id == "first"


def test_abandon_while_waiting_and_while_ringing() -> None:
    rig = Rig()
    rig.call("c1")
    rig.advance(7)
    rig.center.caller_hung_up("c1")
    agent = rig.agent("a1")
    rig.call("c2")
    rig.advance(2)
    rig.center.caller_hung_up("c2")
    assert agent.state is A.AVAILABLE
    waits = [e.wait for e in rig.events(CallAbandoned)]  # type: ignore[attr-defined]
    assert waits == [7.0, 2.0]
    assert ("stop_ringing", "c2", "a1") in rig.port.commands


def test_overflow_to_next_tier_after_t_seconds() -> None:
    rig = Rig(
        QueueConfig(queue_id="tier1", overflow_after=30, overflow_to="tier2"),
        QueueConfig(queue_id="tier2"),
    )
    rig.center.check()
    rig.call("c1", "tier1")
    rig.advance(29)
    assert rig.center.calls["c1"].entry.queue_id == "tier1"  # type: ignore[union-attr]
    rig.advance(1)
    assert rig.events(CallOverflowed)[0].to_queue == "tier2"  # type: ignore[attr-defined]
    agent = rig.agent("t2", "tier2")
    rig.advance(5)
    rig.center.offer_answered("c1", "t2")
    assert agent.state is A.TALKING
    answered = rig.events(CallAnswered)[0]
    assert answered.wait == pytest.approx(5.0)  # type: ignore[attr-defined]
    assert answered.total_wait == pytest.approx(35.0)  # type: ignore[attr-defined]


def test_max_wait_without_target_ends_the_call() -> None:
    rig = Rig(QueueConfig(queue_id="sales", max_wait=120))
    rig.call("c1")
    rig.advance(120)
    ended = rig.events(CallEnded)
    assert [e.reason for e in ended] == [EndReason.MAX_WAIT]  # type: ignore[attr-defined]
    assert ("hang_up", "c1") in rig.port.commands


def test_overflow_loop_and_missing_target_are_refused() -> None:
    rig = Rig(
        QueueConfig(queue_id="a", overflow_after=10, overflow_to="b"),
        QueueConfig(queue_id="b", overflow_after=10, overflow_to="a"),
    )
    with pytest.raises(ConfigError, match="overflow loop: a -> b -> a"):
        rig.center.check()
    rig2 = Rig(QueueConfig(queue_id="a", overflow_after=10, overflow_to="nowhere"))
    with pytest.raises(ConfigError, match="unknown queue 'nowhere'"):
        rig2.center.check()


def test_callback_keeps_place_and_originates_on_answer() -> None:
    rig = Rig()
    rig.call("c1")
    rig.call("c2")
    rig.center.request_callback("c1", "+15550001")
    rig.center.caller_hung_up("c1")  # the caller's leg goes; the place stays
    assert rig.center.position("c1") == 1
    agent = rig.agent("a1")
    assert agent.call_id == "c1"
    rig.center.offer_answered("c1", "a1")
    assert ("originate", "c1", "+15550001", "a1") in rig.port.commands


def test_transfer_to_queue_and_agent_are_recorded() -> None:
    rig = Rig(QueueConfig(queue_id="sales"), QueueConfig(queue_id="support"))
    a1 = rig.agent("a1", "sales")
    a2 = rig.agent("a2", "support")
    rig.call("c1")
    rig.center.offer_answered("c1", "a1")
    rig.center.transfer_to_queue("c1", "support")
    assert a1.state is A.AVAILABLE  # wrap-up 0
    assert a2.call_id == "c1"
    rig.center.offer_answered("c1", "a2")
    with pytest.raises(NotAvailable):
        rig.center.transfer_to_agent("c1", "a2")
    rig.center.transfer_to_agent("c1", "a1")
    assert a1.state is A.RESERVED
    transfers = rig.events(CallTransferred)
    assert [(t.to_queue, t.to_agent) for t in transfers] == [  # type: ignore[attr-defined]
        ("support", ""), ("", "a1")
    ]
    queued = [e.queue_id for e in rig.events(CallQueued)]  # type: ignore[attr-defined]
    assert queued == ["sales", "support"]


def test_a_transfer_made_by_the_phone_ends_the_call_in_the_center() -> None:
    rig = Rig(QueueConfig(queue_id="sales", wrap_up=20))
    a1 = rig.agent("a1")
    rig.agent("a2")  # the target: one of ours, but on the phone outside the center's routing
    metrics = Metrics(thresholds={"sales": (20, 5)})
    rig.log.subscribe(metrics.observe)
    rig.call("c1")
    rig.call("c2")
    rig.center.offer_answered("c1", "a1")
    rig.center.offer_answered("c2", "a2")
    rig.advance(60)
    rig.center.transferred_away("c1", "a2")
    assert "c1" not in rig.center.calls
    assert a1.state is A.WRAP_UP
    transfers = rig.events(CallTransferred)
    assert [(t.from_agent, t.to_agent) for t in transfers] == [("a1", "a2")]  # type: ignore
    ended = rig.events(CallEnded)
    assert [(e.call_id, e.reason) for e in ended] == [("c1", EndReason.TRANSFERRED)]  # type: ignore
    assert not [c for c in rig.port.commands if c[0] == "hang_up"]  # the legs stay up
    with pytest.raises(UnknownObject):
        rig.center.transferred_away("c1")  # once only
    rig.call("c3")
    with pytest.raises(IllegalTransition):
        rig.center.transferred_away("c3")  # waiting, not talking: nothing to transfer
    rig.center.transferred_away("c2", "+15550000")  # to an outside number: no target agent
    assert rig.events(CallTransferred)[-1].to_agent == ""  # type: ignore[attr-defined]
    counts = metrics.counts("sales")
    assert counts.handled == 2 and counts.transferred == 2


def test_blended_agent_takes_higher_priority_queue_first() -> None:
    rig = Rig(QueueConfig(queue_id="outbound", priority=0), QueueConfig(queue_id="inbound",
                                                                          priority=10))
    rig.call("out1", "outbound")
    rig.advance(30)
    rig.call("in1", "inbound")
    agent = rig.agent("a1", "outbound", "inbound")
    assert agent.call_id == "in1"


def test_hold_resume_and_pending_pause() -> None:
    rig = Rig()
    agent = rig.agent("a1")
    rig.call("c1")
    rig.center.offer_answered("c1", "a1")
    rig.center.hold("c1")
    assert agent.state is A.ON_HOLD
    rig.center.pause("a1", "lunch")
    assert agent.state is A.ON_HOLD and agent.pending_pause == "lunch"
    rig.center.resume("c1")
    rig.center.agent_hung_up("c1")
    assert agent.state is A.PAUSED and agent.pause_reason == "lunch"


def test_illegal_transitions_raise_and_emit_nothing() -> None:
    rig = Rig()
    agent = rig.agent("a1")
    rig.call("c1")
    before = len(rig.log)
    with pytest.raises(IllegalTransition, match="cannot hold while ringing"):
        rig.center.hold("c1")  # ringing, not talking
    rig.center.offer_answered("c1", "a1")
    before = len(rig.log)
    with pytest.raises(IllegalTransition, match="cannot go from talking to logged_out"):
        rig.center.logout("a1")
    with pytest.raises(IllegalTransition, match="cannot become ready while talking"):
        rig.center.ready("a1")
    assert len(rig.log) == before
    assert agent.state is A.TALKING
    with pytest.raises(IllegalTransition, match="cannot go from logged_out to talking"):
        Agent("x").move(A.TALKING, 0.0)


def test_expected_wait_grows_with_position() -> None:
    rig = Rig(QueueConfig(queue_id="sales", expected_aht=200))
    a1 = rig.agent("a1")
    rig.agent("a2")
    rig.center.pause("a1", "break")
    rig.center.pause("a2", "break")
    assert a1.state is A.PAUSED
    rig.center.ready("a1")
    rig.center.ready("a2")
    for i in range(4):
        rig.call(f"c{i}")
    # two are ringing the two agents, two wait
    assert rig.center.position("c3") == 2
    assert rig.center.expected_wait("c3") == pytest.approx(2 * 200 / 2)


def test_skill_levels_are_validated() -> None:
    with pytest.raises(ConfigError, match="level must be an integer from 1 to 10"):
        Agent("a", skills={"en": 11})
    with pytest.raises(ConfigError, match="strategy must be one of"):
        QueueConfig(queue_id="q", strategy="random")


def test_offer_failed_requeues_at_once_and_pauses_the_agent() -> None:
    rig = Rig()
    a1 = rig.agent("a1")
    rig.call("c1")
    rig.center.offer_failed("c1", "a1")
    assert a1.state is A.PAUSED and a1.pause_reason == "rona"
    assert rig.center.position("c1") == 1
    with pytest.raises(IllegalTransition):
        rig.center.offer_failed("c1", "a1")


def test_queue_keeps_no_trace_of_calls_that_are_gone() -> None:
    """Calls answered at once, and calls that waited, leave nothing behind in the queue."""
    rig = Rig(QueueConfig(queue_id="sales", ring_timeout=0))
    rig.agent("a1")
    queue = rig.center.queues["sales"]
    for i in range(50):  # answered at once: never at the head when the agent frees up
        rig.call(f"now{i}")
        rig.center.offer_answered(f"now{i}", "a1")
        rig.center.caller_hung_up(f"now{i}")
    assert queue._heap == []
    rig.call("busy")
    rig.center.offer_answered("busy", "a1")
    rig.call("w1")
    rig.call("w2")  # both wait behind "busy"
    assert queue.waiting == 2 and len(queue._heap) == 2
    rig.center.caller_hung_up("w1")  # abandons: w2 still waits
    rig.center.caller_hung_up("busy")  # the agent frees up and takes w2
    assert queue.waiting == 0 and queue._heap == []
    assert rig.center.calls["w2"].state is CallState.RINGING
