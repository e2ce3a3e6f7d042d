"""`switchboard staff`, driven through a Typer app built here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from switchboard.cli.staff import parse_duration, parse_fraction, parse_target, staff_command
from switchboard.wfm.erlang import erlang_a_metrics, erlang_c_metrics
from switchboard.wfm.staffing import StaffingError


def make_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """Test root (forces the sub-command to be named)."""

    app.command("staff")(staff_command)
    return app


runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(make_app(), ["staff", *args])
    return result.exit_code, result.stdout, result.stderr


BASE = ("--calls", "100", "--interval", "30m", "--aht", "180", "--target", "80/20")


def test_table_output() -> None:
    code, out, err = run(*BASE, "--shrinkage", "30%")
    assert code == 0, err
    assert "Agents needed" in out and "14" in out
    assert "20" in out  # scheduled with 30% shrinkage
    sl = erlang_c_metrics(14, 10.0, 180, 20).service_level
    assert f"{100 * sl:.1f}%" in out
    assert "n/a (Erlang C)" in out


def test_json_output_erlang_c() -> None:
    code, out, _ = run(*BASE, "--shrinkage", "0.3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["agents"] == 14 and data["scheduled"] == 20 and data["model"] == "erlang_c"
    assert data["service_level"] == pytest.approx(erlang_c_metrics(14, 10.0, 180, 20).service_level)
    assert data["abandonment"] is None


def test_json_output_erlang_a() -> None:
    code, out, _ = run(*BASE, "--patience", "2m", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["model"] == "erlang_a" and data["patience_seconds"] == 120
    n = data["agents"]
    assert data["service_level"] >= 0.8 > erlang_a_metrics(n - 1, 10.0, 180, 120, 20).service_level
    assert 0 < data["abandonment"] < 1


def test_fixed_agents_unstable_json_has_null_asa() -> None:
    code, out, _ = run("--calls", "100", "--interval", "1800s", "--aht", "3m", "--agents", "9",
                       "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["agents"] == 9 and data["agents_given"] is True
    assert data["stable"] is False and data["asa_seconds"] is None and data["service_level"] == 0


def test_forecast_table_and_json(tmp_path: Path) -> None:
    fc = tmp_path / "day.csv"
    fc.write_text("interval_start,calls,aht\n08:00,100,180\n08:30,200,\n", encoding="utf-8")
    code, out, err = run("--forecast", str(fc), "--aht", "180", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [d["interval_start"] for d in data] == ["08:00", "08:30"]
    assert data[0]["agents"] == 14 and data[1]["offered_load"] == pytest.approx(20.0)
    code, out, _ = run("--forecast", str(fc), "--aht", "180")
    assert code == 0 and "08:30" in out and "Staffing forecast" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ("--calls", "100", "--aht", "180", "--target", "80"),
            "--target: expected PERCENT/SECONDS",
        ),
        (("--calls", "100", "--aht", "180", "--target", "180/20"), "between 0 and 100"),
        (("--calls", "abc", "--aht", "180"), "--calls: expected a number"),
        (("--calls", "100", "--aht", "3x"), "--aht: expected a duration"),
        (("--calls", "100", "--aht", "0"), "--aht: must be greater than 0"),
        (("--calls", "100", "--aht", "180", "--interval", "-5m"), "--interval"),
        (("--calls", "100", "--aht", "180", "--shrinkage", "30"), "ambiguous"),
        (("--calls", "100", "--aht", "180", "--shrinkage", "100%"), "--shrinkage"),
        (("--calls", "100", "--aht", "180", "--agents", "1.5"), "--agents"),
        (("--calls", "100", "--aht", "180", "--patience", "0s"), "--patience"),
        (("--calls", "100"), "--aht is required"),
        (
            (
                "--aht",
                "180",
            ),
            "exactly one of --calls or --forecast",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2(args: tuple[str, ...], needle: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert needle in err
    assert err.count("\n") == 1 and err.startswith("switchboard staff: error: ")
    assert "Traceback" not in err + out
    assert out == ""


def test_bad_forecast_reports_file_line_column(tmp_path: Path) -> None:
    fc = tmp_path / "bad.csv"
    fc.write_text("interval_start,calls\n08:00,10\n08:30,ten\n", encoding="utf-8")
    code, _, err = run("--forecast", str(fc), "--aht", "180")
    assert code == 2
    assert f"{fc}:3: column 'calls': not a number: 'ten'" in err
    assert err.count("\n") == 1
    code, _, err = run("--forecast", str(tmp_path / "nope.csv"), "--aht", "180")
    assert code == 2 and "nope.csv: no such file" in err


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("1800s", 1800), ("1h", 3600), ("15m", 900), ("1800", 1800),
     ("1h30m", 5400), ("1.5h", 5400), (" 20 ", 20)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text, option="--x") == seconds


@pytest.mark.parametrize("text", ["", "m", "30 m", "30min", "-5", "1h-2m", "nan", "inf"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(StaffingError):
        parse_duration(text, option="--x")


def test_parse_fraction_and_target() -> None:
    assert parse_fraction("30%", option="--s") == pytest.approx(0.3)
    assert parse_fraction("0.3", option="--s") == pytest.approx(0.3)
    with pytest.raises(StaffingError, match="ambiguous"):
        parse_fraction("30", option="--s")
    t = parse_target("80/20")
    assert (t.fraction, t.seconds) == (pytest.approx(0.8), 20)
    t = parse_target("90%/1m")
    assert (t.fraction, t.seconds) == (pytest.approx(0.9), 60)
