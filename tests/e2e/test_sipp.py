"""The demo server against SIPp (Debian's sip-tester): real SIP over loopback, 0 failed calls."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

from tests.e2e.conftest import SCENARIOS, DemoServer, need, run_sipp, start_server, stop_server


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


class AgentPhone:
    """A SIPp UAS standing for an agent's phone (a fixed contact), running in the background."""

    def __init__(self, tmp: Path, scenario: list[str], extension: str = "1001") -> None:
        self.port = free_port()
        self.extension = extension
        sipp = need("sipp")
        self.process = subprocess.Popen(
            [sipp, "-i", "127.0.0.1", "-p", str(self.port), "-mp", str(free_port()), *scenario,
             "-nostdin", "-trace_err", "-timeout", "60s"],
            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    @property
    def uri(self) -> str:
        return f"sip:{self.extension}@127.0.0.1:{self.port}"

    def stop(self) -> str:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=15)
        return out or ""


def b2bua_server(tmp: Path, phone: AgentPhone) -> DemoServer:
    return start_server(tmp, "--did", "2001=agent:1001", "--phone", f"1001={phone.uri}")


def test_b2bua_relays_calls_to_an_agent_phone(tmp_path: Path) -> None:
    phone = AgentPhone(tmp_path, ["-sn", "uas"])
    server = b2bua_server(tmp_path, phone)
    try:
        result = run_sipp(*sipp_args(server, "-sn", "uac", "-s", "2001", "-m", "20", "-r", "10",
                                     "-d", "200"), cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
    finally:
        stop_server(server)
        phone.stop()


def test_cancel_before_answer_reaches_the_agent_phone(tmp_path: Path) -> None:
    phone = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "uas_ring_forever.xml"), "-m", "3"])
    server = b2bua_server(tmp_path, phone)
    try:
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "cancel.xml"), "-s", "2001",
                                     "-m", "3"), cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
        phone.process.wait(timeout=20)  # it ends after its 3 cancelled calls
        assert phone.process.returncode == 0, phone.stop()
    finally:
        stop_server(server)
        if phone.process.poll() is None:
            phone.stop()


def test_refer_transfers_the_other_party(tmp_path: Path) -> None:
    phone = AgentPhone(tmp_path, ["-sn", "uas"])
    server = b2bua_server(tmp_path, phone)
    try:
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "refer.xml"), "-s", "2001",
                                     "-inf", str(SCENARIOS / "refer_targets.csv"), "-m", "1"),
                          cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
    finally:
        stop_server(server)
        phone.stop()


def test_session_timers_and_info_dtmf(demo_server: DemoServer, tmp_path: Path) -> None:
    result = run_sipp(*sipp_args(demo_server, "-sf", str(SCENARIOS / "timers_info.xml"),
                                 "-s", "9999", "-m", "1"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + demo_server.log_text()[-3000:]
    assert "DTMF 5 on" in demo_server.log_text()


def test_refer_transfers_the_other_party_to_another_agent(tmp_path: Path) -> None:
    first = AgentPhone(tmp_path, ["-sn", "uas"])
    second = AgentPhone(tmp_path, ["-sn", "uas", "-m", "1"], extension="1002")
    server = start_server(tmp_path, "--did", "2001=agent:1001", "--phone",
                          f"1001={first.uri}", "--phone", f"1002={second.uri}")
    try:
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "refer.xml"), "-s", "2001",
                                     "-inf", str(SCENARIOS / "refer_agent.csv"), "-m", "1"),
                          cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
    finally:
        stop_server(server)
        out = second.stop()
        first.stop()
    # 1002's phone received exactly one INVITE (the transferred call) and answered it
    # (a UAS screen: "---> INVITE" received, "<--- 200" sent)
    assert re.search(r"-+> INVITE\s+1\b", out), out[:2000]
    assert re.search(r"<-+ 200\s+1\b", out), out[:2000]
