"""A carrier trunk (SIPp standing for the carrier): registration and outbound calls, both with
digest authentication as a client, the carrier checking the answers (SIPp's verifyauth)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.conftest import SCENARIOS, need, start_server, stop_server
from tests.e2e.test_baresip import baresip_home, wait_for
from tests.e2e.test_sipp import free_port

TRUNK_PASSWORD = "s3cret-trunk"


def carrier(tmp: Path, scenario: str) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    process = subprocess.Popen(
        [need("sipp"), "-i", "127.0.0.1", "-p", str(port), "-mp", str(free_port()), "-sf",
         str(SCENARIOS / scenario), "-m", "1", "-nostdin", "-trace_err", "-timeout", "40s"],
        cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, port


def test_trunk_registers_with_the_carrier(tmp_path: Path) -> None:
    process, port = carrier(tmp_path, "carrier_register.xml")
    server = start_server(tmp_path, "--trunk",
                          f"carrier=sip:trunkuser:{TRUNK_PASSWORD}@127.0.0.1:{port};register")
    try:
        wait_for(lambda: "trunk carrier registered for 120 s" in server.log_text(),
                 "the trunk to register", timeout=20)
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0, out[-2000:]
    finally:
        stop_server(server)
        if process.poll() is None:
            process.kill()


def test_outbound_call_through_the_trunk_with_digest_auth(tmp_path: Path) -> None:
    """baresip (agent 1001) dials an outside number; we challenge baresip (407), the carrier
    (SIPp) challenges our trunk (401) and checks our answer.

    baresip places the call rather than SIPp because SIPp 3.6.1 computes an INVITE's digest
    over ``sip:host:port`` instead of the Request-URI, which RFC 2617 §3.2.2.5 / RFC 7616 §3.4.6
    tell a server to refuse (see tests/telephony/test_auth_uri.py).
    """
    process, port = carrier(tmp_path, "carrier_invite.xml")
    server = start_server(tmp_path, "--trunk",
                          f"carrier=sip:trunkuser:{TRUNK_PASSWORD}@127.0.0.1:{port}")
    try:
        # the phone calls from 127.0.0.2: 127.0.0.1 is the carrier, whose calls are trusted
        home = baresip_home(tmp_path, server, listen="127.0.0.2")
        proc = subprocess.run(
            [need("baresip"), "-f", str(home), "-t", "6", "-e",
             f"/dial sip:15550001234@{server.target}"],
            cwd=home, capture_output=True, text=True, timeout=30, check=False)
        assert "Call established" in proc.stdout, proc.stdout[-2000:] + server.log_text()[-2000:]
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0, out[-2000:]
    finally:
        stop_server(server)
        if process.poll() is None:
            process.kill()


def test_trunk_is_pinged_with_options(tmp_path: Path) -> None:
    process, port = carrier(tmp_path, "carrier_options.xml")
    server = start_server(tmp_path, "--trunk",
                          f"carrier=sip:trunkuser:{TRUNK_PASSWORD}@127.0.0.1:{port};keepalive=30")
    try:
        wait_for(lambda: "trunk carrier is up (OPTIONS -> 200)" in server.log_text(),
                 "the keep-alive to be answered", timeout=20)
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0, out[-2000:]
    finally:
        stop_server(server)
        if process.poll() is None:
            process.kill()
