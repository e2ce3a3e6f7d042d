"""Call control over the live center: agent states, answer, hold, transfer, disposition,
notes, supervisor force state and monitoring; the core's refusals as 409/404."""

from __future__ import annotations

import sqlalchemy as sa

from switchboard.api.services.center import RecordingMonitor
from switchboard.store.models import AuditEntry, EventRecord
from tests.api.conftest import Objects, World, populate


def _ring(world: World, call_id: str, caller: str = "+15550001",
          queue: str = "aa-support") -> None:
    centers = world.state.centers
    assert centers is not None
    with centers.lock:
        center = centers.center("acme")
        center.call_arrived(call_id, caller=caller, tenant="acme")
        center.enqueue(call_id, queue)
    centers.flush()


def _setup(world: World) -> Objects:
    objects = populate(world, world.a, "aa", "5551")
    return objects


def test_agent_lifecycle_and_a_call(world: World) -> None:
    objects = _setup(world)
    c, me = world.client, world.a.agent.auth
    agent = objects.ids["agent"]
    assert c.get(f"/agents/{agent}/state", headers=me).json()["state"] == "logged_out"
    assert c.post(f"/agents/{agent}/login", headers=me).json()["state"] == "available"
    _ring(world, "call-1")
    assert c.get(f"/agents/{agent}/state", headers=me).json()["state"] == "reserved"
    answered = c.post("/calls/call-1/answer", json={}, headers=me)
    assert answered.status_code == 200, answered.text
    assert c.post("/calls/call-1/hold", headers=me).status_code == 200
    again = c.post("/calls/call-1/hold", headers=me)
    assert again.status_code == 409
    assert again.json() == {"error": "illegal_transition", "field": None,
                            "detail": "call call-1: cannot hold while on_hold"}
    assert c.post("/calls/call-1/resume", headers=me).status_code == 200
    stats = c.get("/live/queues", headers=me).json()
    assert stats[0]["key"] == "aa-support" and stats[0]["staffed"] == 1
    assert c.post("/calls/call-1/hangup", headers=me).status_code == 200
    code = objects.keys["disposition"]
    done = c.post("/calls/call-1/disposition", json={"code": code, "note": "sold"}, headers=me)
    assert done.status_code == 200, done.text
    unknown = c.post("/calls/call-1/disposition", json={"code": "nope"}, headers=me)
    assert unknown.status_code == 422 and unknown.json()["field"] == "code"
    assert c.post("/calls/call-1/notes", json={"text": "asked for a brochure"},
                  headers=me).status_code == 200
    pause = c.post(f"/agents/{agent}/pause", json={"reason": "lunch"}, headers=me).json()
    assert pause["state"] == "paused" and pause["pause_reason"] == "lunch"
    assert c.post(f"/agents/{agent}/logout", headers=me).json()["state"] == "logged_out"
    with world.engine.connect() as connection:
        types = connection.execute(sa.select(EventRecord.type).where(
            EventRecord.call_id == "call-1").order_by(EventRecord.id)).scalars().all()
    assert types[:4] == ["CallArrived", "CallQueued", "CallOffered", "AgentStateChanged"]
    assert "Disposition" in types and "CallHeld" in types
    world.state.update_interactions()
    history = c.get("/interactions", params={"caller": "+15550001"}, headers=me).json()
    assert history["items"][0]["disposition"] == code


def test_core_refusals_become_http_errors(world: World) -> None:
    objects = _setup(world)
    c, me = world.client, world.a.agent.auth
    agent = objects.ids["agent"]
    ready = c.post(f"/agents/{agent}/pause", json={}, headers=me)
    assert ready.status_code == 200  # logged out -> paused is legal
    assert c.post(f"/agents/{agent}/logout", headers=me).status_code == 200
    missing = c.post("/calls/nope/hangup", headers=world.a.supervisor.auth)
    assert missing.status_code == 404 and missing.json()["field"] == "call_id"
    c.post(f"/agents/{agent}/login", headers=me)
    _ring(world, "call-2")
    c.post("/calls/call-2/answer", json={}, headers=me)
    other = c.post("/agents", json={"key": "bob", "extension": "300"},
                   headers=world.a.admin.auth).json()
    busy = c.post("/calls/call-2/transfer", json={"agent_id": other["id"]}, headers=me)
    assert busy.status_code == 409 and busy.json()["error"] == "not_available"
    assert "bob is logged_out" in busy.json()["detail"]
    both = c.post("/calls/call-2/transfer", json={"agent_id": 1, "queue_id": 1}, headers=me)
    assert both.status_code == 422
    moved = c.post("/calls/call-2/transfer", json={"queue_id": objects.ids["queue"]},
                   headers=me)
    assert moved.status_code == 200


def test_an_agent_controls_only_their_own_agent(world: World) -> None:
    objects = _setup(world)
    c = world.client
    other = c.post("/agents", json={"key": "bob", "extension": "300"},
                   headers=world.a.admin.auth).json()
    refused = c.post(f"/agents/{other['id']}/login", headers=world.a.agent.auth)
    assert refused.status_code == 403 and refused.json()["field"] == "agent_id"
    assert c.post(f"/agents/{other['id']}/login",
                  headers=world.a.supervisor.auth).status_code == 200
    _ring(world, "call-3")  # rings bob (the only one available)
    assert c.post("/calls/call-3/answer", json={}, headers=world.a.agent.auth
                  ).status_code == 404
    assert c.post("/calls/call-3/answer", json={"agent_id": other["id"]},
                  headers=world.a.agent.auth).status_code == 403
    assert objects.ids["agent"] != other["id"]


def test_supervisor_force_state_and_monitoring(world: World) -> None:
    objects = _setup(world)
    c, sup = world.client, world.a.supervisor.auth
    agent = objects.ids["agent"]
    forced = c.post(f"/agents/{agent}/force-state", json={"state": "available"}, headers=sup)
    assert forced.status_code == 200 and forced.json()["state"] == "available"
    assert c.post(f"/agents/{agent}/force-state", json={"state": "paused"},
                  headers=world.a.agent.auth).status_code == 403
    _ring(world, "call-4")
    c.post("/calls/call-4/answer", json={}, headers=world.a.agent.auth)
    for mode in ("listen", "whisper", "barge"):
        done = c.post("/calls/call-4/monitor", json={"mode": mode}, headers=sup)
        assert done.status_code == 200 and done.json()["supervisor"] == "acme-super"
    assert c.post("/calls/call-4/monitor", json={"mode": "listen"},
                  headers=world.a.agent.auth).status_code == 403
    centers = world.state.centers
    assert centers is not None and isinstance(centers.monitor, RecordingMonitor)
    assert [r.mode for r in centers.monitor.requests] == ["listen", "whisper", "barge"]
    assert centers.monitor.requests[0].agent_id == "aa-agent"
    live = c.get("/live/calls", headers=sup).json()
    assert live == [{"call_id": "call-4", "state": "talking", "caller": "+15550001",
                     "agent": "aa-agent", "queue": "aa-support"}]
    assert c.get("/live/agents", headers=world.a.agent.auth).status_code == 403
    with world.engine.connect() as connection:
        actions = connection.execute(sa.select(AuditEntry.action).where(
            AuditEntry.object_type.in_(["agent", "call"]),
            AuditEntry.action != "create")).scalars().all()
    assert sorted(actions) == ["barge", "force_state", "listen", "whisper"]


def test_ring_no_answer_timer_runs_on_the_center_clock(world: World) -> None:
    objects = _setup(world)
    c, me = world.client, world.a.agent.auth
    c.post(f"/agents/{objects.ids['agent']}/login", headers=me)
    _ring(world, "call-5")
    centers = world.state.centers
    assert centers is not None
    world.clock.advance(16)  # the queue's ring timeout is 15 s
    centers.tick()
    state = c.get(f"/agents/{objects.ids['agent']}/state", headers=me).json()
    assert state["state"] == "paused" and state["pause_reason"] == "rona"
