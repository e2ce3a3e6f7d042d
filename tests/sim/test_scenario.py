"""Scenario files: the examples load and run; bad files are refused with file, line and field."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from switchboard.sim.distributions import expovariate
from switchboard.sim.engine import Simulation
from switchboard.sim.scenario import ScenarioError, load

EXAMPLES = Path(__file__).parents[2] / "examples"

GOOD = """\
name: t
skills: [tech]
queues:
  - id: support
    skills: {tech: 3}
    handle_time: {dist: exponential, mean: 3m}
    overflow: {after: 60, to: tier2}
  - id: tier2
    handle_time: {dist: constant, mean: 300}
entries:
  - id: main
    calls_per_hour: 60
    queue: support
agents:
  - group: a
    count: 3
    skills: {tech: 5}
    queues: [support, tier2]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["support-desk", "morning-peak", "blended-300"])
def test_examples_load_and_run(name: str) -> None:
    _, model = load(EXAMPLES / f"{name}.yaml")
    result = Simulation(model, seed=1).run()
    total = result.metrics.kpis()
    assert total.offered > 100
    assert total.answered + total.abandoned + total.overflowed <= total.offered
    assert 0.0 < result.metrics.occupancy() < 1.0


def test_same_seed_same_result_other_seed_differs() -> None:
    _, model = load(EXAMPLES / "support-desk.yaml")
    a = Simulation(model, seed=5).run().metrics.kpis()
    b = Simulation(model, seed=5).run().metrics.kpis()
    c = Simulation(model, seed=6).run().metrics.kpis()
    assert a == b
    assert a != c


def test_unknown_key_names_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    priority: 0\n", "").replace(
        "    overflow: {after: 60, to: tier2}\n",
        "    overflow: {after: 60, to: tier2}\n    wrapup: 30\n"))
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert str(info.value) == f"{path}:8: queues[0].wrapup: unknown key 'wrapup'"


def test_negative_rate_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("calls_per_hour: 60", "calls_per_hour: -5"))
    with pytest.raises(ScenarioError, match=r"scenario.yaml:12: entries\[0\].calls_per_hour: "
                                            r"Input should be greater than or equal to 0"):
        load(path)


def test_queue_naming_missing_skill_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("skills: {tech: 3}", "skills: {french: 3}"))
    with pytest.raises(ScenarioError, match=r"scenario.yaml:5: queues\[0\].skills: queue "
                                            r"'support' needs skill 'french'"):
        load(path)


def test_unreachable_overflow_target_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("to: tier2", "to: tier3"))
    with pytest.raises(ScenarioError, match=r"scenario.yaml:7: queues\[0\].overflow: queue "
                                            r"'support' sends calls to unknown queue 'tier3'"):
        load(path)


def test_bad_yaml_and_bad_values(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"scenario.yaml:4: invalid YAML: expected ',' or ']'"):
        load(write(tmp_path, "name: x\nqueues:\n  - id: [unclosed\n"))
    with pytest.raises(ScenarioError, match=r"'soon' is not a duration"):
        load(write(tmp_path, GOOD.replace("mean: 3m", "mean: soon")))
    with pytest.raises(ScenarioError, match=r"add up to 0.9, not 1"):
        load(write(tmp_path, GOOD.replace("queue: support", "ivr: {support: 0.5, tier2: 0.4}")))
    with pytest.raises(ScenarioError, match="cannot read"):
        load(tmp_path / "missing.yaml")


def test_overflow_loop_is_refused_with_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("    handle_time: {dist: constant, mean: 300}\n",
                        "    handle_time: {dist: constant, mean: 300}\n"
                        "    overflow: {after: 30, to: support}\n")
    with pytest.raises(ScenarioError, match=r"scenario.yaml:7: queues\[0\].overflow: overflow "
                                            r"loop support -> tier2 -> support"):
        load(write(tmp_path, text))


def test_expovariate_is_the_standard_librarys_bit_for_bit() -> None:
    ours, theirs = random.Random(7), random.Random(7)
    for rate in (1.0, 1 / 180, 3.5, 1e-6):
        for _ in range(1000):
            assert expovariate(ours, rate) == theirs.expovariate(rate)
