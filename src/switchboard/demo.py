"""The demo center: the SIP server, the contact center on it, its durable log and the API.

`switchboard serve --demo` runs :func:`run_demo`: agents 1001-1005 (random passwords), the echo
test on 9999, a support queue on 8000 served by the agents whose phones are registered, every
event stored (SQLite in the data directory, or ``SWITCHBOARD_DATABASE_URL``) and replayed at
the next start, and the REST/WebSocket API on the same center (tenant ``demo``, a supervisor
token printed at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from switchboard.core.agents import Agent
from switchboard.core.center import ContactCenter
from switchboard.core.clock import RealClock
from switchboard.core.errors import ConfigError
from switchboard.core.queues import QueueConfig
from switchboard.store.config import load_config
from switchboard.store.credentials import hash_password, new_token
from switchboard.store.db import URL_ENV, create_engine, migrate
from switchboard.store.eventlog import DurableEventLog
from switchboard.store.models import Agent as AgentRow
from switchboard.store.models import AgentQueue, ApiToken, Did, Queue, Role, Tenant, User
from switchboard.telephony.center_port import TelephonyPort
from switchboard.telephony.directory import Directory, Route
from switchboard.telephony.server import Server, ServerSettings, serve_forever, start
from switchboard.telephony.trunks import TrunkMonitor, TrunkRegistration

TENANT = "demo"


@dataclass(slots=True)
class DemoOptions:
    """What `serve --demo` was asked for."""

    directory: Directory
    passwords: dict[str, str]
    host: str = "127.0.0.1"
    sip_port: int = 5060
    tls_port: int | None = None
    ws_port: int | None = None
    http_port: int | None = 8000
    data: Path = field(default_factory=lambda: Path("data"))
    duration: float | None = None
    config: Path | None = None
    """A configuration directory (store.config layout) loaded before start; None: the demo."""
    tenant: str = "demo"
    session_min_se: int | None = None
    """RFC 4028 Min-SE in seconds; None: the switch's default (90)."""


def _seed(engine: Engine, agents: list[str]) -> str:
    """The demo tenant, its queue and agents as configuration rows (so the API lists them),
    and a supervisor with a fresh API token (returned)."""
    with Session(engine) as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == TENANT))
        if tenant is None:
            tenant = Tenant(slug=TENANT, name="Demo center", sip_realm="switchboard")
            session.add(tenant)
            session.flush()
            queue = Queue(tenant_id=tenant.id, key="support", name="Support", ring_timeout=15,
                          wrap_up=5, sl_seconds=20)
            session.add(queue)
            session.flush()
            for ext in agents:
                agent = AgentRow(tenant_id=tenant.id, key=ext, name=f"Agent {ext}", extension=ext,
                              sip_username=ext)
                session.add(agent)
                session.flush()
                session.add(AgentQueue(agent_id=agent.id, queue_id=queue.id))
        user = session.scalar(select(User).where(User.username == "supervisor"))
        if user is None:
            user = User(username="supervisor", role=Role.TENANT_ADMIN, tenant_id=tenant.id,
                        password_hash=hash_password(new_token()[0]))
            session.add(user)
            session.flush()
        token, prefix, token_hash = new_token()
        session.add(ApiToken(user_id=user.id, name="demo", prefix=prefix,
                             token_hash=token_hash))
        session.commit()
    return token


def _token(engine: Engine, tenant: str) -> str:
    """A fresh API token for the tenant's ``supervisor`` user (created if missing)."""
    with Session(engine) as session:
        row = session.scalar(select(Tenant).where(Tenant.slug == tenant))
        assert row is not None
        user = session.scalar(select(User).where(User.username == f"{tenant}-supervisor"))
        if user is None:
            user = User(username=f"{tenant}-supervisor", role=Role.TENANT_ADMIN,
                        tenant_id=row.id, password_hash=hash_password(new_token()[0]))
            session.add(user)
            session.flush()
        token, prefix, token_hash = new_token()
        session.add(ApiToken(user_id=user.id, name="serve", prefix=prefix,
                             token_hash=token_hash))
        session.commit()
    return token


def _center(port: TelephonyPort, log: DurableEventLog, agents: list[str],
            notes: list[str], *, from_store: tuple[Engine, str] | None = None) -> ContactCenter:
    def factory(sink: DurableEventLog) -> ContactCenter:
        center = ContactCenter(clock=RealClock(), port=port, sink=sink)
        if from_store is not None:
            from switchboard.api.services.center import load_center

            load_center(from_store[0], from_store[1], center)
            return center
        center.add_queue(QueueConfig(queue_id="support", name="Support", tenant=TENANT,
                                     ring_timeout=15, wrap_up=5, sl_seconds=20))
        for ext in agents:
            center.add_agent(Agent(ext, queues=("support",)))
        return center

    recovery = log.rebuild(factory)
    notes.append(f"event log: {recovery.replayed} events replayed"
                 + (f", {len(recovery.closed_calls)} calls closed after a restart"
                    if recovery.closed_calls else ""))
    return recovery.center


class _ApiServer:
    """uvicorn inside our event loop, leaving the signals to us."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import uvicorn

        class Quiet(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        self.server = Quiet(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           lifespan="on"))
        self.task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 30.0) -> tuple[str, int]:
        self.task = asyncio.ensure_future(self.server.serve())
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.task.done():
                self.task.result()  # raises what went wrong
                raise RuntimeError("the API server stopped while starting")
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            await asyncio.sleep(0.02)
        sock = self.server.servers[0].sockets[0]
        host, port = sock.getsockname()[:2]
        return str(host), int(port)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task


def _write_ready(path: Path, addresses: dict[str, tuple[str, int]]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: list(v) for k, v in addresses.items()}))
    tmp.replace(path)


def directory_from_store(engine: Engine, tenant: str, directory: Directory) -> None:
    """Add a tenant's agents (phones, with their HA1) and DIDs from the store to ``directory``."""
    with Session(engine) as session:
        row = session.scalar(select(Tenant).where(Tenant.slug == tenant))
        if row is None:
            raise ConfigError(f"no tenant {tenant!r} in the database")
        agents = session.scalars(select(AgentRow).where(AgentRow.tenant_id == row.id,
                                                         AgentRow.active)).all()
        keys = {}
        for agent in agents:
            directory.add_hashed_user(agent.extension, agent.sip_ha1,
                                      username=agent.sip_username or agent.key,
                                      name=agent.name, agent_id=agent.key)
            keys[agent.key] = agent.extension
        for did in session.scalars(select(Did).where(Did.tenant_id == row.id)).all():
            kind = did.entry_kind.value
            if kind == "agent":
                if did.entry in keys:
                    directory.dids[did.number] = Route("agent", keys[did.entry])
            else:
                directory.dids[did.number] = Route(kind, did.entry)


async def run_demo(options: DemoOptions, console: Console) -> None:
    """Run the center until SIGINT/SIGTERM (or ``options.duration`` seconds): the demo, or the
    configuration directory given in the options."""
    data = options.data
    data.mkdir(parents=True, exist_ok=True)
    directory = options.directory
    engine = create_engine(os.environ.get(URL_ENV) or f"sqlite:///{data / 'switchboard.db'}")
    migrate(engine)
    tenant = TENANT if options.config is None else options.tenant
    from_store: tuple[Engine, str] | None = None
    if options.config is not None:
        summary = load_config(engine, options.config, tenant=tenant)
        directory_from_store(engine, tenant, directory)
        from_store = (engine, tenant)
        console.print(f"configuration loaded from {options.config}: {summary}")
    settings = ServerSettings(host=options.host, sip_port=options.sip_port,
                              tls_port=options.tls_port, ws_port=options.ws_port, data=data)
    if options.session_min_se is not None:
        settings.session_min_se = options.session_min_se
    server: Server = await start(settings, directory)
    log = DurableEventLog(engine, tenant=tenant)
    notes: list[str] = []
    if options.config is None:
        directory.dids.setdefault("8000", Route("queue", "support"))
    center = server.switch.attach_center(
        lambda port: _center(port, log, list(directory.users), notes, from_store=from_store))
    addresses = dict(server.transport.addresses)
    api: _ApiServer | None = None
    token = ""
    if options.http_port is not None:
        from switchboard.api import ApiSettings, create_app

        token = _seed(engine, list(directory.users)) if options.config is None else \
            _token(engine, tenant)
        app = create_app(ApiSettings(demo=True, migrate=False), engine=engine,
                         centers={tenant: center}, port=server.switch.port,
                         clock=RealClock())
        api = _ApiServer(app, options.host, options.http_port)
        addresses["http"] = await api.start()
        assert server.switch.port is not None
        server.switch.port.share_lock(app.state.switchboard.centers.lock)
        from switchboard.telephony.metrics import TelephonyCollector

        app.state.switchboard.metrics.registry.register(TelephonyCollector(server))
    agents_file = data / "demo-agents.txt"
    agents_file.write_text("# extension password (realm switchboard)\n" + "".join(
        f"{ext} {password}\n" for ext, password in options.passwords.items()))
    agents_file.chmod(0o600)
    title = "Switchboard demo center" if options.config is None else f"Switchboard ({tenant})"
    console.print(f"[bold]{title}[/bold]: "
                  + ", ".join(f"{kind} {h}:{p}" for kind, (h, p) in addresses.items()))
    if options.config is None:
        console.print("Echo test: call [bold]9999[/bold]. Support queue: call [bold]8000[/bold]"
                      f" (agents {', '.join(center.queues['support'].members)} take its calls "
                      "once their phones register).")
    else:
        console.print(f"tenant {tenant}: queues {', '.join(center.queues)}; numbers "
                      + ", ".join(f"{n} -> {r.kind}:{r.target}" for n, r in
                                  directory.dids.items()))
    for note in notes:
        console.print(note)
    if api is not None:
        (data / "demo-api-token.txt").write_text(token + "\n")
        (data / "demo-api-token.txt").chmod(0o600)
        host, port = addresses["http"]
        console.print(f"API: http://{host}:{port}/docs ; supervisor token (tenant {tenant}) in "
                      f"{data / 'demo-api-token.txt'}:\n  {token}")
    if options.passwords:
        console.print(f"Agents' phones register as (also in {agents_file}):")
        for ext, password in options.passwords.items():
            console.print(f"  {ext}  password {password}")
    registrations: list[TrunkRegistration | TrunkMonitor] = [
        TrunkRegistration(server.ua, t) for t in directory.trunks.values() if t.register]
    registrations += [TrunkMonitor(server.ua, t, interval=t.keepalive)
                      for t in directory.trunks.values() if t.keepalive]
    for registration in registrations:
        registration.start()
    _write_ready(data / "ready.json", addresses)
    try:
        await serve_forever(server, duration=options.duration)
    finally:
        for registration in registrations:
            await registration.stop()
        if api is not None:
            await api.stop()
        log.close()
        engine.dispose()
    console.print("server stopped")
