"""API latency: `GET /live/queues/{id}` with 1,000 logged-in agents, on SQLite and PostgreSQL.

uvicorn serves the app on loopback in a thread; one keep-alive httpx client measures each
request. The baseline in the same run is the queue-figures computation alone (what the
endpoint returns, without HTTP, auth and the database), so the table shows what the web
stack costs on top of the core.

Run: .venv/bin/python bench/bench_api.py [--agents 1000] [--requests 2000]
(PostgreSQL from SWITCHBOARD_TEST_PG_URL, default postgres@127.0.0.1:5432; a scratch database
is created and dropped.)
"""

from __future__ import annotations

import argparse
import os
import secrets
import time

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from switchboard.api.bench import queue_stats_latency
from switchboard.api.services.center import CenterService
from switchboard.core.agents import Agent
from switchboard.core.center import ContactCenter
from switchboard.core.clock import VirtualClock
from switchboard.core.log import EventLog
from switchboard.core.queues import QueueConfig

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class _Null:
    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return lambda *args: None


def core_only(agents: int, requests: int) -> dict[str, float]:
    center = ContactCenter(clock=VirtualClock(), port=_Null(), sink=EventLog(keep=False))  # type: ignore[arg-type]
    center.add_queue(QueueConfig(queue_id="q"))
    for i in range(agents):
        center.add_agent(Agent(f"a{i}", queues=("q",)))
        center.login(f"a{i}")
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        CenterService.queue_figures(center, "q")
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {"p50_ms": timings[len(timings) // 2], "p99_ms": timings[int(len(timings) * 0.99)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    rows = [("queue figures alone (core, no HTTP)", core_only(args.agents, args.requests))]
    rows.append(("API on SQLite", queue_stats_latency(args.agents, args.requests)))
    admin_url = os.environ.get("SWITCHBOARD_TEST_PG_URL", PG_ADMIN)
    name = f"switchboard_bench_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        pg_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        rows.append(("API on PostgreSQL", queue_stats_latency(args.agents, args.requests,
                                                              url=pg_url)))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    table = Table(title=f"GET /live/queues/{{id}} with {args.agents:,} logged-in agents, "
                        f"{args.requests:,} requests (ms)")
    for col in ("what", "p50 ms", "p99 ms", "p99 vs core"):
        table.add_column(col, justify="left" if col == "what" else "right")
    base = rows[0][1]["p99_ms"]
    for what, r in rows:
        table.add_row(what, f"{r['p50_ms']:.3f}", f"{r['p99_ms']:.3f}",
                      f"{r['p99_ms'] / base:.0f}x")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
