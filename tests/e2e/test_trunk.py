"""A carrier trunk (SIPp standing for the carrier): registration and outbound calls, both with
digest authentication as a client, the carrier checking the answers (SIPp's verifyauth)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.e2e.conftest import SCENARIOS, DemoServer, need, start_server, stop_server
from tests.e2e.test_baresip import baresip_home, wait_for
from tests.e2e.test_sipp import free_port

TRUNK_PASSWORD = "s3cret-trunk"


@contextlib.contextmanager
def with_carrier(tmp: Path, scenario: str, trunk_params: str = ""
                 ) -> Iterator[DemoServer]:
    """A SIPp carrier running ``scenario`` once and a demo server with a trunk to it; on leaving,
    the carrier must have finished its scenario (exit code 0)."""
    port = free_port()
    process = subprocess.Popen(
        [need("sipp"), "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port()), "-sf",
         str(SCENARIOS / scenario), "-m", "1", "-nostdin", "-trace_err", "-timeout", "40s"],
        cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = start_server(tmp, "--trunk", f"carrier=sip:trunkuser:{TRUNK_PASSWORD}@127.0.0.1:"
                                          f"{port}{trunk_params}")
    try:
        yield server
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0, out[-2000:]
    finally:
        stop_server(server)
        if process.poll() is None:
            process.kill()


def test_trunk_registers_with_the_carrier(tmp_path: Path) -> None:
    with with_carrier(tmp_path, "carrier_register.xml", ";register") as server:
        wait_for(lambda: "trunk carrier registered for 120 s" in server.log_text(),
                 "the trunk to register", timeout=20)


def test_outbound_call_through_the_trunk_with_digest_auth(tmp_path: Path) -> None:
    """baresip (agent 1001) dials an outside number; we challenge baresip (407), the carrier
    (SIPp) challenges our trunk (401) and checks our answer.

    baresip places the call rather than SIPp because SIPp 3.6.1 computes an INVITE's digest
    over ``sip:host:port`` instead of the Request-URI, which RFC 2617 §3.2.2.5 / RFC 7616 §3.4.6
    tell a server to refuse (see tests/telephony/test_auth_uri.py).
    """
    with with_carrier(tmp_path, "carrier_invite.xml") as server:
        # the phone calls from 127.0.0.2: 127.0.0.1 is the carrier, whose calls are trusted
        home = baresip_home(tmp_path, server, listen="127.0.0.2")
        proc = subprocess.run(
            [need("baresip"), "-f", str(home), "-t", "6", "-e",
             f"/dial sip:15550001234@{server.target}"],
            cwd=home, capture_output=True, text=True, timeout=30, check=False)
        assert "Call established" in proc.stdout, proc.stdout[-2000:] + server.log_text()[-2000:]


def test_trunk_is_pinged_with_options(tmp_path: Path) -> None:
    with with_carrier(tmp_path, "carrier_options.xml", ";keepalive=30") as server:
        wait_for(lambda: "trunk carrier is up (OPTIONS -> 200)" in server.log_text(),
                 "the keep-alive to be answered", timeout=20)
