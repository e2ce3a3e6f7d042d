"""Attended transfer (RFC 3891 Replaces, RFC 3515 REFER) against real SIPp peers.

The call is caller -> switch -> agent 1001 (a back-to-back call). SIPp handles one dialog per
scenario, so the transferor's phone is two SIPp instances: one answers the first call, puts
the caller on hold and writes that dialog's identifiers (as the switch sees them) to
``ids.txt``; the test hands them with ``-set`` to the other instance, which makes the
consultation call and sends the REFER (or to a third phone that sends INVITE with Replaces).
Who ends up talking to whom is read from the signalling: the caller's only BYE is the one the
new party sends, relayed by the switch.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from tests.e2e.conftest import SCENARIOS, DemoServer, need, run_sipp, start_server, stop_server
from tests.e2e.test_sipp import AgentPhone, sipp_args


def background_sipp(server: DemoServer, tmp: Path, *args: str) -> subprocess.Popen[str]:
    """A SIPp UAC running in the background (the caller, who only waits)."""
    return subprocess.Popen([need("sipp"), *sipp_args(server, *args), "-timeout", "60s",
                             "-trace_err", "-nostdin"], cwd=tmp, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for_ids(path: Path, *processes: subprocess.Popen[str],
                 timeout: float = 30.0) -> tuple[str, str, str]:
    """The identifiers the transferor's phone wrote: Call-ID, the switch's tag, its tag."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"SIPp exited early: {process.communicate()[0][-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {path.name} within {timeout} s")
        time.sleep(0.05)
    call_id, switch_tag, agent_tag = path.read_text().split()
    return call_id, switch_tag, agent_tag


def finished(process: subprocess.Popen[str], what: str, server: DemoServer) -> None:
    """Wait (with a deadline) for a SIPp instance and require 0 failed calls."""
    try:
        out, _ = process.communicate(timeout=45)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise AssertionError(f"{what} did not finish: {out[-3000:]}") from None
    assert process.returncode == 0, f"{what}: {out[-3000:]}\n{server.log_text()[-4000:]}"


def test_attended_transfer_with_refer_and_replaces(tmp_path: Path) -> None:
    agent = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "attended_agent.xml"), "-m", "1"])
    target = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "attended_target.xml"), "-m", "1"],
                        extension="1002")
    server = start_server(tmp_path, "--did", "2001=agent:1001", "--did", "2002=agent:1002",
                          "--phone", f"1001={agent.uri}", "--phone", f"1002={target.uri}")
    caller = None
    try:
        caller = background_sipp(server, tmp_path, "-sf",
                                 str(SCENARIOS / "attended_caller.xml"), "-s", "2001",
                                 "-m", "1")
        call_id, switch_tag, agent_tag = wait_for_ids(tmp_path / "ids.txt", caller,
                                                      agent.process)
        # The consultation call to 2002 (agent 1002), then REFER with Replaces naming the
        # first call, as the switch sees it: to-tag is the switch's tag, from-tag the agent's.
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "attended_consult.xml"),
                                     "-s", "2002", "-m", "1", "-set", "target", "2001",
                                     "-set", "cid", quote(call_id, safe=""),
                                     "-set", "totag", switch_tag, "-set", "fromtag", agent_tag),
                          cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-4000:]
        # The first call was ended (BYE to the agent's phone), the target's hang-up reached
        # the caller: caller and target were connected.
        finished(agent.process, "transferor's first call", server)
        finished(target.process, "transfer target", server)
        finished(caller, "caller", server)
        assert "attended transfer: leg B" in server.log_text()  # the target's leg ...
        assert "joined to leg A" in server.log_text()  # ... joined to the caller's
    finally:
        stop_server(server)
        for process in (caller, agent.process, target.process):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()


def test_attended_transfer_refused_for_an_unknown_dialog(tmp_path: Path) -> None:
    agent = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "refer_replaces_refused.xml"),
                                  "-m", "1"])
    server = start_server(tmp_path, "--did", "2001=agent:1001", "--phone",
                          f"1001={agent.uri}")
    try:
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "attended_caller.xml"),
                                     "-s", "2001", "-m", "1"), cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-4000:]
        finished(agent.process, "agent", server)
    finally:
        stop_server(server)
        if agent.process.poll() is None:
            agent.stop()


def test_invite_with_replaces_takes_over_a_call(tmp_path: Path) -> None:
    agent = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "attended_agent.xml"), "-m", "1"])
    server = start_server(tmp_path, "--did", "2001=agent:1001", "--phone",
                          f"1001={agent.uri}")
    caller = None
    try:
        caller = background_sipp(server, tmp_path, "-sf",
                                 str(SCENARIOS / "attended_caller.xml"), "-s", "2001",
                                 "-m", "1")
        call_id, switch_tag, agent_tag = wait_for_ids(tmp_path / "ids.txt", caller,
                                                      agent.process)
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "replaces_invite.xml"),
                                     "-s", "2001", "-m", "1", "-set", "cid", call_id,
                                     "-set", "totag", switch_tag, "-set", "fromtag", agent_tag),
                          cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-4000:]
        finished(agent.process, "replaced agent", server)
        finished(caller, "caller", server)
        assert "INVITE with Replaces: leg A" in server.log_text()
    finally:
        stop_server(server)
        for process in (caller, agent.process):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()


def test_replaces_of_a_dialog_elsewhere_is_forwarded_to_the_target(tmp_path: Path) -> None:
    agent = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "refer_replaces_forward.xml"),
                                  "-m", "1"])
    target = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "replaces_target.xml"), "-m", "1"],
                        extension="1002")
    server = start_server(tmp_path, "--did", "2001=agent:1001", "--phone", f"1001={agent.uri}",
                          "--phone", f"1002={target.uri}")
    try:
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "attended_caller.xml"),
                                     "-s", "2001", "-m", "1"), cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-4000:]
        finished(agent.process, "transferor", server)
        finished(target.process, "transfer target", server)
    finally:
        stop_server(server)
        for process in (agent.process, target.process):
            if process.poll() is None:
                process.kill()
                process.communicate()


def test_attended_transfer_to_the_echo_test(tmp_path: Path) -> None:
    agent = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "attended_agent.xml"), "-m", "1"])
    server = start_server(tmp_path, "--did", "2001=agent:1001", "--phone",
                          f"1001={agent.uri}")
    caller = None
    try:
        caller = background_sipp(server, tmp_path, "-sf",
                                 str(SCENARIOS / "attended_caller_hangs_up.xml"), "-s", "2001",
                                 "-m", "1")
        call_id, switch_tag, agent_tag = wait_for_ids(tmp_path / "ids.txt", caller,
                                                      agent.process)
        # The consultation call goes to the echo test (9999); the REFER joins the caller to it.
        result = run_sipp(*sipp_args(server, "-sf", str(SCENARIOS / "attended_consult.xml"),
                                     "-s", "9999", "-m", "1", "-set", "target", "9999",
                                     "-set", "cid", quote(call_id, safe=""),
                                     "-set", "totag", switch_tag, "-set", "fromtag", agent_tag),
                          cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-3000:] + server.log_text()[-4000:]
        finished(agent.process, "transferor's first call", server)
        finished(caller, "caller", server)
        assert "attended transfer: the echo test joined to leg A" in server.log_text()
    finally:
        stop_server(server)
        for process in (caller, agent.process):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()


def test_agent_transfers_a_queue_call_and_the_center_records_it(tmp_path: Path) -> None:
    """Caller -> 8000 (support queue) -> the core routes to agent 1001's phone, which sends a
    blind REFER to 9999: the caller is joined to the echo test, and the durable event log says
    the call was transferred by 1001 and left the center, and 1001 went to wrap-up."""
    import httpx

    from switchboard.core.events import (
        AgentState,
        AgentStateChanged,
        CallAnswered,
        CallEnded,
        CallTransferred,
        EndReason,
    )
    from switchboard.store.db import create_engine
    from switchboard.store.eventlog import replay

    phone = AgentPhone(tmp_path, ["-sf", str(SCENARIOS / "agent_refer.xml"), "-m", "1"])
    server = start_server(tmp_path, "--phone", f"1001={phone.uri}")
    try:
        host, port = server.addresses["http"]
        token = (server.data / "demo-api-token.txt").read_text().strip()
        with httpx.Client(base_url=f"http://{host}:{port}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as api:
            agents = {a["key"]: a["agent_id"] for a in api.get("/live/agents").json()}
            r = api.post(f"/agents/{agents['1001']}/login")
            assert r.status_code == 200, r.text
        caller = run_sipp(*sipp_args(server, "-sn", "uac", "-s", "8000", "-d", "4000",
                                     "-m", "1"), cwd=tmp_path)
        assert caller.returncode == 0, caller.stdout[-3000:] + server.log_text()[-3000:]
        finished(phone.process, "the agent's phone", server)
    finally:
        stop_server(server)
        if phone.process.poll() is None:
            phone.stop()
    engine = create_engine(f"sqlite:///{server.data / 'switchboard.db'}")
    events = [logged.event for logged in replay(engine)]
    engine.dispose()
    answered = [e for e in events if isinstance(e, CallAnswered)]
    assert [e.agent_id for e in answered] == ["1001"]
    call_id = answered[0].call_id
    transfers = [e for e in events if isinstance(e, CallTransferred)]
    assert [(e.call_id, e.from_agent, e.to_agent) for e in transfers] == [(call_id, "1001", "")]
    ended = [e for e in events if isinstance(e, CallEnded)]
    assert [(e.call_id, e.reason) for e in ended] == [(call_id, EndReason.TRANSFERRED)]
    after = [e.new for e in events if isinstance(e, AgentStateChanged) and e.agent_id == "1001"
             and e.at >= ended[0].at]
    assert after[:1] == [AgentState.WRAP_UP], after
