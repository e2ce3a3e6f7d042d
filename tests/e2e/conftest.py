"""End-to-end fixtures: a real `switchboard serve --demo` process and real SIP peers.

The server runs as a subprocess on free ports; tests wait on its ready file with a deadline
(never a fixed sleep). When CI is set, a missing peer (sipp, baresip) is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).parent / "sipp"


def need(tool: str) -> str:
    """The path of an external peer; skip without it, unless running in CI."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} is not installed (bash dev.sh test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class DemoServer:
    """A running demo server."""

    process: subprocess.Popen[bytes]
    data: Path
    addresses: dict[str, tuple[str, int]]
    passwords: dict[str, str]
    log: Path

    @property
    def host(self) -> str:
        return self.addresses["udp"][0]

    @property
    def port(self) -> int:
        return self.addresses["udp"][1]

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(tmp: Path, *extra: str) -> DemoServer:
    data = tmp / "data"
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "serve", "--demo", "--sip-port", "0",
             "--http-port", "0", "--data", str(data), *extra],
            stdout=out, stderr=subprocess.STDOUT)
    ready = data / "ready.json"
    deadline = time.monotonic() + 30
    while not ready.exists():
        if process.poll() is not None:
            raise AssertionError(f"server exited: {log.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"server not ready in 30 s: {log.read_text()}")
        time.sleep(0.05)
    addresses = {k: (v[0], int(v[1])) for k, v in json.loads(ready.read_text()).items()}
    passwords = {}
    for line in (data / "demo-agents.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            ext, password = line.split()
            passwords[ext] = password
    return DemoServer(process, data, addresses, passwords, log)


def stop_server(server: DemoServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[DemoServer]:
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        stop_server(server)
        assert server.process.returncode == 0, server.log_text()


def run_sipp(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run sipp in the background mode with a global timeout; returns its result."""
    sipp = need("sipp")
    return subprocess.run([sipp, *args, "-timeout", f"{int(timeout)}s", "-trace_err",
                           "-nostdin"], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout + 15, check=False)
