"""Session timers (RFC 4028) enforced, against SIPp: refreshes keep a call up, silence ends it
(BYE to both legs, with a Reason), and the switch refreshes when it is the refresher.

RFC 4028 forbids intervals under 90 s; the server under test runs with
``--session-min-se 4`` so that the scenarios can use 8 s and finish in seconds. The
scenarios wait for messages (no fixed sleeps decide the outcome): a refresh the switch ignored
would make its BYE arrive while SIPp pauses, which SIPp counts as a failed call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import SCENARIOS, DemoServer, run_sipp, start_server, stop_server
from tests.e2e.test_sipp import AgentPhone, sipp_args


@pytest.fixture
def short_timer_server(tmp_path: Path) -> Iterator[DemoServer]:
    server = start_server(tmp_path, "--session-min-se", "4")
    try:
        yield server
    finally:
        stop_server(server)
        assert server.process.returncode == 0, server.log_text()


def test_refreshes_keep_the_call_and_silence_ends_it(short_timer_server: DemoServer,
                                                      tmp_path: Path) -> None:
    server = short_timer_server
    result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "timers_refresh.xml"),
                                 "-s", "9999", "-m", "1"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
    assert re.search(r"session expired on \S+: no session refresh within 10 s", server.log_text())


def test_the_switch_refreshes_when_it_is_the_refresher(short_timer_server: DemoServer,
                                                       tmp_path: Path) -> None:
    server = short_timer_server
    result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "timers_uas_refresh.xml"),
                                 "-s", "9999", "-m", "1"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
    assert "session expired" not in server.log_text()


def test_expiry_hangs_up_both_legs_of_a_b2bua_call(tmp_path: Path) -> None:
    phone = AgentPhone(tmp_path, ["-sn", "uas", "-m", "1"])  # answers, then expects a BYE
    server = start_server(tmp_path, "--did", "2001=agent:1001", "--phone", f"1001={phone.uri}",
                          "--session-min-se", "4")
    try:
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "timers_expire.xml"),
                                     "-s", "2001", "-m", "1"), cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
        phone.process.wait(timeout=30)
        assert phone.process.returncode == 0, phone.stop()
        assert "session expired on" in server.log_text()
    finally:
        stop_server(server)
        if phone.process.poll() is None:
            phone.stop()


def test_the_switch_refreshes_with_reinvite_when_update_is_not_allowed(
        short_timer_server: DemoServer, tmp_path: Path) -> None:
    server = short_timer_server
    result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "timers_uas_reinvite.xml"),
                                 "-s", "9999", "-m", "1"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
    assert "session expired" not in server.log_text()


def test_reinvite_glare_is_answered_491_and_the_refresh_retried(
        short_timer_server: DemoServer, tmp_path: Path) -> None:
    """RFC 3261 §14.1-14.2: the caller re-INVITEs while the switch's refresh is pending. The
    switch answers it 491, takes the caller's 491 to its own refresh, and sends the refresh
    again 0-2 s later (the caller chose the Call-ID); the call stays up."""
    server = short_timer_server
    result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "timers_glare.xml"),
                                 "-s", "9999", "-m", "1"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-3000:]
    log = server.log_text()
    retry = re.search(r"met a re-INVITE from the peer \(491\): again in ([0-9.]+) s", log)
    assert retry is not None, log[-3000:]
    assert 0.0 <= float(retry.group(1)) <= 2.0
    assert "session expired" not in log
