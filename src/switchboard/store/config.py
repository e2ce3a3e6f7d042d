"""A center's configuration from a YAML directory into the database, and back.

Layout of a configuration directory (one tenant)::

    skills.yaml     skills: [{name: french, description: ...}, ...]       (optional)
    queues.yaml     queues: [{id: sales, skills: {french: 3}, wrap_up: 30, ...}, ...]
    agents.yaml     agents: [{id: alice, extension: "201", skills: {...}, queues: [sales]}, ...]
    dids.yaml       dids: [{number: "+15550100", ivr: main}, ...]          (or queue: / agent:)
    ivr/<name>.yaml one IVR flow per file, kept verbatim, and in its validated JSON form

Queue keys are the fields of :class:`~switchboard.core.queues.QueueConfig` (``id`` for
``queue_id``, ``skills`` as a mapping of skill to minimum level); times are in seconds. Numbers
and extensions must be quoted strings: YAML would read ``+15550100`` as the integer 15550100.

:func:`load_config` validates every file before writing anything, and reports every problem at
once, each naming the file, the line and the field (``queues.yaml:9: queues[1].sl_target: ...``).
When all is valid it writes in one transaction: the directory is the tenant's whole
configuration of these kinds, so rows are created, updated in place (their ``version`` moves only
if something changed) or deleted to match. Without ``skills.yaml`` the skills are those the
queues and agents name. :func:`export_config` writes the same layout back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from switchboard.core.errors import ConfigError
from switchboard.core.queues import STRATEGIES, QueueConfig
from switchboard.store.errors import ConfigLoadError, StoreError
from switchboard.store.models import (
    QUEUE_SETTINGS,
    Agent,
    AgentQueue,
    AgentSkill,
    AuditEntry,
    Campaign,
    Did,
    EntryKind,
    IvrFlow,
    Queue,
    QueueSkill,
    Skill,
    Team,
    Tenant,
    utcnow,
)
from switchboard.yamlpos import line_of, path_text

__all__ = [
    "FlowValidator",
    "LoadSummary",
    "check_flow",
    "export_config",
    "load_config",
]

FlowValidator = Callable[[str, Any], dict[str, Any]]
"""``(flow name, parsed YAML) -> JSON form``; raises ValueError or ConfigError if invalid."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_QUEUE_DEFAULTS = QueueConfig(queue_id="-")
M = TypeVar("M", bound=BaseModel)
_UNION_TAGS = frozenset({"str", "constrained-str", "SkillModel"})
"""Branch names pydantic puts in an error's location for ``SkillModel | str``."""


def check_flow(name: str, data: Any) -> dict[str, Any]:
    """The default IVR flow check: a mapping of plain JSON values (returned in JSON form).

    The full check of a flow's steps belongs to the core's IVR (``core/ivr/flow.py``); pass it
    as ``flow_validator`` to :func:`load_config` when it exists.
    """
    if not isinstance(data, dict):
        raise ValueError(f"an IVR flow must be a mapping, got {type(data).__name__}")
    try:
        form = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"an IVR flow must hold plain values (text, numbers, lists, "
                         f"mappings): {exc}") from None
    assert isinstance(form, dict)
    return form


# ---------------------------------------------------------------------------------- schemas


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


Id = Annotated[str, Field(pattern=_NAME.pattern)]
Level = Annotated[int, Field(ge=1, le=10, strict=True)]
Seconds = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class SkillModel(_Strict):
    """``{name: french, description: French speakers}``."""

    name: Id
    description: str = ""


class QueueModel(_Strict):
    """A queue: the fields of QueueConfig (``id`` for ``queue_id``)."""

    id: Id
    name: str = ""
    priority: Annotated[int, Field(strict=True)] = 0
    skills: dict[str, Level] = {}
    strategy: str = _QUEUE_DEFAULTS.strategy
    ageing: Seconds = _QUEUE_DEFAULTS.ageing
    sl_seconds: Seconds = _QUEUE_DEFAULTS.sl_seconds
    sl_target: Annotated[float, Field(ge=0, le=1)] = _QUEUE_DEFAULTS.sl_target
    short_abandon: Seconds = _QUEUE_DEFAULTS.short_abandon
    max_wait: Seconds = _QUEUE_DEFAULTS.max_wait
    max_wait_to: str = ""
    overflow_after: Seconds = _QUEUE_DEFAULTS.overflow_after
    overflow_to: str = ""
    ring_timeout: Seconds = _QUEUE_DEFAULTS.ring_timeout
    rona_pause: str = _QUEUE_DEFAULTS.rona_pause
    wrap_up: Seconds = _QUEUE_DEFAULTS.wrap_up
    expected_aht: Annotated[float, Field(gt=0, allow_inf_nan=False)] = (
        _QUEUE_DEFAULTS.expected_aht)
    fcr_window: Seconds = _QUEUE_DEFAULTS.fcr_window

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, v: str) -> str:
        if v not in STRATEGIES:
            raise ValueError(f"unknown strategy {v!r}; use one of {', '.join(STRATEGIES)}")
        return v


class AgentModel(_Strict):
    """An agent: ``{id, name, extension, sip_username, sip_ha1, capacity, team, skills, queues}``.
    """

    id: Id
    name: str = ""
    extension: Annotated[str, Field(min_length=1, max_length=40)]
    sip_username: str = ""
    """Defaults to the agent's id."""
    sip_ha1: Annotated[str, Field(pattern=r"^([0-9a-f]{32}|[0-9a-f]{64})?$")] = ""
    """MD5 or SHA-256 digest HA1, lower-case hex."""
    capacity: Annotated[int, Field(ge=1, strict=True)] = 1
    active: bool = True
    team: str = ""
    skills: dict[str, Level] = {}
    queues: list[str] = []


class DidModel(_Strict):
    """``{number: "+15550100", ivr: main}``; exactly one of ``ivr``, ``queue``, ``agent``."""

    number: Annotated[str, Field(pattern=r"^\+?[0-9*#]{1,39}$")]
    ivr: str | None = None
    queue: str | None = None
    agent: str | None = None


class _SkillsFile(_Strict):
    skills: list[SkillModel | Id] = []


class _QueuesFile(_Strict):
    queues: list[QueueModel] = []


class _AgentsFile(_Strict):
    agents: list[AgentModel] = []


class _DidsFile(_Strict):
    dids: list[DidModel] = []


# ---------------------------------------------------------------------------------- reading


@dataclass(slots=True)
class _Doc:
    """A parsed file: its path (as shown in errors), data and composed node tree."""

    name: str
    data: Any
    node: yaml.Node | None
    text: str = ""

    def line(self, loc: Sequence[int | str]) -> int:
        """Line (1-based) of the value at ``loc``, or of its nearest parent found."""
        return line_of(self.node, loc)

    def problem(self, loc: Sequence[int | str], message: str) -> str:
        where = _where(loc)
        return f"{self.name}:{self.line(loc)}: {where + ': ' if where else ''}{message}"


_where = path_text


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)


def _read(path: Path, shown: str, problems: _Problems) -> _Doc | None:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.add(f"{shown}: cannot read: {exc.strerror}")
        return None
    except UnicodeDecodeError as exc:
        problems.add(f"{shown}: not UTF-8 text: {exc.reason} at byte {exc.start}")
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problems.add(f"{shown}{line}: invalid YAML: {getattr(exc, 'problem', None) or exc}")
        return None
    return _Doc(shown, data, node, text)


def _validate(doc: _Doc, model: type[M], problems: _Problems) -> M | None:
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        problems.add(f"{doc.name}:1: expected a mapping with the key "
                     f"{next(iter(model.model_fields))!r}, got {type(data).__name__}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            msg = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            elif error["type"] == "string_pattern_mismatch":
                msg = f"{error['input']!r} is not a valid value ({msg})"
            # A union (skills: name or mapping) reports each branch; keep the mapping's.
            loc = tuple(p for p in loc if not (isinstance(p, str) and (
                p in _UNION_TAGS or p.startswith("function-"))))
            problems.add(doc.problem(loc, msg))
        return None


@dataclass(slots=True)
class _Config:
    skills: list[SkillModel]
    skills_given: bool
    queues: list[QueueModel]
    agents: list[AgentModel]
    dids: list[DidModel]
    flows: dict[str, tuple[str, dict[str, Any]]]
    flow_files: set[str]
    """Every flow file's name, valid or not (a DID naming a broken flow is not reported)."""
    docs: dict[str, _Doc]


def _parse(directory: Path, flow_validator: FlowValidator,
           problems: _Problems) -> _Config | None:
    if not directory.is_dir():
        problems.add(f"{directory}: not a directory")
        return None
    docs: dict[str, _Doc] = {}
    parsed: dict[str, Any] = {}
    for stem, model in (("skills", _SkillsFile), ("queues", _QueuesFile),
                        ("agents", _AgentsFile), ("dids", _DidsFile)):
        path = directory / f"{stem}.yaml"
        if not path.exists():
            parsed[stem] = model()
            docs[stem] = _Doc(f"{stem}.yaml", None, None)
            continue
        doc = _read(path, f"{stem}.yaml", problems)
        if doc is None:
            continue
        docs[stem] = doc
        value = _validate(doc, model, problems)
        if value is not None:
            parsed[stem] = value
    for extra in sorted(directory.glob("*.yml")) + sorted((directory / "ivr").glob("*.yml")):
        problems.add(f"{extra.relative_to(directory)}: use the .yaml extension")
    flows: dict[str, tuple[str, dict[str, Any]]] = {}
    flow_files = {path.stem for path in (directory / "ivr").glob("*.yaml")}
    for path in sorted((directory / "ivr").glob("*.yaml")):
        shown = f"ivr/{path.name}"
        name = path.stem
        if not _NAME.match(name):
            problems.add(f"{shown}: {name!r} is not a valid flow name (letters, digits, "
                         "'_', '-', '.')")
            continue
        doc = _read(path, shown, problems)
        if doc is None:
            continue
        try:
            flows[name] = (doc.text, flow_validator(name, doc.data))
        except (ValueError, ConfigError) as exc:
            problems.add(f"{shown}:1: {exc}")
    if len(parsed) < 4:
        return None
    skills_file = parsed["skills"]
    skills = [s if isinstance(s, SkillModel) else SkillModel(name=s) for s in skills_file.skills]
    return _Config(skills=skills, skills_given=(directory / "skills.yaml").exists(),
                   queues=parsed["queues"].queues, agents=parsed["agents"].agents,
                   dids=parsed["dids"].dids, flows=flows, flow_files=flow_files, docs=docs)


def _unique(doc: _Doc, stem: str, items: Sequence[Any], attr: str, what: str,
            problems: _Problems) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if not value:
            continue
        if value in seen:
            problems.add(doc.problem((stem, i, attr), f"{what} {value!r} is already used by "
                                                      f"{stem}[{seen[value]}]"))
        else:
            seen[value] = i


def _check(config: _Config, problems: _Problems) -> None:
    """Cross-references and uniqueness, each problem at its line."""
    docs = config.docs
    sk, qd, ad, dd = docs["skills"], docs["queues"], docs["agents"], docs["dids"]
    _unique(sk, "skills", config.skills, "name", "skill", problems)
    _unique(qd, "queues", config.queues, "id", "queue id", problems)
    _unique(ad, "agents", config.agents, "id", "agent id", problems)
    _unique(ad, "agents", config.agents, "extension", "extension", problems)
    sip_users = [type("A", (), {"sip": a.sip_username or a.id})() for a in config.agents]
    _unique(ad, "agents", sip_users, "sip", "SIP username", problems)
    _unique(dd, "dids", config.dids, "number", "number", problems)
    skills = {s.name for s in config.skills}
    queues = {q.id: q for q in config.queues}
    loops: set[frozenset[str]] = set()
    for i, q in enumerate(config.queues):
        if config.skills_given:
            for skill in q.skills:
                if skill not in skills:
                    problems.add(qd.problem(("queues", i, "skills", skill),
                                            f"unknown skill {skill!r} (not in skills.yaml)"))
        for name in ("overflow_to", "max_wait_to"):
            target = getattr(q, name)
            if target and target not in queues:
                problems.add(qd.problem(("queues", i, name), f"unknown queue {target!r}"))
        try:
            QueueConfig(queue_id=q.id, **_queue_kwargs(q))
        except ConfigError as exc:
            problems.add(qd.problem(("queues", i), str(exc)))
        seen = [q.id]
        current = q
        while (target := current.overflow_to or current.max_wait_to) in queues:
            if target in seen:
                cycle = frozenset(seen[seen.index(target):])
                if cycle not in loops:
                    loops.add(cycle)
                    problems.add(qd.problem(("queues", i), "overflow loop: "
                                            + " -> ".join([*seen, target])))
                break
            seen.append(target)
            current = queues[target]
    agents = {a.id for a in config.agents}
    for i, a in enumerate(config.agents):
        if config.skills_given:
            for skill in a.skills:
                if skill not in skills:
                    problems.add(ad.problem(("agents", i, "skills", skill),
                                            f"unknown skill {skill!r} (not in skills.yaml)"))
        for j, queue_id in enumerate(a.queues):
            if queue_id not in queues:
                problems.add(ad.problem(("agents", i, "queues", j),
                                        f"unknown queue {queue_id!r}"))
        if len(set(a.queues)) != len(a.queues):
            problems.add(ad.problem(("agents", i, "queues"), "a queue is listed twice"))
    for i, d in enumerate(config.dids):
        targets = [(k, v) for k, v in (("ivr", d.ivr), ("queue", d.queue), ("agent", d.agent))
                   if v is not None]
        if len(targets) != 1:
            problems.add(dd.problem(("dids", i), "give exactly one of ivr, queue, agent"))
            continue
        kind, target = targets[0]
        known: set[str] = {"ivr": config.flow_files, "queue": set(queues), "agent": agents}[kind]
        if target not in known:
            problems.add(dd.problem(("dids", i, kind), f"unknown {kind} {target!r}"))


def _queue_kwargs(q: QueueModel) -> dict[str, Any]:
    out = {name: getattr(q, name) for name in QUEUE_SETTINGS}
    out["skills"] = tuple(q.skills.items())
    return out


# ---------------------------------------------------------------------------------- writing


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What :func:`load_config` changed, per kind: ``(created, updated, deleted)``."""

    tenant: str
    skills: tuple[int, int, int]
    queues: tuple[int, int, int]
    agents: tuple[int, int, int]
    dids: tuple[int, int, int]
    ivr_flows: tuple[int, int, int]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (for the audit log)."""
        return {f.name: getattr(self, f.name) if f.name == "tenant"
                else list(getattr(self, f.name)) for f in fields(self)}


class _Counter:
    def __init__(self) -> None:
        self.created = self.updated = self.deleted = 0

    def result(self) -> tuple[int, int, int]:
        return (self.created, self.updated, self.deleted)


def _assign(obj: Any, values: Mapping[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _sync_levels(rows: list[Any], wanted: dict[int, int], make: Callable[[int, int], Any],
                 position: bool = False) -> bool:
    """Make a child collection (skill id -> level) match ``wanted``; True if it changed."""
    changed = False
    by_skill = {row.skill_id: row for row in rows}
    for row in list(rows):
        if row.skill_id not in wanted:
            rows.remove(row)
            changed = True
    for index, (skill_id, level) in enumerate(wanted.items()):
        row = by_skill.get(skill_id)
        values = {"level": level, **({"position": index} if position else {})}
        if row is None:
            rows.append(make(skill_id, level))
            if position:
                rows[-1].position = index
            changed = True
        elif _assign(row, values):
            changed = True
    return changed


def load_config(engine: Engine, directory: str | Path, *, tenant: str,
                tenant_name: str = "", actor: str = "config-loader",
                flow_validator: FlowValidator = check_flow) -> LoadSummary:
    """Load the configuration in ``directory`` for ``tenant`` (created if new); see the module.

    Raises :class:`ConfigLoadError` listing every problem (nothing written), or
    :class:`StoreError` if the database refuses the change (nothing written either).
    """
    directory = Path(directory)
    problems = _Problems()
    if not _NAME.match(tenant):
        problems.add(f"tenant {tenant!r} is not a valid tenant id")
    config = _parse(directory, flow_validator, problems)
    if config is not None:
        _check(config, problems)
    if problems.lines or config is None:
        raise ConfigLoadError(problems.lines or [f"{directory}: invalid configuration"])
    try:
        with Session(engine) as session, session.begin():
            summary = _write(session, config, tenant, tenant_name, actor, directory, problems)
            if problems.lines:
                raise ConfigLoadError(problems.lines)  # rolls the transaction back
    except SQLAlchemyError as exc:
        raise StoreError(f"{directory}: the database refused the configuration "
                         f"(nothing was written): {exc}") from exc
    return summary


def _write(session: Session, config: _Config, slug: str, tenant_name: str, actor: str,
           directory: Path, problems: _Problems) -> LoadSummary:
    # Write first: take the tenant's row lock (PostgreSQL) or the write lock (SQLite) before
    # reading, so a concurrent writer cannot make this transaction's snapshot stale.
    session.execute(sa.update(Tenant).where(Tenant.slug == slug).values(slug=slug)
                    .execution_options(synchronize_session=False))
    tenant = session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).one_or_none()
    if tenant is None:
        tenant = Tenant(slug=slug, name=tenant_name or slug)
        session.add(tenant)
        session.flush()
    elif tenant_name:
        _assign(tenant, {"name": tenant_name})
    tid = tenant.id

    # Skills.
    skill_counter = _Counter()
    wanted_skills: dict[str, str] = {s.name: s.description for s in config.skills}
    if not config.skills_given:
        items: list[QueueModel | AgentModel] = [*config.queues, *config.agents]
        for item in items:
            for name in item.skills:
                wanted_skills.setdefault(name, "")
    skills = {s.name: s for s in session.scalars(sa.select(Skill).where(Skill.tenant_id == tid))}
    for name, skill in list(skills.items()):
        if name not in wanted_skills:
            session.delete(skill)
            del skills[name]
            skill_counter.deleted += 1
    for name, description in wanted_skills.items():
        old_skill = skills.get(name)
        if old_skill is None:
            skills[name] = Skill(tenant_id=tid, name=name, description=description)
            session.add(skills[name])
            skill_counter.created += 1
        elif _assign(old_skill, {"description": description}):
            skill_counter.updated += 1
    session.flush()

    # Queues.
    queue_counter = _Counter()
    queues = {q.key: q for q in session.scalars(
        sa.select(Queue).where(Queue.tenant_id == tid).options(selectinload(Queue.skills)))}
    wanted_queues = {q.id: q for q in config.queues}
    doomed = [q for key, q in queues.items() if key not in wanted_queues]
    if doomed:
        used = session.execute(sa.select(Queue.key, Campaign.key).join(
            Campaign, Campaign.queue_id == Queue.id).where(
            Queue.id.in_([q.id for q in doomed]))).all()
        for queue_key, campaign_key in used:
            problems.add(f"queues.yaml: queue {queue_key!r} is used by campaign "
                         f"{campaign_key!r} and cannot be removed")
        if used:
            return _empty_summary(slug)
    for queue in doomed:
        session.delete(queue)
        del queues[queue.key]
        queue_counter.deleted += 1
    for key, qm in wanted_queues.items():
        values = {name: getattr(qm, name) for name in QUEUE_SETTINGS}
        old_queue = queues.get(key)
        if old_queue is None:
            queue = queues[key] = Queue(tenant_id=tid, key=key, **values)
            session.add(queue)
            queue_counter.created += 1
            changed = False
        else:
            queue = old_queue
            changed = _assign(queue, values)
        wanted = {skills[name].id: level for name, level in qm.skills.items()}
        if _sync_levels(queue.skills, wanted,
                        lambda sid, lvl: QueueSkill(skill_id=sid, level=lvl), position=True):
            changed = True
        if changed and queue.id is not None:
            queue.updated_at = utcnow()  # a change of skills alone moves the version too
            queue_counter.updated += 1
    session.flush()

    # Teams (by name, created on demand; unused teams are kept: they may have supervisors).
    teams = {t.name: t for t in session.scalars(sa.select(Team).where(Team.tenant_id == tid))}
    for am in config.agents:
        if am.team and am.team not in teams:
            teams[am.team] = Team(tenant_id=tid, name=am.team)
            session.add(teams[am.team])
    session.flush()

    # Agents.
    agent_counter = _Counter()
    agents = {a.key: a for a in session.scalars(
        sa.select(Agent).where(Agent.tenant_id == tid).options(
            selectinload(Agent.skills), selectinload(Agent.memberships)))}
    wanted_agents = {a.id: a for a in config.agents}
    for key, agent in list(agents.items()):
        if key not in wanted_agents:
            session.delete(agent)
            del agents[key]
            agent_counter.deleted += 1
    session.flush()  # free extensions and SIP names before others take them
    for key, am in wanted_agents.items():
        values = {"name": am.name, "extension": am.extension,
                  "sip_username": am.sip_username or am.id, "sip_ha1": am.sip_ha1,
                  "capacity": am.capacity, "active": am.active,
                  "team_id": teams[am.team].id if am.team else None}
        old_agent = agents.get(key)
        if old_agent is None:
            agent = agents[key] = Agent(tenant_id=tid, key=key, **values)
            session.add(agent)
            agent_counter.created += 1
            changed = False
        else:
            agent = old_agent
            changed = _assign(agent, values)
        wanted = {skills[name].id: level for name, level in am.skills.items()}
        if _sync_levels(agent.skills, wanted,
                        lambda sid, lvl: AgentSkill(skill_id=sid, level=lvl)):
            changed = True
        memberships = {m.queue_id: m for m in agent.memberships}
        wanted_members = {queues[q].id: i for i, q in enumerate(am.queues)}
        for queue_id, member in memberships.items():
            if queue_id not in wanted_members:
                agent.memberships.remove(member)
                changed = True
        for queue_id, position in wanted_members.items():
            old_member = memberships.get(queue_id)
            if old_member is None:
                agent.memberships.append(AgentQueue(queue_id=queue_id, position=position))
                changed = True
            elif _assign(old_member, {"position": position}):
                changed = True
        if changed and agent.id is not None:
            agent.updated_at = utcnow()  # a change of skills or queues moves the version too
            agent_counter.updated += 1
    session.flush()

    # IVR flows.
    flow_counter = _Counter()
    flows = {f.name: f for f in session.scalars(
        sa.select(IvrFlow).where(IvrFlow.tenant_id == tid))}
    for name, flow in list(flows.items()):
        if name not in config.flows:
            session.delete(flow)
            flow_counter.deleted += 1
    for name, (source, definition) in config.flows.items():
        old_flow = flows.get(name)
        if old_flow is None:
            session.add(IvrFlow(tenant_id=tid, name=name, source=source, definition=definition))
            flow_counter.created += 1
        elif _assign(old_flow, {"source": source, "definition": definition}):
            flow_counter.updated += 1

    # DIDs: a number belongs to one tenant.
    did_counter = _Counter()
    dd = config.docs["dids"]
    numbers = [d.number for d in config.dids]
    taken = dict(session.execute(
        sa.select(Did.number, Tenant.slug).join(Tenant, Tenant.id == Did.tenant_id)
        .where(Did.number.in_(numbers), Did.tenant_id != tid)).all()) if numbers else {}
    for i, d in enumerate(config.dids):
        if d.number in taken:
            problems.add(dd.problem(("dids", i, "number"), f"number {d.number!r} belongs to "
                                                           f"tenant {taken[d.number]!r}"))
    if problems.lines:
        return _empty_summary(slug)
    dids = {d.number: d for d in session.scalars(sa.select(Did).where(Did.tenant_id == tid))}
    for number, did in list(dids.items()):
        if number not in numbers:
            session.delete(did)
            did_counter.deleted += 1
    for d in config.dids:
        kind, entry = next((EntryKind(k), v) for k, v in
                           (("ivr", d.ivr), ("queue", d.queue), ("agent", d.agent))
                           if v is not None)
        old_did = dids.get(d.number)
        if old_did is None:
            session.add(Did(tenant_id=tid, number=d.number, entry_kind=kind, entry=entry))
            did_counter.created += 1
        elif _assign(old_did, {"entry_kind": kind, "entry": entry}):
            did_counter.updated += 1

    summary = LoadSummary(tenant=slug, skills=skill_counter.result(),
                          queues=queue_counter.result(), agents=agent_counter.result(),
                          dids=did_counter.result(), ivr_flows=flow_counter.result())
    session.add(AuditEntry(tenant_id=tid, actor=actor, action="import", object_type="config",
                           object_id=str(directory), before=None, after=summary.as_dict()))
    return summary


def _empty_summary(slug: str) -> LoadSummary:
    zero = (0, 0, 0)
    return LoadSummary(tenant=slug, skills=zero, queues=zero, agents=zero, dids=zero,
                       ivr_flows=zero)


# ---------------------------------------------------------------------------------- export


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=100)


def export_config(engine: Engine, tenant: str, directory: str | Path) -> list[Path]:
    """Write ``tenant``'s configuration to ``directory`` in the layout :func:`load_config` reads.

    Queue and agent settings at their defaults are left out. Returns the files written.
    """
    directory = Path(directory)
    with Session(engine) as session:
        found = session.scalars(sa.select(Tenant).where(Tenant.slug == tenant)).one_or_none()
        if found is None:
            raise StoreError(f"no tenant {tenant!r}")
        tid = found.id
        skills = list(session.scalars(sa.select(Skill).where(Skill.tenant_id == tid)
                                      .order_by(Skill.name)))
        skill_names = {s.id: s.name for s in skills}
        queues = list(session.scalars(sa.select(Queue).where(Queue.tenant_id == tid)
                                      .options(selectinload(Queue.skills)).order_by(Queue.key)))
        queue_keys = {q.id: q.key for q in queues}
        agents = list(session.scalars(
            sa.select(Agent).where(Agent.tenant_id == tid).options(
                selectinload(Agent.skills), selectinload(Agent.memberships),
                selectinload(Agent.team)).order_by(Agent.key)))
        dids = list(session.scalars(sa.select(Did).where(Did.tenant_id == tid)
                                    .order_by(Did.number)))
        flows = list(session.scalars(sa.select(IvrFlow).where(IvrFlow.tenant_id == tid)
                                     .order_by(IvrFlow.name)))

        skill_items: list[Any] = [
            {"name": s.name, **({"description": s.description} if s.description else {})}
            for s in skills]
        queue_items = []
        for q in queues:
            item: dict[str, Any] = {"id": q.key}
            for name in QUEUE_SETTINGS:
                value = getattr(q, name)
                if value != getattr(_QUEUE_DEFAULTS, name):
                    item[name] = value
            if q.skills:
                item["skills"] = {skill_names[s.skill_id]: s.level for s in q.skills}
            queue_items.append(item)
        agent_items = []
        for a in agents:
            entry: dict[str, Any] = {"id": a.key}
            if a.name:
                entry["name"] = a.name
            entry["extension"] = a.extension
            if a.sip_username != a.key:
                entry["sip_username"] = a.sip_username
            if a.sip_ha1:
                entry["sip_ha1"] = a.sip_ha1
            if a.capacity != 1:
                entry["capacity"] = a.capacity
            if not a.active:
                entry["active"] = False
            if a.team is not None:
                entry["team"] = a.team.name
            if a.skills:
                entry["skills"] = {skill_names[s.skill_id]: s.level for s in a.skills}
            if a.memberships:
                entry["queues"] = [queue_keys[m.queue_id] for m in a.memberships]
            agent_items.append(entry)
        did_items = [{"number": d.number, d.entry_kind.value: d.entry} for d in dids]
        flow_texts = {f.name: f.source for f in flows}

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, items in (("skills", skill_items), ("queues", queue_items),
                        ("agents", agent_items), ("dids", did_items)):
        path = directory / f"{stem}.yaml"
        path.write_text(_dump({stem: items}), encoding="utf-8")
        written.append(path)
    if flow_texts:
        (directory / "ivr").mkdir(exist_ok=True)
    for name, text in flow_texts.items():
        path = directory / "ivr" / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
