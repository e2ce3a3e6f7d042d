"""`switchboard serve --config DIR`: a center kept as YAML in git, loaded into the store and
served: its agent's phone (digest HA1 from the file) registers, its number reaches its queue,
and its agent (whose id is not the extension) takes the call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from switchboard.sip.auth import compute_ha1
from tests.e2e.conftest import DemoServer, need, run_sipp, stop_server
from tests.e2e.test_baresip import CONFIG, wait_for
from tests.e2e.test_sipp import free_port

PASSWORD = "alice-secret-1"


def write_config(directory: Path) -> None:
    directory.mkdir()
    (directory / "queues.yaml").write_text(
        "queues:\n  - id: care\n    name: Customer care\n    wrap_up: 2\n")
    (directory / "agents.yaml").write_text(
        "agents:\n  - id: alice\n    name: Alice Martin\n    extension: \"201\"\n"
        "    sip_username: \"201\"\n"
        f"    sip_ha1: {compute_ha1('201', 'switchboard', PASSWORD)}\n"
        "    queues: [care]\n")
    (directory / "dids.yaml").write_text("dids:\n  - number: \"7000\"\n    queue: care\n")


def start(tmp: Path, config: Path) -> DemoServer:
    import json
    import time

    data = tmp / "data"
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "switchboard", "serve", "--config", str(config), "--tenant",
             "acme", "--sip-port", "0", "--http-port", "0", "--data", str(data)],
            stdout=out, stderr=subprocess.STDOUT)
    ready = data / "ready.json"
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    addresses = {k: (v[0], int(v[1])) for k, v in json.loads(ready.read_text()).items()}
    return DemoServer(process, data, addresses, {}, log)


def test_a_configured_center_takes_calls(tmp_path: Path) -> None:
    from switchboard.core.events import CallAnswered
    from switchboard.store.db import create_engine
    from switchboard.store.eventlog import replay

    baresip = need("baresip")
    config = tmp_path / "center"
    write_config(config)
    server = start(tmp_path, config)
    home = tmp_path / "baresip"
    (home / "rec").mkdir(parents=True)
    (home / "config").write_text(CONFIG.format(host="127.0.0.1", port=free_port(), dir=home))
    (home / "accounts").write_text(f"<sip:201@{server.target}>;auth_pass={PASSWORD};regint=60;"
                                   "answermode=auto\n")
    (home / "source.wav").write_bytes((Path(__file__).parent / "sipp" / "silence.wav")
                                      .read_bytes())
    phone = subprocess.Popen([baresip, "-f", str(home), "-t", "25"], cwd=home,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: "REGISTER 201 from" in server.log_text(), "the phone to register")
        result = run_sipp(server.target, "-i", "127.0.0.1", "-p", str(free_port()), "-mp",
                          str(free_port()), "-sn", "uac", "-s", "7000", "-m", "1", "-d", "2000",
                          cwd=tmp_path, timeout=30)
        assert result.returncode == 0, result.stdout[-2000:] + server.log_text()[-3000:]
    finally:
        phone.terminate()
        phone.communicate(timeout=15)
        stop_server(server)
    engine = create_engine(f"sqlite:///{server.data / 'switchboard.db'}")
    answered = [(e.agent_id, e.queue_id) for logged in replay(engine)
                if isinstance(e := logged.event, CallAnswered)]
    engine.dispose()
    assert answered == [("alice", "care")]


def test_a_broken_configuration_is_refused_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "center"
    write_config(config)
    (config / "dids.yaml").write_text("dids:\n  - number: \"7000\"\n    queue: nowhere\n")
    proc = subprocess.run(
        [sys.executable, "-m", "switchboard", "serve", "--config", str(config), "--sip-port",
         "0", "--http-port", "-1", "--data", str(tmp_path / "data"), "--duration", "1"],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "dids.yaml:3" in proc.stderr and "nowhere" in proc.stderr, proc.stderr


def test_config_load_and_export_round_trip(tmp_path: Path) -> None:
    config = tmp_path / "center"
    write_config(config)
    db = f"sqlite:///{tmp_path / 'c.db'}"
    run = [sys.executable, "-m", "switchboard", "config"]
    loaded = subprocess.run([*run, "load", str(config), "--tenant", "acme", "--database", db],
                            capture_output=True, text=True, timeout=60, check=False)
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "exported"
    exported = subprocess.run([*run, "export", str(out), "--tenant", "acme", "--database", db],
                              capture_output=True, text=True, timeout=60, check=False)
    assert exported.returncode == 0, exported.stderr
    assert "alice" in (out / "agents.yaml").read_text()
    again = subprocess.run([*run, "load", str(out), "--tenant", "acme", "--database", db],
                           capture_output=True, text=True, timeout=60, check=False)
    assert again.returncode == 0, again.stderr
    assert "queues=(0, 0, 0)" in again.stdout and "agents=(0, 0, 0)" in again.stdout, again.stdout
    missing = subprocess.run([*run, "export", str(out), "--tenant", "nobody", "--database", db],
                             capture_output=True, text=True, timeout=60, check=False)
    assert missing.returncode == 2 and "no tenant 'nobody'" in missing.stderr
