"""Latency of the live queue-figures endpoint, over loopback, with a large staffed queue.

``queue_stats_latency(agents=1000)`` makes a database (a temporary SQLite file unless ``url``
is given) with one tenant, one queue and ``agents`` agents serving it, all logged in; starts
the API under uvicorn in a thread on 127.0.0.1; then sends ``requests`` sequential
``GET /live/queues/{id}`` with an API token through one keep-alive httpx client (after
``warmup`` requests), and returns the p50, p90, p99 and maximum latency in milliseconds.
"""

from __future__ import annotations

import secrets
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from sqlalchemy.orm import Session

from switchboard.api.app import create_app
from switchboard.api.settings import ApiSettings
from switchboard.api.state import AppState
from switchboard.store.credentials import new_token
from switchboard.store.db import create_engine, migrate
from switchboard.store.models import Agent, AgentQueue, ApiToken, Queue, Role, Tenant, User

__all__ = ["queue_stats_latency"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seed(url: str, agents: int) -> tuple[str, int]:
    engine = create_engine(url)
    migrate(engine)
    with Session(engine) as session:
        tenant = Tenant(slug="bench", name="Bench")
        session.add(tenant)
        session.flush()
        user = User(username=f"bench-{secrets.token_hex(3)}", role=Role.SUPERVISOR,
                    tenant_id=tenant.id)
        session.add(user)
        session.flush()
        token, prefix, token_hash = new_token()
        session.add(ApiToken(user_id=user.id, prefix=prefix, token_hash=token_hash))
        queue = Queue(tenant_id=tenant.id, key="support")
        session.add(queue)
        session.flush()
        for i in range(agents):
            session.add(Agent(tenant_id=tenant.id, key=f"agent-{i}", extension=str(1000 + i),
                              sip_username=str(1000 + i),
                              memberships=[AgentQueue(queue_id=queue.id, position=0)]))
        session.commit()
        queue_id = queue.id
    engine.dispose()
    return token, queue_id


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def queue_stats_latency(agents: int = 1000, requests: int = 2000, *, url: str | None = None,
                        warmup: int = 100) -> dict[str, Any]:
    """Measure ``GET /live/queues/{id}`` latency (ms) with ``agents`` logged-in agents."""
    with tempfile.TemporaryDirectory() as scratch:
        db_url = url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        token, queue_id = _seed(db_url, agents)
        settings = ApiSettings(secret_key=SecretStr(secrets.token_urlsafe(32)),
                               database_url=db_url)
        app = create_app(settings)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.01)
        try:
            state: AppState = app.state.switchboard
            assert state.centers is not None
            centers = state.centers
            with centers.lock:
                center = centers.center("bench")
                for i in range(agents):
                    center.login(f"agent-{i}")
            path = f"http://127.0.0.1:{port}/live/queues/{queue_id}"
            headers = {"Authorization": f"Bearer {token}"}
            timings: list[float] = []
            with httpx.Client(headers=headers) as client:
                for i in range(warmup + requests):
                    start = time.perf_counter()
                    response = client.get(path)
                    elapsed = time.perf_counter() - start
                    response.raise_for_status()
                    if i >= warmup:
                        timings.append(elapsed * 1000)
            body = response.json()
            assert body["available"] == agents, body
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    timings.sort()
    return {"agents": agents, "requests": requests, "backend": db_url.split(":")[0],
            "p50_ms": round(_percentile(timings, 0.50), 3),
            "p90_ms": round(_percentile(timings, 0.90), 3),
            "p99_ms": round(_percentile(timings, 0.99), 3),
            "max_ms": round(timings[-1], 3), "mean_ms": round(statistics.fmean(timings), 3)}


if __name__ == "__main__":
    print(queue_stats_latency())
