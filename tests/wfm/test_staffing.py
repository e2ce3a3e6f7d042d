"""Interval staffing reports and the forecast CSV reader."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from switchboard.wfm.erlang import erlang_a_metrics, erlang_c_metrics
from switchboard.wfm.staffing import (
    ForecastError,
    ServiceTarget,
    StaffingError,
    read_forecast,
    staff_forecast,
    staffing_report,
)

T80_20 = ServiceTarget(fraction=0.8, seconds=20)


def test_erlang_c_report_for_the_worked_example() -> None:
    r = staffing_report(
        calls=100, interval_seconds=1800, aht_seconds=180, target=T80_20, shrinkage=0.3
    )
    assert r.model == "erlang_c" and r.abandonment is None
    assert r.agents == 14 and not r.agents_given
    assert r.scheduled == 20
    assert r.offered_load == pytest.approx(10.0)
    expected = erlang_c_metrics(14, 10.0, 180, 20)
    assert r.service_level == expected.service_level
    assert r.asa == expected.asa and r.p_wait == expected.p_wait
    assert r.meets_target and r.stable


def test_erlang_a_report_when_patience_given() -> None:
    r = staffing_report(
        calls=100, interval_seconds=1800, aht_seconds=180, target=T80_20, patience_seconds=120
    )
    assert r.model == "erlang_a" and r.abandonment is not None
    below = erlang_a_metrics(r.agents - 1, 10.0, 180, 120, 20)
    assert r.service_level >= 0.8 > below.service_level
    assert r.meets_target


def test_fixed_agents_are_evaluated_not_optimised() -> None:
    r = staffing_report(calls=100, interval_seconds=1800, aht_seconds=180, target=T80_20, agents=12)
    assert r.agents == 12 and r.agents_given
    assert not r.meets_target
    unstable = staffing_report(
        calls=100, interval_seconds=1800, aht_seconds=180, target=T80_20, agents=9
    )
    assert not unstable.stable and unstable.asa == math.inf and unstable.service_level == 0.0
    assert json.loads(json.dumps(unstable.to_dict()))["asa_seconds"] is None


def test_max_occupancy_cap() -> None:
    r = staffing_report(
        calls=100, interval_seconds=1800, aht_seconds=180, target=T80_20, max_occupancy=0.6
    )
    assert r.agents == 17  # ceil(10 / 0.6)
    assert r.occupancy <= 0.6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"calls": -1.0},
        {"interval_seconds": 0.0},
        {"aht_seconds": math.nan},
        {"shrinkage": 1.0},
        {"patience_seconds": 0.0},
        {"agents": -3},
        {"max_occupancy": 1.5},
    ],
)
def test_bad_parameters_raise_domain_error(kwargs: dict[str, float]) -> None:
    base: dict[str, float] = {"calls": 100.0, "interval_seconds": 1800.0, "aht_seconds": 180.0}
    base.update(kwargs)
    with pytest.raises(StaffingError):
        staffing_report(target=T80_20, **base)  # type: ignore[arg-type]


def test_bad_target() -> None:
    with pytest.raises(StaffingError):
        ServiceTarget(fraction=1.2, seconds=20)
    with pytest.raises(StaffingError):
        ServiceTarget(fraction=0.8, seconds=-1)


# ---------------------------------------------------------------- forecast CSV


def write(tmp_path: Path, text: str, name: str = "fc.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_forecast_with_and_without_aht(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "\ufeffInterval_Start , Calls,aht\n# comment\n08:00,100,180\n\n08:30,140,\n09:00,0,200\n",
    )
    rows = read_forecast(p)
    assert [(r.line, r.interval_start, r.calls, r.aht_seconds) for r in rows] == [
        (3, "08:00", 100.0, 180.0),
        (5, "08:30", 140.0, None),
        (6, "09:00", 0.0, 200.0),
    ]
    reports = staff_forecast(p, interval_seconds=1800, target=T80_20, aht_seconds=240)
    assert [r.interval_start for r in reports] == ["08:00", "08:30", "09:00"]
    assert reports[0].agents == 14
    assert reports[1].aht_seconds == 240
    assert reports[2].agents == 0 and reports[2].service_level == 1.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("interval_start,calls\n08:00,abc\n", "fc.csv:2: column 'calls': not a number: 'abc'"),
        ("interval_start,calls\n08:00,-4\n", "fc.csv:2: column 'calls': must be >= 0, got -4"),
        ("interval_start,calls\n08:00,inf\n", "fc.csv:2: column 'calls': not a finite number"),
        ("interval_start,calls,aht\n08:00,5,0\n", "fc.csv:2: column 'aht': must be > 0, got 0"),
        ("interval_start,calls\n08:00,5\n08:30\n", "fc.csv:3: expected 2 fields"),
        ("interval_start,calls\n,5\n", "fc.csv:2: column 'interval_start': empty value"),
        ("interval_start,calls\n08:00,\n", "fc.csv:2: column 'calls': empty value"),
        ("start,calls\n08:00,5\n", "fc.csv:1: column 'start': unknown column"),
        ("interval_start\n08:00\n", "fc.csv:1: column 'calls': required column is missing"),
        ("interval_start,calls,calls\n", "fc.csv:1: column 'calls': column appears twice"),
        ("interval_start,calls\n", "fc.csv:1: no data rows after the header"),
        ("", "fc.csv: empty file"),
        ('interval_start,calls\n"08:00,5\n', "fc.csv:2: malformed CSV"),
        ('interval_start,calls\n"08:00\n",5\n08:30,x\n', "fc.csv:4: column 'calls'"),
    ],
)
def test_bad_forecast_names_file_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    p = write(tmp_path, text)
    with pytest.raises(ForecastError) as info:
        read_forecast(p)
    assert str(info.value).startswith(str(tmp_path / message.split(":")[0]))
    assert message in str(info.value)


def test_missing_aht_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "interval_start,calls\n08:00,10\n")
    with pytest.raises(ForecastError, match=r"fc\.csv:2: column 'aht': no AHT"):
        staff_forecast(p, interval_seconds=1800, target=T80_20)


def test_unreadable_forecasts(tmp_path: Path) -> None:
    with pytest.raises(ForecastError, match="no such file"):
        read_forecast(tmp_path / "missing.csv")
    with pytest.raises(ForecastError, match="is a directory"):
        read_forecast(tmp_path)
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("interval_start,calls\ncaf\xe9,1\n".encode("latin-1"))
    with pytest.raises(ForecastError, match="not UTF-8"):
        read_forecast(bad)
