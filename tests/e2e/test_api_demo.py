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


def test_prometheus_metrics_count_sip_traffic_and_drops(demo_server: DemoServer) -> None:
    import re
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"\x00garbage that is not SIP", (demo_server.host, demo_server.port))
        s.sendto(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-m\r\n"
                 b"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: m1\r\n"
                 b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
                 (demo_server.host, demo_server.port))
        assert s.recv(4000).startswith(b"SIP/2.0 200 ")
    with client(demo_server) as api:
        text = api.get("/metrics").text
    received = re.search(r'switchboard_sip_messages_total\{direction="received"\} (\S+)', text)
    garbage = re.search(r'switchboard_sip_dropped_total\{reason="malformed_unanswerable"\} '
                        r'(\S+)', text)
    assert received and float(received.group(1)) >= 1, text[-2000:]
    assert garbage and float(garbage.group(1)) == 1, text[-2000:]
    assert "switchboard_sip_registered_users 0.0" in text
