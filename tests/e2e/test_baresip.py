"""baresip (Debian) as an agent's phone: registers with a password, places and receives calls.

The audio is checked too: baresip's sndfile module records what it hears, and the recording
must hold our 1 kHz test tone followed by the echo of baresip's own 440 Hz source.
"""

from __future__ import annotations

import subprocess
import time
import wave
from pathlib import Path

import numpy as np

from tests.e2e.conftest import DemoServer, need, run_sipp, start_server, stop_server
from tests.e2e.test_sipp import free_port

CONFIG = """\
poll_method\tepoll
sip_listen\t{host}:{port}
audio_player\taufile,{dir}/unused.wav
audio_source\taufile,{dir}/source.wav
audio_alert\taufile,{dir}/unused.wav
module_path\t/usr/lib/baresip/modules
module\tg711.so
module\taufile.so
module\tsndfile.so
snd_path\t{dir}/rec
module_app\taccount.so
module_app\tmenu.so
"""


def baresip_home(tmp: Path, server: DemoServer, ext: str = "1001",
                 listen: str = "127.0.0.1") -> Path:
    home = tmp / "baresip"
    (home / "rec").mkdir(parents=True)
    (home / "config").write_text(CONFIG.format(host=listen, port=free_port(), dir=home))
    (home / "accounts").write_text(
        f"<sip:{ext}@{server.target}>;auth_pass={server.passwords[ext]};regint=60;"
        "answermode=auto\n")
    t = np.arange(8000 * 6) / 8000.0
    with wave.open(str(home / "source.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).tobytes())
    return home


def wait_for(predicate, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def dominant(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


def test_baresip_registers_and_calls_the_echo_test(tmp_path: Path) -> None:
    baresip = need("baresip")
    server = start_server(tmp_path)
    try:
        home = baresip_home(tmp_path, server)
        proc = subprocess.run(
            [baresip, "-f", str(home), "-t", "7", "-e", f"/dial sip:9999@{server.target}"],
            cwd=home, capture_output=True, text=True, timeout=30, check=False)
        assert "Call established" in proc.stdout, proc.stdout[-2000:]
        assert "REGISTER 1001 from 127.0.0.1" in server.log_text()
        heard = sorted((home / "rec").glob("*-dec.wav"))
        assert heard, "baresip recorded nothing"
        with wave.open(str(heard[-1])) as w:
            rate = w.getframerate()
            audio = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(float)
        assert len(audio) > 2 * rate
        assert dominant(audio[: int(0.4 * rate)], rate) == 1000.0  # our test tone
        assert dominant(audio[int(1.0 * rate): int(2.5 * rate)], rate) == 440.0  # its echo
    finally:
        stop_server(server)


def test_baresip_receives_a_call_through_the_b2bua(tmp_path: Path) -> None:
    baresip = need("baresip")
    server = start_server(tmp_path, "--did", "2001=agent:1001")
    home = baresip_home(tmp_path, server)
    phone = subprocess.Popen([baresip, "-f", str(home), "-t", "25"], cwd=home,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: "REGISTER 1001 from" in server.log_text(), "baresip to register")
        result = run_sipp(server.target, "-i", "127.0.0.1", "-p", str(free_port()), "-mp",
                          str(free_port()), "-sn", "uac", "-s", "2001", "-m", "3", "-r", "1",
                          "-d", "1000", cwd=tmp_path, timeout=30)
        assert result.returncode == 0, result.stdout[-2000:] + server.log_text()[-3000:]
    finally:
        phone.terminate()
        out, _ = phone.communicate(timeout=15)
        stop_server(server)
    assert out.count("Call established") == 3, out[-2000:]


def test_queue_call_reaches_a_registered_agent_through_the_center(tmp_path: Path) -> None:
    """Caller -> 8000 (support queue) -> the core routes to agent 1001's baresip -> bridged.

    The durable event log (SQLite in the data directory) must tell the whole story.
    """
    from switchboard.core.events import (
        AgentState,
        AgentStateChanged,
        CallAnswered,
        CallArrived,
        CallEnded,
        CallOffered,
        CallQueued,
    )
    from switchboard.store.db import create_engine
    from switchboard.store.eventlog import replay

    baresip = need("baresip")
    server = start_server(tmp_path)
    home = baresip_home(tmp_path, server)
    phone = subprocess.Popen([baresip, "-f", str(home), "-t", "45"], cwd=home,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: "REGISTER 1001 from" in server.log_text(), "baresip to register")
        # one call every 9 s: each talks 3 s, and the agent's wrap-up (5 s) ends before the next
        result = run_sipp(server.target, "-i", "127.0.0.1", "-p", str(free_port()), "-mp",
                          str(free_port()), "-sn", "uac", "-s", "8000", "-m", "3", "-r", "1",
                          "-rp", "9000", "-d", "3000", cwd=tmp_path, timeout=45)
        assert result.returncode == 0, result.stdout[-2000:] + server.log_text()[-3000:]
    finally:
        phone.terminate()
        phone.communicate(timeout=15)
        stop_server(server)
    engine = create_engine(f"sqlite:///{server.data / 'switchboard.db'}")
    events = [logged.event for logged in replay(engine)]
    engine.dispose()
    calls = [e.call_id for e in events if isinstance(e, CallArrived)]
    assert len(calls) == 3
    for call_id in calls:
        kinds = [type(e) for e in events if getattr(e, "call_id", None) == call_id
                 and not isinstance(e, AgentStateChanged)]
        assert kinds[:2] == [CallArrived, CallQueued], kinds
        offered = [e for e in events if isinstance(e, CallOffered) and e.call_id == call_id]
        answered = [e for e in events if isinstance(e, CallAnswered) and e.call_id == call_id]
        assert offered and offered[-1].agent_id == "1001"
        assert len(answered) == 1 and answered[0].agent_id == "1001"
        assert kinds[-1] is CallEnded
    logins = [e for e in events if isinstance(e, AgentStateChanged) and e.agent_id == "1001"
              and e.new is AgentState.AVAILABLE and e.reason == "login"]
    assert logins, "the agent was not logged in by its phone's registration"
