"""The live feed over WebSocket, and the Prometheus metrics."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.api.conftest import PASSWORD, World, populate


def test_agent_sees_own_offers_and_supervisor_sees_the_tenant(world: World) -> None:
    objects = populate(world, world.a, "aa", "5551")
    c = world.client
    other = c.post("/agents", json={"key": "bob", "extension": "300",
                                    "skills": {"aa-skill": 1}, "queues": ["aa-support"]},
                   headers=world.a.admin.auth).json()
    centers = world.state.centers
    assert centers is not None
    with c.websocket_connect("/ws/events", headers=world.a.agent.auth) as mine, \
            c.websocket_connect("/ws/events", headers=world.a.supervisor.auth) as wall:
        assert mine.receive_json()["role"] == "agent"
        assert wall.receive_json()["role"] == "supervisor"
        c.post(f"/agents/{other['id']}/login", headers=world.a.supervisor.auth)
        with centers.lock:
            center = centers.center("acme")
            center.call_arrived("c-bob", caller="+15550009", tenant="acme")
            center.enqueue("c-bob", "aa-support")  # offered to bob
        centers.flush()
        c.post(f"/agents/{objects.ids['agent']}/login", headers=world.a.agent.auth)
        with centers.lock:
            center.call_arrived("c-me", caller="+15550010", tenant="acme")
            center.enqueue("c-me", "aa-support")  # offered to our agent
        centers.flush()
        seen: list[dict[str, Any]] = []
        while not any(m["type"] == "event" and m["event"]["type"] == "CallOffered"
                      for m in seen):
            seen.append(mine.receive_json())
        events = [m["event"] for m in seen if m["type"] == "event"]
        assert all("aa-agent" in (e.get("agent_id"), e.get("from_agent")) for e in events)
        assert [e["call_id"] for e in events if e["type"] == "CallOffered"] == ["c-me"]
        assert all(m["tenant"] == "acme" for m in seen)
        wall_seen: list[dict[str, Any]] = []
        while len([m for m in wall_seen if m["type"] == "event"
                   and m["event"]["type"] == "CallOffered"]) < 2:
            wall_seen.append(wall.receive_json())
        offered = [m["event"]["agent_id"] for m in wall_seen
                   if m["type"] == "event" and m["event"]["type"] == "CallOffered"]
        assert offered == ["bob", "aa-agent"]
        assert any(m["type"] == "queue_status" and m["queue"]["key"] == "aa-support"
                   for m in wall_seen)


def test_websocket_needs_credentials_and_a_good_origin(world: World) -> None:
    c = world.client
    with pytest.raises(WebSocketDisconnect) as anonymous, c.websocket_connect("/ws/events"):
        pass
    assert anonymous.value.code == 1008
    c.post("/auth/login", json={"username": "acme-super", "password": PASSWORD})
    # the test client speaks ws:// and so would not send a Secure cookie by itself
    cookie = {"Cookie": f"sb_session={c.cookies['sb_session']}"}
    with c.websocket_connect("/ws/events",
                             headers={**cookie, "Origin": "https://testserver"}) as ok:
        assert ok.receive_json()["user"] == "acme-super"
    with pytest.raises(WebSocketDisconnect) as hijack, \
            c.websocket_connect("/ws/events",
                                headers={**cookie, "Origin": "https://evil.example"}):
        pass
    assert hijack.value.code == 1008


def test_metrics(world: World) -> None:
    objects = populate(world, world.a, "aa", "5551")
    c = world.client
    c.post(f"/agents/{objects.ids['agent']}/login", headers=world.a.agent.auth)
    centers = world.state.centers
    assert centers is not None
    with centers.lock:
        centers.center("acme").call_arrived("m-1", caller="+15550011", tenant="acme")
        centers.center("acme").call_arrived("m-2", caller="+15550012", tenant="acme")
        centers.center("acme").enqueue("m-1", "aa-support")
        centers.center("acme").enqueue("m-2", "aa-support")
    c.get("/queues/999999", headers=world.a.admin.auth)
    text = c.get("/metrics").text
    assert 'switchboard_calls_total{event="arrived",tenant="acme"} 2.0' in text
    assert 'switchboard_queue_waiting{queue="aa-support",tenant="acme"} 1.0' in text
    assert 'switchboard_agents{state="reserved",tenant="acme"} 1.0' in text
    assert ('switchboard_http_requests_total{method="GET",route="/queues/{queue_id}",'
            'status="404"} 1.0') in text
    assert 'switchboard_api_errors_total{route="/queues/{queue_id}",status="404"} 1.0' in text
    assert 'switchboard_http_request_duration_seconds_count{method="POST",' \
           'route="/agents/{agent_id}/login"} 1.0' in text
