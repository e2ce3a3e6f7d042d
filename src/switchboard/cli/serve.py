"""`switchboard serve`: the SIP server (``--demo``: demo agents and the echo test), or a simulated
center paced against the wall clock with a live dashboard (``--simulate``)."""

from __future__ import annotations

import asyncio
import logging
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from switchboard.core.errors import ConfigError
from switchboard.core.events import AgentState
from switchboard.sim.engine import Simulation
from switchboard.sim.report import clock_label
from switchboard.sim.scenario import load, parse_clock
from switchboard.sip import ParseError, SipURI
from switchboard.store.errors import StoreError
from switchboard.telephony.directory import Directory

if TYPE_CHECKING:
    pass

DEMO_SCENARIO = "demo-center.yaml"


def _dashboard(sim: Simulation, start: float, speed: float) -> Group:
    center = sim.center
    metrics = sim.metrics
    now = sim.clock.now()
    queues = Table(title=f"Switchboard demo center - {clock_label(now, start)} "
                         f"(simulated, {speed:g}x real time)", header_style="bold")
    for name in ("queue", "waiting", "longest wait", "available", "staffed", "offered",
                 "answered", "abandoned", "SL", "ASA"):
        queues.add_column(name, justify="left" if name == "queue" else "right")
    for queue_id in center.queues:
        status = center.queue_status(queue_id)
        k = metrics.kpis(queue_id)
        queues.add_row(queue_id, str(status.waiting), f"{status.longest_wait:.0f} s",
                       str(status.available), str(status.staffed), str(k.offered),
                       str(k.answered), str(k.abandoned),
                       "-" if k.service_level != k.service_level else f"{k.service_level:.0%}",
                       "-" if k.asa != k.asa else f"{k.asa:.0f} s")
    agents = Table(title="Agents", header_style="bold")
    counts = {state: 0 for state in AgentState}
    for agent in center.agents.values():
        counts[agent.state] += 1
    for state in AgentState:
        agents.add_column(state.value.replace("_", " "), justify="right")
    agents.add_row(*(str(counts[s]) for s in AgentState))
    return Group(queues, agents)


def serve_command(
    demo: Annotated[bool, typer.Option(help="Run the demo center: agents 1001-1005, echo test "
                                            "on 9999.")] = False,
    config: Annotated[Path | None, typer.Option(
        help="Load this configuration directory (queues.yaml, agents.yaml, dids.yaml, ...) "
             "into the store and serve it.")] = None,
    tenant: Annotated[str, typer.Option(help="The tenant a --config directory is for.")]
    = "default",
    sip_port: Annotated[int, typer.Option(help="SIP port (UDP and TCP); 0 picks a free one.")]
    = 5060,
    tls_port: Annotated[int | None, typer.Option(help="SIP over TLS port (self-signed "
                                                      "certificate made on first start).")]
    = None,
    ws_port: Annotated[int | None, typer.Option(help="SIP over WebSocket port (RFC 7118).")]
    = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    data: Annotated[Path, typer.Option(help="Directory for state, certificates, demo files.")]
    = Path("data"),
    simulate: Annotated[bool, typer.Option(help="Run a simulated center with a live dashboard "
                                                "instead of telephony.")] = False,
    speed: Annotated[float, typer.Option(min=0.1, help="Simulated seconds per real second.")]
    = 60.0,
    duration: Annotated[float | None, typer.Option(help="Stop after this many real seconds.")]
    = None,
    scenario: Annotated[Path | None, typer.Option(help="Scenario for --simulate.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the first simulated day.")] = 1,
    did: Annotated[list[str] | None, typer.Option(
        help="Route a public number: NUMBER=echo|agent:EXT (repeatable).")] = None,
    trunk: Annotated[list[str] | None, typer.Option(
        help="A carrier trunk: NAME=sip:user:password@host:port[;register][;keepalive=S] "
             "(repeatable; the first carries outbound calls).")] = None,
    http_port: Annotated[int, typer.Option(help="REST/WebSocket API port (0 picks a free "
                                                "one, -1 turns the API off).")] = 8000,
    uvloop: Annotated[bool, typer.Option(help="Run on uvloop (faster) when it is installed.")]
    = True,
    phone: Annotated[list[str] | None, typer.Option(
        help="A fixed phone for an extension that does not register: EXT=sip:URI "
             "(repeatable).")] = None,
    session_min_se: Annotated[int | None, typer.Option(
        min=1, help="Smallest session interval accepted, in seconds (RFC 4028 Min-SE; 90 by "
                    "default, as the RFC requires).")] = None,
) -> None:
    """Start the contact center's SIP server (--demo), or a simulated center (--simulate)."""
    err = Console(stderr=True)
    if simulate or scenario is not None:
        _simulate(scenario, speed, duration, seed, err)
        return
    if not demo and config is None:
        err.print("[red]error:[/red] nothing to serve: give `--config DIR` (a configuration "
                  "directory: queues.yaml, agents.yaml, dids.yaml), or use `switchboard serve "
                  "--demo` (demo agents, echo test) or `switchboard serve --simulate`",
                  highlight=False)
        raise typer.Exit(2)
    from switchboard.telephony.directory import Route, demo_directory

    directory, passwords = demo_directory() if config is None else (Directory(), {})
    try:
        for item in did or []:
            number, _, route = item.partition("=")
            directory.dids[number.strip()] = Route.parse(route.strip())
        for item in trunk or []:
            name, _, uri = item.partition("=")
            directory.trunks[name.strip()] = Directory.parse_trunk(name.strip(), uri.strip())
        for item in phone or []:
            ext, _, uri = item.partition("=")
            if ext not in directory.users:
                raise ValueError(f"--phone {item}: no extension {ext!r} (the demo has "
                                 f"{', '.join(directory.users)})")
            SipURI.parse(uri)
            directory.users[ext].static_contact = uri
    except (ValueError, ParseError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    run = asyncio.run
    if uvloop:
        try:
            import uvloop as _uvloop

            run = _uvloop.run
        except ImportError:
            pass
    try:
        from switchboard.demo import DemoOptions, run_demo

        run(run_demo(DemoOptions(directory=directory, passwords=passwords, host=host,
                                 sip_port=sip_port, tls_port=tls_port, ws_port=ws_port,
                                 http_port=None if http_port < 0 else http_port, data=data,
                                 duration=duration, config=config, tenant=tenant,
                                 session_min_se=session_min_se), Console()))
    except (ConfigError, StoreError) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot listen: {exc.strerror or exc} (is another server "
                  f"on port {sip_port}? use --sip-port)", highlight=False)
        raise typer.Exit(2) from None


def _simulate(scenario: Path | None, speed: float, duration: float | None, seed: int,
              err: Console) -> None:
    if scenario is None:
        path = Path(str(resources.files("switchboard.sim") / "scenarios" / DEMO_SCENARIO))
    else:
        path = scenario
    try:
        parsed, model = load(path)
    except Exception as exc:  # a ScenarioError names file and line
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    start = parse_clock(parsed.start)
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    wall_start = time.monotonic()
    day = 0
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        while duration is None or time.monotonic() - wall_start < duration:
            sim = Simulation(model, seed=seed + day)
            sim.start()
            day_start = time.monotonic()
            running = True
            while running:
                elapsed = time.monotonic() - day_start
                running = sim.advance(elapsed * speed)
                live.update(_dashboard(sim, start, speed))
                if duration is not None and time.monotonic() - wall_start >= duration:
                    break
                time.sleep(0.25)
            else:
                day += 1
                continue
            break
    console.print(f"simulated center stopped after {time.monotonic() - wall_start:.1f} s")
