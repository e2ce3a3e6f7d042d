"""Configuration directories: load, export, round trip, precise errors, all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from switchboard.core.queues import QueueConfig
from switchboard.store import db, models
from switchboard.store.config import export_config, load_config
from switchboard.store.errors import ConfigLoadError

SAMPLE = Path(__file__).with_name("data") / "center"


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "center"
    shutil.copytree(SAMPLE, target)
    return target


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every configuration row (ids and timestamps left out)."""
    out = {}
    with engine.connect() as connection:
        for table in ("tenants", "skills", "teams", "queues", "queue_skills", "agents",
                      "agent_skills", "agent_queues", "ivr_flows", "dids"):
            columns = [c for c in models.Base.metadata.tables[table].columns
                       if c.name not in ("created_at", "updated_at")]
            rows = connection.execute(sa.select(*columns)).all()
            out[table] = sorted(tuple(r) for r in rows)
    return out


def _load_yaml(directory: Path) -> dict[str, object]:
    return {str(p.relative_to(directory)): yaml.safe_load(p.read_text())
            for p in sorted(directory.rglob("*.yaml"))}


def test_load_gives_the_core_its_configuration(engine: Engine) -> None:
    summary = load_config(engine, SAMPLE, tenant="acme", tenant_name="Acme")
    assert summary.queues == (3, 0, 0) and summary.agents == (3, 0, 0)
    assert summary.skills == (3, 0, 0) and summary.dids == (3, 0, 0)
    assert summary.ivr_flows == (1, 0, 0)
    with Session(engine) as session:
        queues = {q.key: q.to_config() for q in session.scalars(sa.select(models.Queue))}
        assert queues["support"] == QueueConfig(
            queue_id="support", name="Support", tenant="acme", skills=(("english", 1),),
            wrap_up=30, overflow_after=120, overflow_to="tier2")
        assert queues["billing"].skills == (("billing", 3), ("french", 1))
        assert queues["tier2"].ring_timeout == 20.5
        bob = session.scalars(sa.select(models.Agent).where(models.Agent.key == "bob")).one()
        assert [m.queue.key for m in bob.memberships] == ["billing", "support"]
        assert {s.skill.name: s.level for s in bob.skills} == {"english": 5, "billing": 4}
        assert (bob.sip_username, bob.team.name if bob.team else None) == ("bob.stone", "day")
        flow = session.scalars(sa.select(models.IvrFlow)).one()
        assert flow.source == (SAMPLE / "ivr" / "main.yaml").read_text()
        assert flow.definition["menu"]["2"] == {"queue": "support", "skills": {"french": 1}}
        did = session.get(models.Did, 1)
        assert did is not None and (did.entry_kind, did.entry) == (models.EntryKind.IVR, "main")
        audit = session.scalars(sa.select(models.AuditEntry)).one()
        assert (audit.actor, audit.action, audit.after) == (
            "config-loader", "import", summary.as_dict())


def test_round_trip(engine: Engine, tmp_path: Path) -> None:
    load_config(engine, SAMPLE, tenant="acme")
    first = tmp_path / "first"
    export_config(engine, "acme", first)
    assert _load_yaml(first) == _load_yaml(SAMPLE)  # the same content, comments aside
    assert (first / "ivr" / "main.yaml").read_text() == (SAMPLE / "ivr" / "main.yaml").read_text()
    before = _snapshot(engine)
    again = load_config(engine, first, tenant="acme")  # reloading changes nothing
    assert (again.queues, again.agents, again.skills) == ((0, 0, 0),) * 3
    assert _snapshot(engine) == before
    db.downgrade(engine, "base")  # a fresh database
    db.migrate(engine)
    load_config(engine, first, tenant="acme")
    second = tmp_path / "second"
    export_config(engine, "acme", second)
    assert {p.name: p.read_bytes() for p in second.rglob("*.yaml")} == {
        p.name: p.read_bytes() for p in first.rglob("*.yaml")}


def test_changes_update_in_place_and_delete(engine: Engine, tmp_path: Path) -> None:
    load_config(engine, SAMPLE, tenant="acme")
    with Session(engine) as session:
        ids = {a.key: (a.id, a.version) for a in session.scalars(sa.select(models.Agent))}
    center = _copy(tmp_path)
    agents = yaml.safe_load((center / "agents.yaml").read_text())
    agents["agents"] = agents["agents"][:2]
    agents["agents"][0]["skills"] = {"english": 8}
    agents["agents"][0]["queues"] = ["tier2", "support"]
    (center / "agents.yaml").write_text(yaml.safe_dump(agents))
    dids = yaml.safe_load((center / "dids.yaml").read_text())
    dids["dids"] = [d for d in dids["dids"] if d.get("agent") != "alice"]
    (center / "dids.yaml").write_text(yaml.safe_dump(dids))
    summary = load_config(engine, center, tenant="acme")
    assert summary.agents == (0, 1, 1)
    assert summary.dids == (0, 0, 1)
    with Session(engine) as session:
        now = {a.key: a for a in session.scalars(sa.select(models.Agent))}
        assert set(now) == {"alice", "bob"}
        alice = now["alice"]
        assert (alice.id, alice.version) == (ids["alice"][0], ids["alice"][1] + 1)
        assert now["bob"].version == ids["bob"][1]  # untouched
        assert [m.queue.key for m in alice.memberships] == ["tier2", "support"]
        assert {s.skill.name: s.level for s in alice.skills} == {"english": 8}


def _error(engine: Engine, directory: Path) -> list[str]:
    with pytest.raises(ConfigLoadError) as info:
        load_config(engine, directory, tenant="acme")
    return info.value.problems


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_errors_name_file_line_and_field(engine: Engine, tmp_path: Path) -> None:
    center = _copy(tmp_path)
    _edit(center / "queues.yaml", "strategy: best_skill", "strategy: fastest")
    _edit(center / "queues.yaml", "max_wait: 600", "max_wait: -1")
    _edit(center / "queues.yaml", "ageing: 0.5", "ageing: 0.5\n    colour: red")
    _edit(center / "agents.yaml", "queues: [billing]", "queues: [billing, sales]")
    _edit(center / "agents.yaml", 'extension: "202"', 'extension: "201"')
    _edit(center / "dids.yaml", "queue: billing", "queue: billing\n    ivr: main")
    _edit(center / "skills.yaml", "  - name: billing\n", "")
    assert _error(engine, center) == [
        "queues.yaml:6: queues[0].max_wait: Input should be greater than or equal to 0",
        "queues.yaml:5: queues[0].colour: unknown key 'colour'",
        "queues.yaml:17: queues[2].strategy: unknown strategy 'fastest'; use one of "
        "longest_idle, least_occupied, fewest_calls, round_robin, best_skill",
    ]
    # Once the queues are valid, the cross-references are checked.
    shutil.copy(SAMPLE / "queues.yaml", center / "queues.yaml")
    assert _error(engine, center) == [
        "agents.yaml:11: agents[1].extension: extension '201' is already used by agents[0]",
        "queues.yaml:6: queues[0].skills.billing: unknown skill 'billing' (not in skills.yaml)",
        "agents.yaml:14: agents[1].skills.billing: unknown skill 'billing' (not in "
        "skills.yaml)",
        "agents.yaml:20: agents[2].skills.billing: unknown skill 'billing' (not in "
        "skills.yaml)",
        "agents.yaml:21: agents[2].queues[1]: unknown queue 'sales'",
        "dids.yaml:4: dids[1]: give exactly one of ivr, queue, agent",
    ]


@pytest.mark.parametrize(("file", "old", "new", "problem"), [
    ("queues.yaml", "overflow_to: tier2", "overflow_to: tier3",
     "queues.yaml:10: queues[1].overflow_to: unknown queue 'tier3'"),
    ("queues.yaml", "ring_timeout: 20.5", "ring_timeout: 20.5\n    overflow_after: 5\n"
     "    overflow_to: support",
     "queues.yaml:7: queues[1]: overflow loop: support -> tier2 -> support"),
    ("queues.yaml", "wrap_up: 30", "wrap_up: thirty",
     "queues.yaml:11: queues[1].wrap_up: Input should be a valid number, unable to parse "
     "string as a number"),
    ("queues.yaml", "overflow_to: tier2", "overflow_to: ''",
     "queues.yaml:7: queues[1]: queue 'support': overflow_after is set but overflow_to "
     "names no queue"),
    ("agents.yaml", "english: 7", "english: 11",
     "agents.yaml:7: agents[0].skills.english: Input should be less than or equal to 10"),
    ("agents.yaml", 'extension: "203"', "extension: 203",
     "agents.yaml:17: agents[2].extension: Input should be a valid string"),
    ("dids.yaml", '"+15550100"', "+15550100",
     "dids.yaml:2: dids[0].number: Input should be a valid string"),
    ("dids.yaml", "ivr: main", "ivr: night",
     "dids.yaml:3: dids[0].ivr: unknown ivr 'night'"),
    ("queues.yaml", "  - id: tier2", "  - id: tier2\n  - {id: [",
     "queues.yaml:16: invalid YAML: expected ',' or ']', but got ':'"),
    ("ivr/main.yaml", "prompt: welcome", "- just a list",
     "ivr/main.yaml:3: invalid YAML: expected <block end>, but found '?'"),
])
def test_each_kind_of_error(engine: Engine, tmp_path: Path, file: str, old: str, new: str,
                            problem: str) -> None:
    center = _copy(tmp_path)
    _edit(center / file, old, new)
    problems = _error(engine, center)
    assert problem in problems, problems


def test_flow_must_be_a_mapping(engine: Engine, tmp_path: Path) -> None:
    center = _copy(tmp_path)
    (center / "ivr" / "night.yaml").write_text("- closed\n")
    (center / "ivr" / "bad name.yaml").write_text("a: 1\n")
    assert _error(engine, center) == [
        "ivr/bad name.yaml: 'bad name' is not a valid flow name (letters, digits, '_', '-', "
        "'.')",
        "ivr/night.yaml:1: an IVR flow must be a mapping, got list",
    ]


def test_nothing_is_written_when_anything_is_invalid(engine: Engine, tmp_path: Path) -> None:
    load_config(engine, SAMPLE, tenant="acme")
    before = _snapshot(engine)
    center = _copy(tmp_path)
    _edit(center / "queues.yaml", "wrap_up: 30", "wrap_up: 45")  # valid change
    _edit(center / "dids.yaml", "agent: alice", "agent: zoe")  # invalid
    _error(engine, center)
    assert _snapshot(engine) == before


def test_a_number_of_another_tenant_is_refused_without_writing(engine: Engine) -> None:
    load_config(engine, SAMPLE, tenant="acme")
    before = _snapshot(engine)
    with pytest.raises(ConfigLoadError) as info:
        load_config(engine, SAMPLE, tenant="globex")
    assert info.value.problems[0] == (
        "dids.yaml:2: dids[0].number: number '+15550100' belongs to tenant 'acme'")
    assert _snapshot(engine) == before  # not even the new tenant


def test_a_queue_used_by_a_campaign_cannot_be_removed(engine: Engine, tmp_path: Path) -> None:
    load_config(engine, SAMPLE, tenant="acme")
    with Session(engine) as session:
        billing = session.scalars(sa.select(models.Queue).where(
            models.Queue.key == "billing")).one()
        session.add(models.Campaign(tenant_id=billing.tenant_id, key="renewals",
                                    queue_id=billing.id))
        session.commit()
    center = tmp_path / "small"
    center.mkdir()
    (center / "queues.yaml").write_text("queues:\n  - id: support\n")
    assert _error(engine, center) == [
        "queues.yaml: queue 'billing' is used by campaign 'renewals' and cannot be removed"]


def test_skills_come_from_the_references_without_skills_yaml(engine: Engine,
                                                             tmp_path: Path) -> None:
    center = _copy(tmp_path)
    (center / "skills.yaml").unlink()
    summary = load_config(engine, center, tenant="acme")
    assert summary.skills == (3, 0, 0)


def test_a_missing_directory(engine: Engine, tmp_path: Path) -> None:
    assert _error(engine, tmp_path / "nope") == [f"{tmp_path / 'nope'}: not a directory"]
