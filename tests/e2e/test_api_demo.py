"""The API of a running demo server drives the same live center the phones reach."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.conftest import DemoServer


def client(server: DemoServer) -> httpx.Client:
    host, port = server.addresses["http"]
    token = (server.data / "demo-api-token.txt").read_text().strip()
    return httpx.Client(base_url=f"http://{host}:{port}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_agent_login_and_pause_through_the_api(demo_server: DemoServer, tmp_path: Path) -> None:
    from switchboard.core.events import AgentState, AgentStateChanged
    from switchboard.store.db import create_engine
    from switchboard.store.eventlog import replay

    with client(demo_server) as api:
        queues = api.get("/live/queues").json()
        assert [q["key"] for q in queues] == ["support"]
        agents = {a["key"]: a for a in api.get("/live/agents").json()}
        assert set(agents) == {"1001", "1002", "1003", "1004", "1005"}
        agent_id = agents["1002"]["agent_id"]
        r = api.post(f"/agents/{agent_id}/login")
        assert r.status_code == 200 and r.json()["state"] == "available", r.text
        assert api.get("/live/queues").json()[0]["available"] == 1
        r = api.post(f"/agents/{agent_id}/pause", json={"reason": "coaching"})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "paused" and r.json()["pause_reason"] == "coaching"
        # the core refuses what its state machine does not allow, with its own words
        r = api.post(f"/agents/{agent_id}/pause", json={"reason": "again"})
        assert r.status_code == 409, r.text
        assert api.get("/live/queues", headers={"Authorization": "Bearer nope"}).status_code \
            == 401
    engine = create_engine(f"sqlite:///{demo_server.data / 'switchboard.db'}")
    changes = [logged.event for logged in replay(engine)
               if isinstance(logged.event, AgentStateChanged)]
    engine.dispose()
    assert [(e.agent_id, e.new, e.reason) for e in changes][-2:] == [
        ("1002", AgentState.AVAILABLE, "login"), ("1002", AgentState.PAUSED, "coaching")]
