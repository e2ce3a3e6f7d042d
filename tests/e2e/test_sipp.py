"""The demo server against SIPp (Debian's sip-tester): real SIP over loopback, 0 failed calls."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.e2e.conftest import SCENARIOS, DemoServer, run_sipp


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sipp_args(server: DemoServer, *args: str) -> list[str]:
    return [server.target, "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
            *args]


def test_uac_calls_the_echo_test(demo_server: DemoServer, tmp_path: Path) -> None:
    result = run_sipp(*sipp_args(demo_server, "-sn", "uac", "-s", "9999", "-m", "20", "-r", "10",
                                 "-d", "500"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + demo_server.log_text()[-3000:]


def test_register_with_digest_auth(demo_server: DemoServer, tmp_path: Path) -> None:
    ext, password = "1001", demo_server.passwords["1001"]
    result = run_sipp(*sipp_args(demo_server, "-sf", str(SCENARIOS / "register_auth.xml"),
                                 "-s", ext, "-au", ext, "-ap", password, "-m", "3"),
                      cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + demo_server.log_text()[-3000:]


def test_register_with_a_wrong_password_fails(demo_server: DemoServer, tmp_path: Path) -> None:
    result = run_sipp(*sipp_args(demo_server, "-sf", str(SCENARIOS / "register_auth.xml"),
                                 "-s", "1002", "-au", "1002", "-ap", "not-the-password",
                                 "-m", "1"), cwd=tmp_path, timeout=20)
    assert result.returncode != 0


def test_reinvite_hold_and_resume(demo_server: DemoServer, tmp_path: Path) -> None:
    result = run_sipp(*sipp_args(demo_server, "-sf", str(SCENARIOS / "reinvite_hold.xml"),
                                 "-s", "9999", "-m", "3"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + demo_server.log_text()[-3000:]
