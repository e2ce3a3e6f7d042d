"""SIP server throughput: calls (and registrations) per second with 0 failed calls, via SIPp.

What is measured
----------------
For each target, the load's rate is stepped up in short probes (doubling, then bisecting)
until calls fail or SIPp cannot keep the rate (the run takes longer than its calls should);
sustained runs of --duration seconds (30 s; 5 s with --quick) then start at 60 % of the best
probe, step down until one has 0 failed calls and up by 20 % while they pass (at most to the
best probe); the highest passing sustained run is reported. Targets, side by side in one run:

* ``echo``: INVITE/200/ACK/BYE to 9999, answered by our server (echo test, media port opened
  and a tone queued per call), SIPp ``-sn uac -d 0``;
* ``raw``: the same calls to a minimal asyncio UDP responder (200 to INVITE and BYE, nothing
  else): the ceiling of a Python asyncio server for (a);
* ``b2bua``: calls to a public number routed to an agent whose phone is a SIPp UAS
  (``-sn uas`` on 127.0.0.2): our server relays each call as a B2BUA and anchors its media;
* ``sippy``: the same load through the ``sippy`` B2BUA (``b2bua_simple``, signalling only);
* ``register``: REGISTER with digest auth (tests/e2e/sipp/register_auth.xml, -au/-ap).

Our server is started in-process (telephony.server.start) in a subprocess of its own, with a
Directory holding the agent's static contact and a SourceGuard whose per-source rate limit is
lifted: all the load comes from 127.0.0.1, which the default guard (500 messages/s per
source) would shed, and the per-source cap on open server transactions (500) would refuse
with 503; the ``stock`` row keeps both defaults, as ``switchboard serve`` runs. The server
runs ``serve_forever`` as ``switchboard serve`` does (its garbage-collector settings included).
``--uvloop`` adds rows for our server and the raw responder on uvloop, the loop
``switchboard serve`` uses when it is installed. ``--compiled`` adds rows for our server on
the mypyc build of the SIP stack, core and simulator (``make compiled``; what
``SWITCHBOARD_MYPYC=1 pip install .`` installs).

The load comes from ``--generators`` SIPp processes side by side (default 2), each with its
share of the rate: one SIPp tops out near 8,000 calls/s on a 2-CPU machine, well below what
the raw responder can answer, so a single one would make SIPp, not the responder, the ceiling.
Beside calls/s the table gives the server's CPU time per call and the ratio of calls per
CPU-second against the reference: the raw responder still has CPU to spare where the two
SIPp processes reach their limit, and this ratio does not depend on the load generator.

Run: .venv/bin/python bench/bench_sip.py [--quick] [--duration 30] [--uvloop] [--compiled]
     [--generators 2] [--max-rate 25600] [--only echo,stock,raw,b2bua,sippy,register]
     [--no-refine] [--call-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "e2e" / "sipp"
AGENT_EXT, AGENT_DID = "2001", "5000"
COMPILED = ROOT / "build" / "compiled"
"""`make compiled`: the mypyc build (setup.py), which ``--compiled`` rows run our server on."""
console = Console(width=160)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------- servers (subprocesses)


async def _serve_switchboard(ready: Path, agent: str | None, stock: bool) -> None:
    import logging

    from switchboard.telephony.directory import Route, demo_directory
    from switchboard.telephony.guard import SourceGuard
    from switchboard.telephony.server import ServerSettings, serve_forever, start

    logging.basicConfig(level=logging.WARNING)
    directory, passwords = demo_directory()
    if agent is not None:
        directory.add_user(AGENT_EXT, "bench", static_contact=f"sip:{AGENT_EXT}@{agent}")
        directory.dids[AGENT_DID] = Route("agent", AGENT_EXT)
    settings = ServerSettings(host="127.0.0.1", sip_port=0, data=ready.parent,
                              guard=None if stock else SourceGuard(rate=1e9, burst=1e9))
    server = await start(settings, directory)
    if not stock and hasattr(server.ua, "max_transactions_per_source"):
        server.ua.max_transactions_per_source = 10**9  # all the load comes from 127.0.0.1
    ready.write_text(json.dumps({"udp": list(server.transport.addresses["udp"]),
                                 "passwords": passwords}))
    await serve_forever(server)


class _Raw(asyncio.DatagramProtocol):
    """200 to INVITE and BYE, silence to everything else: the least a UAS can do."""

    SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           b"m=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.tags = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        method = data[:data.find(b" ")]
        if method not in (b"INVITE", b"BYE"):
            return
        head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        out = [b"SIP/2.0 200 OK"]
        for line in head[1:]:
            name = line[:line.find(b":")].strip().lower()
            if name in (b"via", b"v", b"from", b"f", b"call-id", b"i", b"cseq"):
                out.append(line)
            elif name in (b"to", b"t"):
                if b";tag=" not in line:
                    self.tags += 1
                    line += b";tag=raw%d" % self.tags
                out.append(line)
        if method == b"INVITE":
            out += [b"Contact: <sip:raw@127.0.0.1:%d>" % self.transport.get_extra_info(
                "sockname")[1], b"Content-Type: application/sdp",
                b"Content-Length: %d" % len(self.SDP), b"", self.SDP]
        else:
            out += [b"Content-Length: 0", b"", b""]
        self.transport.sendto(b"\r\n".join(out), addr)  # type: ignore[attr-defined]


async def _serve_raw(ready: Path) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(_Raw, local_addr=("127.0.0.1", 0))
    ready.write_text(json.dumps({"udp": list(transport.get_extra_info("sockname")[:2])}))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    transport.close()


def serve_main(kind: str, ready: Path, agent: str | None, use_uvloop: bool,
               stock: bool) -> None:
    coro = _serve_raw(ready) if kind == "raw" else _serve_switchboard(ready, agent, stock)
    if use_uvloop:
        import uvloop

        uvloop.run(coro)
    else:
        asyncio.run(coro)


@dataclass
class Process:
    """A background process we started (server, SIPp UAS), stopped by its own pid."""

    popen: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return float("nan")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> Process:
    with log.open("wb") as out:
        popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=log.parent,
                                 env={**os.environ, **(env or {})})
    return Process(popen, log)


def start_ready(args: list[str], work: Path, name: str, env: dict[str, str] | None = None
                ) -> tuple[Process, dict[str, object]]:
    """Start a server that writes a ready file; wait for it with a deadline."""
    ready = work / f"{name}.json"
    ready.unlink(missing_ok=True)
    proc = spawn([*args, "--ready", str(ready)], work / f"{name}.log", env)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if proc.popen.poll() is not None or time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"{name} did not start: {proc.log.read_text()[-2000:]}")
        time.sleep(0.05)
    return proc, json.loads(ready.read_text())


def wait_udp_listening(port: int, host: str, proc: Process, timeout: float = 15) -> None:
    """Until something is bound on host:port (UDP), by trying to bind it ourselves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"exited: {proc.log.read_text()[-2000:]}")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port}")


# ---------------------------------------------------------------------- SIPp load


@dataclass
class Probe:
    rate: float
    seconds: float
    ok: bool
    successful: int
    failed: int
    elapsed: float
    retrans: int
    why: str = ""
    cpu: float = float("nan")


def run_sipp(target: str, scenario: list[str], rate: float, seconds: float,
             work: Path, generators: int = 1) -> Probe:
    """One load of rate x seconds calls from ``generators`` SIPp processes side by side (each
    a share of the rate and calls, its own ports and Call-IDs); killed (a failure) once one
    falls behind."""
    calls = max(generators, round(rate * seconds))
    allowed = seconds * 1.15 + 2.0
    started = time.monotonic()
    runs: list[tuple[subprocess.Popen[bytes], Path]] = []
    for g in range(generators):
        share = calls // generators + (1 if g < calls % generators else 0)
        args = ["sipp", target, *scenario, "-i", "127.0.0.1", "-p", str(free_port()),
                "-mp", str(free_port()), "-r", f"{rate / generators:g}", "-m", str(share),
                "-timeout", f"{int(seconds * 3 + 15)}s", "-nostdin", "-max_socket", "10000"]
        out = work / f"sipp-{g}.out"
        with out.open("wb") as sink:
            runs.append((subprocess.Popen(args, cwd=work, stdout=sink,
                                          stderr=subprocess.STDOUT), out))
    late = False
    for popen, _ in runs:
        try:
            popen.wait(max(0.0, allowed - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            late = True
            popen.kill()
            popen.wait()
    elapsed = time.monotonic() - started
    if late:
        return Probe(rate, seconds, False, 0, 0, elapsed, 0,
                     f"could not keep up (not done after {allowed:.0f} s)")
    successful = failed = retrans = 0
    bad_exit = 0
    for popen, out in runs:
        text = out.read_text(errors="replace")

        def counter(name: str, text: str = text) -> int:
            found = re.findall(rf"{name}\s*\|\s*\d+\s*\|\s*(\d+)", text)
            return int(found[-1]) if found else 0

        successful += counter("Successful call")
        failed += counter("Failed call")
        retrans += sum(int(m) for m in re.findall(r"-{2,}>\s+\S*\s*\d+\s+(\d+)", text))
        bad_exit = bad_exit or popen.returncode
    why = ""
    if bad_exit != 0 or failed or successful < calls:
        why = f"{failed or calls - successful} failed (sipp exit {bad_exit})"
    return Probe(rate, seconds, not why, successful, failed, elapsed, retrans, why)


@dataclass
class Target:
    name: str
    label: str
    scenario: list[str]
    setup: object  # a callable returning (sipp target "host:port", list of processes)
    server_proc: int = 0
    """Index of the process whose CPU is reported."""
    result: Probe | None = None
    cpu: float = float("nan")
    ceiling_reached: bool = True
    probes: list[Probe] = field(default_factory=list)
    generators: int = 1
    """SIPp processes sharing the load (--generators)."""


def attempt(target: Target, work: Path, rate: float, seconds: float) -> Probe:
    """One run against a freshly started server (no state left over from earlier runs)."""
    address, procs = target.setup(work)  # type: ignore[operator]
    try:
        cpu0 = procs[target.server_proc].cpu_seconds()
        probe = run_sipp(address, target.scenario, rate, seconds, work, target.generators)
        probe.cpu = (procs[target.server_proc].cpu_seconds() - cpu0) / probe.elapsed
    finally:
        for proc in procs:
            proc.stop()
    target.probes.append(probe)
    console.log(f"{target.name}: {rate:g}/s for {seconds:g} s -> "
                f"{'ok' if probe.ok else probe.why}")
    return probe


def find_rate(target: Target, work: Path, duration: float, probe_seconds: float,
              start: float, budget: float, max_rate: float, refine: bool) -> None:
    """Short probes step the rate up (doubling, then bisecting) to an upper bound; sustained
    runs of ``duration`` seconds then start below it, step down until one has 0 failed calls,
    and (``refine``, the default) step up by 20 % while they pass, up to the best probe. Every
    run gets a fresh server."""
    deadline = time.monotonic() + budget
    lo, hi, rate = 0.0, None, start
    bisections = 0
    while True:
        if attempt(target, work, rate, probe_seconds).ok:
            lo = rate
        else:
            hi = rate
        if hi is None:
            if rate * 2 > max_rate:
                break
            rate *= 2
        elif lo == 0.0:
            rate = hi / 2
            if rate < 5:
                return
        elif hi / lo > 1.2 and (bisections < 2 or time.monotonic() < deadline):
            rate = round((lo + hi) / 2)
            bisections += 1
        else:
            break
    target.ceiling_reached = hi is not None
    # Live transactions build up over Timer J (32 s), so a sustained rate is below a short
    # probe's: start the sustained runs below it.
    rate = lo if hi is None else round(lo * 0.6)
    best: Probe | None = None
    for _ in range(5):
        probe = attempt(target, work, rate, duration)
        if probe.ok:
            best = probe
            if hi is None or not refine or rate * 1.2 > lo:
                break
            rate = round(rate * 1.2)
        else:
            if best is not None:
                break
            # a cap (not the CPU) lets a fixed number of calls through: aim below it
            rate = round(rate * 0.75)
            if probe.failed:
                rate = max(1, min(rate, round(probe.successful / duration * 0.9)))
    if best is not None:
        target.result = best
        target.cpu = best.cpu


# ---------------------------------------------------------------------- targets


def switchboard_setup(use_uvloop: bool, with_agent: bool,  # type: ignore[no-untyped-def]
                      stock: bool = False, compiled: bool = False):
    def setup(work: Path) -> tuple[str, list[Process]]:
        procs: list[Process] = []
        agent = None
        if with_agent:
            port = free_port("127.0.0.2")
            uas = spawn(["sipp", "-sn", "uas", "-i", "127.0.0.2", "-p", str(port), "-mp",
                         str(free_port("127.0.0.2")), "-nostdin", "-max_socket", "10000"],
                        work / "uas.log")
            procs.append(uas)
            wait_udp_listening(port, "127.0.0.2", uas)
            agent = f"127.0.0.2:{port}"
        args = [sys.executable, __file__, "--serve", "switchboard"]
        if agent:
            args += ["--agent", agent]
        if use_uvloop:
            args.append("--serve-uvloop")
        if stock:
            args.append("--stock")
        env = {"PYTHONPATH": str(COMPILED)} if compiled else None
        server, ready = start_ready(args, work, "switchboard", env)
        procs.insert(0, server)
        host, port = ready["udp"]  # type: ignore[misc]
        setup.passwords = ready["passwords"]  # type: ignore[attr-defined]
        return f"{host}:{port}", procs

    return setup


def raw_setup(use_uvloop: bool):  # type: ignore[no-untyped-def]
    def setup(work: Path) -> tuple[str, list[Process]]:
        args = [sys.executable, __file__, "--serve", "raw"]
        if use_uvloop:
            args.append("--serve-uvloop")
        server, ready = start_ready(args, work, "raw")
        host, port = ready["udp"]  # type: ignore[misc]
        return f"{host}:{port}", [server]

    return setup


def sippy_setup(work: Path) -> tuple[str, list[Process]]:
    b2bua = shutil.which("b2bua_simple") or str(Path(sys.executable).parent / "b2bua_simple")
    uas_port = free_port("127.0.0.2")
    uas = spawn(["sipp", "-sn", "uas", "-i", "127.0.0.2", "-p", str(uas_port), "-mp",
                 str(free_port("127.0.0.2")), "-nostdin", "-max_socket", "10000"],
                work / "uas-sippy.log")
    wait_udp_listening(uas_port, "127.0.0.2", uas)
    port = free_port()
    proxy = spawn([b2bua, "-f", "-l", "127.0.0.1", "-p", str(port), "-n",
                   f"127.0.0.2:{uas_port}"], work / "sippy.log",
                  env={"SIPLOG_LVL": "WARN"})  # no per-message log lines
    wait_udp_listening(port, "127.0.0.1", proxy)
    return f"127.0.0.1:{port}", [proxy, uas]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0,
                        help="seconds the best rate is sustained (default 30)")
    parser.add_argument("--quick", action="store_true", help="5 s sustain, 2 s probes")
    parser.add_argument("--probe", type=float, default=None,
                        help="seconds per probe while stepping (default 3, 2 with --quick)")
    parser.add_argument("--uvloop", action="store_true", help="add rows for our server on uvloop")
    parser.add_argument("--compiled", action="store_true",
                        help="add rows for our server on the mypyc build (make compiled)")
    parser.add_argument("--only", default="echo,raw,b2bua,sippy,register",
                        help="comma-separated targets (also: stock)")
    parser.add_argument("--max-rate", type=float, default=25600,
                        help="highest rate probed (default 25600)")
    parser.add_argument("--generators", type=int, default=2,
                        help="SIPp processes sharing each load (default 2: one SIPp tops out "
                             "near 8,000 calls/s, below the raw responder's ceiling)")
    parser.add_argument("--no-refine", dest="refine", action="store_false",
                        help="report the first sustained pass instead of stepping up from it "
                             "by 20%% while runs pass (shorter, coarser)")
    parser.add_argument("--call-ms", type=int, default=0, help="SIPp -d (call length, ms)")
    # internal: run one of the servers
    parser.add_argument("--serve", choices=("switchboard", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--ready", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--agent", help=argparse.SUPPRESS)
    parser.add_argument("--serve-uvloop", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stock", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_main(args.serve, args.ready, args.agent, args.serve_uvloop, args.stock)
        return
    if shutil.which("sipp") is None:
        sys.exit("sipp is not installed (apt-get install sip-tester)")
    duration = 5.0 if args.quick else args.duration
    probe_seconds = args.probe or (2.0 if args.quick else 3.0)
    uac = ["-sn", "uac", "-d", str(args.call_ms)]
    register_setup = switchboard_setup(False, False)

    def register_with_password(work: Path) -> tuple[str, list[Process]]:
        address, procs = register_setup(work)
        password = register_setup.passwords["1001"]  # type: ignore[attr-defined]
        register.scenario[:] = ["-sf", str(SCENARIOS / "register_auth.xml"), "-s", "1001",
                                "-au", "1001", "-ap", password]
        return address, procs

    targets = [
        Target("echo", "(a) calls to 9999, our server", [*uac, "-s", "9999"],
               switchboard_setup(False, False)),
        Target("stock", "(a) calls to 9999, default per-source limits", [*uac, "-s", "9999"],
               switchboard_setup(False, False, stock=True)),
        Target("raw", "raw asyncio UDP responder", [*uac, "-s", "9999"], raw_setup(False)),
        Target("b2bua", "(b) B2BUA to a SIPp UAS, our server", [*uac, "-s", AGENT_DID],
               switchboard_setup(False, True)),
        Target("sippy", "sippy b2bua_simple to a SIPp UAS", [*uac, "-s", AGENT_DID],
               sippy_setup),
    ]
    if args.uvloop:
        targets += [
            Target("echo-uvloop", "(a) calls to 9999, our server, uvloop",
                   [*uac, "-s", "9999"], switchboard_setup(True, False)),
            Target("raw-uvloop", "raw responder, uvloop", [*uac, "-s", "9999"],
                   raw_setup(True)),
            Target("b2bua-uvloop", "(b) B2BUA, our server, uvloop", [*uac, "-s", AGENT_DID],
                   switchboard_setup(True, True)),
        ]
    if args.compiled:
        if not (COMPILED / ".built").exists():
            sys.exit("no mypyc build: run `make compiled` first")
        targets += [
            Target("echo-compiled", "(a) calls to 9999, our server, mypyc build",
                   [*uac, "-s", "9999"], switchboard_setup(False, False, compiled=True)),
            Target("b2bua-compiled", "(b) B2BUA, our server, mypyc build",
                   [*uac, "-s", AGENT_DID], switchboard_setup(False, True, compiled=True)),
        ]
        if args.uvloop:
            targets.append(Target("echo-uvloop-compiled",
                                  "(a) calls to 9999, our server, mypyc build, uvloop",
                                  [*uac, "-s", "9999"],
                                  switchboard_setup(True, False, compiled=True)))
    register = Target("register", "(c) REGISTER with digest auth, our server", [],
                      register_with_password)
    targets.append(register)
    wanted = set(args.only.split(","))
    if args.uvloop:
        wanted |= {f"{name}-uvloop" for name in wanted}
    if args.compiled:
        wanted |= {f"{name}-compiled" for name in wanted}
    targets = [t for t in targets if t.name in wanted]
    for t in targets:
        t.generators = max(1, args.generators)
    budget = max(10.0, probe_seconds * 8)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-sip-") as tmp:
        for target in targets:
            work = Path(tmp) / target.name
            work.mkdir()
            find_rate(target, work, duration, probe_seconds, 50.0, budget, args.max_rate,
                      args.refine)
    total = time.monotonic() - started
    show(targets, duration, total, args.call_ms)


def show(targets: list[Target], duration: float, total: float, call_ms: int) -> None:
    by_name = {t.name: t for t in targets}

    def cps(name: str) -> float | None:
        t = by_name.get(name)
        return None if t is None or t.result is None else t.result.rate

    def cpu_per_call(t: Target) -> float | None:
        """Server CPU seconds per call in the reported run."""
        r = t.result
        return t.cpu / r.rate if r is not None and r.rate and t.cpu == t.cpu else None

    reference = {"echo": "raw", "b2bua": "sippy", "echo-uvloop": "raw-uvloop",
                 "b2bua-uvloop": "sippy", "echo-compiled": "raw", "b2bua-compiled": "sippy",
                 "echo-uvloop-compiled": "raw-uvloop"}
    generators = max((t.generators for t in targets), default=1)
    table = Table(title=f"SIP throughput with 0 failed calls, sustained {duration:g} s "
                        f"(SIPp -d {call_ms} ms, {generators} SIPp process(es) per load; "
                        f"{os.cpu_count()} CPUs shared by SIPp and servers; bench {total:.0f} s)")
    for col in ("target", "calls/s", "calls", "retrans", "server CPU", "CPU/call", "vs",
                "CPU/call vs"):
        table.add_column(col, justify="left" if col in ("target", "vs") else "right")
    bound = False
    for t in targets:
        ratio = cpu_ratio = ""
        ref = reference.get(t.name)
        mine, theirs = cps(t.name), cps(ref) if ref else None
        if mine and theirs:
            ratio = f"{mine / theirs:.2f}x {by_name[ref].label}"  # type: ignore[index]
        own = cpu_per_call(t)
        other = cpu_per_call(by_name[ref]) if ref and ref in by_name else None
        if own and other:
            # Calls per CPU-second, ours over theirs: the ratio of ceilings when the load
            # generator, not the server, is what stops the reference.
            cpu_ratio = f"{other / own:.2f}x"
        r = t.result
        rate = "-"
        if r is not None:
            rate = f"{r.rate:g}" + ("" if t.ceiling_reached else "+")
            if t.ceiling_reached and t.cpu == t.cpu and t.cpu < 0.6:
                rate += " *"  # the server had CPU to spare: SIPp was the limit
                bound = True
        table.add_row(t.label, rate, f"{r.successful:,}" if r else "-",
                      f"{r.retrans:,}" if r else "-",
                      f"{t.cpu:.0%}" if r and t.cpu == t.cpu else "-",
                      f"{own * 1e6:.0f} µs" if own else "-", ratio, cpu_ratio)
    console.print(table)
    console.print("CPU/call: the server's CPU time per call in the reported run; 'CPU/call vs' "
                  "is calls per CPU-second against the reference's (a ratio of ceilings that "
                  "does not depend on the load generator; at low rates the idle loop's share "
                  "inflates CPU/call).")
    if bound:
        console.print("* the server used under 60 % of a CPU at its best passing rate: the "
                      "load generator (SIPp sharing the CPUs), not the server, was the limit; "
                      "its own ceiling is higher (see CPU/call).")


if __name__ == "__main__":
    main()
