"""Durable event-log append rate on SQLite and PostgreSQL, side by side.

Every figure is committed events per second (the center acts only on committed events):
single appends (one commit per event), batches, and group commit from 8 threads. The
baseline in the same run is the in-memory log (no durability), the ceiling of the core.

Run: .venv/bin/python bench/bench_eventlog.py [--events 2000]
(PostgreSQL from SWITCHBOARD_TEST_PG_URL, default postgres@127.0.0.1:5432; a scratch
database is created and dropped.)
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from switchboard.core.log import EventLog
from switchboard.store.bench import append_rate, synthetic_events

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def memory_rate(n: int) -> float:
    log = EventLog()
    events = list(synthetic_events(n))
    started = time.perf_counter()
    for event in events:
        log.append(event)
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    n = args.events
    rows: list[tuple[str, str, float]] = [("in memory (no durability)", "-", memory_rate(n))]
    with tempfile.TemporaryDirectory() as tmp:
        admin_url = os.environ.get("SWITCHBOARD_TEST_PG_URL", PG_ADMIN)
        name = f"switchboard_bench_{secrets.token_hex(4)}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        pg_url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            for backend, url_for in (
                ("SQLite", lambda mode: f"sqlite:///{Path(tmp) / (mode + '.db')}"),
                ("PostgreSQL", lambda mode: pg_url),
            ):
                rows.append((backend, "single append", append_rate(url_for("single"), n)))
                rows.append((backend, "batches of 100",
                             append_rate(url_for("b100"), n * 10, batch=100)))
                rows.append((backend, "group commit, 8 threads",
                             append_rate(url_for("group"), n, threads=8)))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    table = Table(title=f"Durable event-log append rate (committed events/s, {n} events a run)")
    for col in ("backend", "mode", "events/s", "vs in memory"):
        table.add_column(col, justify="left" if col in ("backend", "mode") else "right")
    base = rows[0][2]
    for backend, mode, rate in rows:
        table.add_row(backend, mode, f"{rate:,.0f}", f"{rate / base:.4f}x")
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
