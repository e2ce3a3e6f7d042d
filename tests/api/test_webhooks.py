"""Webhook deliveries to a real HTTP receiver on 127.0.0.1: signed, retried with exponential
backoff on a scripted clock, visible in the delivery log."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.api.conftest import World, populate

SECRET = "whsec-0123456789abcdef"


@dataclass
class Receiver:
    """A local HTTP server that records requests and answers with scripted statuses."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            rec = box["r"]
            rec.requests.append({"headers": dict(self.headers), "body": body})
            status = rec.statuses.pop(0) if rec.statuses else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box["r"]
    server.shutdown()
    server.server_close()


def _verify(request: dict[str, Any]) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in request["headers"].items()}
    timestamp = headers["x-switchboard-timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request["body"],
                        hashlib.sha256).hexdigest()
    assert headers["x-switchboard-signature"] == f"v1={expected}"
    payload: dict[str, Any] = json.loads(request["body"])
    return payload


def test_signed_delivery_with_retries(world: World, receiver: Receiver) -> None:
    objects = populate(world, world.a, "aa", "5551")
    c, h = world.client, world.a.admin.auth
    dispatcher = world.state.webhooks
    c.patch(f"/webhooks/{objects.ids['webhook']}", json={"version": 1, "active": False},
            headers=h)  # populate's own webhook stays out of the way
    hook = c.post("/webhooks", json={"url": receiver.url, "secret": SECRET,
                                     "event_types": ["AgentStateChanged"]}, headers=h).json()
    assert "secret" not in hook
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    dispatcher.run_once(now)  # starts following the log here
    receiver.statuses = [500, 503]  # fails twice, then succeeds
    c.post(f"/agents/{objects.ids['agent']}/login", headers=world.a.agent.auth)
    # the other tenant's webhook must not get acme's events
    c.post("/webhooks", json={"url": receiver.url + "/globex", "secret": SECRET},
           headers=world.b.admin.auth)
    created, attempted = dispatcher.run_once(now)
    assert (created, attempted) == (1, 1)
    log = c.get(f"/webhooks/{hook['id']}/deliveries", headers=h).json()["items"]
    assert log[0]["status"] == "pending" and log[0]["attempts"] == 1
    assert log[0]["response_code"] == 500 and "HTTP 500" in log[0]["last_error"]
    assert dispatcher.run_once(now + dt.timedelta(seconds=9)) == (0, 0)  # backoff: 10 s
    assert dispatcher.run_once(now + dt.timedelta(seconds=10)) == (0, 1)
    assert dispatcher.run_once(now + dt.timedelta(seconds=29)) == (0, 0)  # then 20 s
    assert dispatcher.run_once(now + dt.timedelta(seconds=30)) == (0, 1)
    log = c.get(f"/webhooks/{hook['id']}/deliveries", headers=h).json()["items"]
    assert log[0]["status"] == "delivered" and log[0]["attempts"] == 3
    assert log[0]["response_code"] == 200
    assert len(receiver.requests) == 3
    payloads = [_verify(r) for r in receiver.requests]
    assert {p["type"] for p in payloads} == {"AgentStateChanged"}
    assert payloads[-1]["tenant"] == "acme" and payloads[-1]["event"]["new"] == "available"
    assert all("/globex" not in str(r["headers"]) for r in receiver.requests)


def test_gives_up_after_max_attempts(world: World, receiver: Receiver) -> None:
    objects = populate(world, world.a, "aa", "5551")
    c, h = world.client, world.a.admin.auth
    dispatcher = world.state.webhooks
    c.patch(f"/webhooks/{objects.ids['webhook']}", json={"version": 1, "active": False},
            headers=h)  # populate's own webhook stays out of the way
    hook = c.post("/webhooks", json={"url": receiver.url, "secret": SECRET}, headers=h).json()
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    dispatcher.run_once(now)
    receiver.statuses = [500] * 10
    c.post(f"/agents/{objects.ids['agent']}/login", headers=world.a.agent.auth)
    for seconds in (0, 10, 30, 70):
        dispatcher.run_once(now + dt.timedelta(seconds=seconds))
    log = c.get(f"/webhooks/{hook['id']}/deliveries", params={"status": "failed"},
                headers=h).json()
    assert log["total"] == 1 and log["items"][0]["attempts"] == 3  # max_attempts in tests
    assert len(receiver.requests) == 3


def test_private_urls_are_refused_unless_allowed(world: World) -> None:
    world.state.settings.webhook_allow_private = False
    try:
        refused = world.client.post("/webhooks", json={"url": "http://127.0.0.1:8080/x",
                                                       "secret": SECRET},
                                    headers=world.a.admin.auth)
        assert refused.status_code == 422 and refused.json()["field"] == "url"
        ok = world.client.post("/webhooks", json={"url": "https://hooks.example.com/x",
                                                  "secret": SECRET}, headers=world.a.admin.auth)
        assert ok.status_code == 201
    finally:
        world.state.settings.webhook_allow_private = True
