"""`switchboard simulate` and `serve` through the real command line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "support-desk.yaml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "switchboard", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_simulate_json_and_csv(tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    proc = run("simulate", str(EXAMPLE), "--seed", "3", "--json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    totals = [r for r in data["rows"] if r["interval"] == "total" and r["queue"] == "ALL"]
    assert totals[0]["offered"] == sum(
        r["offered"] for r in data["rows"] if r["interval"] not in ("total",)
    )
    assert data["summary"]["calls"] >= totals[0]["offered"]
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(data["rows"])
    assert rows[0]["interval"] == "09:00"
    again = run("simulate", str(EXAMPLE), "--seed", "3", "--json")
    assert json.loads(again.stdout)["rows"] == data["rows"]


def test_simulate_table_and_bad_file(tmp_path: Path) -> None:
    proc = run("simulate", str(EXAMPLE), "--totals")
    assert proc.returncode == 0
    assert "support" in proc.stdout and "billing" in proc.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("queues: 3\n")
    proc = run("simulate", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.yaml:1: queues: Input should be a valid list" in proc.stderr


def test_serve_simulate_runs_and_plain_serve_explains() -> None:
    proc = run("serve", "--simulate", "--duration", "1.5", "--speed", "600")
    assert proc.returncode == 0, proc.stderr
    assert "Switchboard demo center" in proc.stdout
    proc = run("serve")
    assert proc.returncode == 2
    assert "use `switchboard serve --demo`" in proc.stderr
