"""Scenario files: YAML describing a center and its traffic, validated into a :class:`Model`.

Errors name the file, the line and the field (``support.yaml:14: queues[1].sl: ...``): the YAML
is composed into nodes that keep their positions, validated by pydantic models that forbid
unknown keys, and each validation error's location is mapped back to its node's line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from switchboard.core.errors import ConfigError
from switchboard.core.queues import STRATEGIES, QueueConfig
from switchboard.sim import distributions
from switchboard.sim.engine import AgentSpec, EntrySpec, Model, QueueSpec
from switchboard.yamlpos import line_of, path_text

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class ScenarioError(ConfigError):
    """A scenario file is invalid; the message names the file, the line and the field."""


def parse_duration(value: Any) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"1.5h"``, ``"1d"`` -> seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration must be a number of seconds or like 30s, 15m, 1h")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration must not be negative")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (use seconds or 30s, 15m, 1h, 1d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_clock(value: Any) -> float:
    """``"08:30"`` -> seconds after midnight."""
    match = re.match(r"^(\d{1,2}):(\d{2})$", str(value).strip())
    if not match or int(match.group(1)) > 24 or int(match.group(2)) > 59:
        raise ValueError(f"{value!r} is not a time of day like 08:30")
    return int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0


def parse_target(value: Any) -> tuple[float, float]:
    """``"80/20"`` -> (0.8, 20.0): 80% answered within 20 seconds."""
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*%?\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$", str(value))
    if not match:
        raise ValueError(f"{value!r} is not a service-level target like 80/20")
    percent, seconds = float(match.group(1)), float(match.group(2))
    if not 0 < percent <= 100:
        raise ValueError("the service-level percentage must be between 0 and 100")
    return percent / 100.0, seconds


Duration = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DistributionModel(_Strict):
    """A distribution: ``{dist: exponential, mean: 180}``; means and sds are durations."""

    dist: Literal["constant", "exponential", "lognormal", "empirical"] = "exponential"
    mean: float | None = None
    sd: float | None = None
    values: list[float] | None = None

    @field_validator("mean", "sd", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> Any:
        return None if v is None else parse_duration(v)

    def build(self) -> distributions.Distribution:
        """The distribution object."""
        return distributions.make(self.dist, mean=self.mean, sd=self.sd, values=self.values)


class OverflowModel(_Strict):
    """``overflow: {after: 60, to: tier2}``."""

    after: float
    to: str

    @field_validator("after", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)


class TransferModel(_Strict):
    """``transfer: {to: billing, p: 0.05}``."""

    to: str
    p: float = Field(ge=0, le=1)


class QueueModel(_Strict):
    """One queue of a scenario."""

    id: str = Field(min_length=1)
    priority: int = 0
    skills: dict[str, int] = {}
    strategy: str = "longest_idle"
    sl: str = "80/20"
    short_abandon: float = 5.0
    wrap_up: float = 0.0
    ring_timeout: float = 15.0
    ring_delay: float = 0.0
    no_answer: float = Field(0.0, ge=0, le=1)
    ageing: float = Field(0.0, ge=0)
    max_wait: float = 0.0
    max_wait_to: str = ""
    overflow: OverflowModel | None = None
    handle_time: DistributionModel
    patience: DistributionModel | None = None
    hold: float = Field(0.0, ge=0, le=1)
    hold_time: DistributionModel | None = None
    transfer: TransferModel | None = None
    callback: float = Field(0.0, ge=0, le=1)
    repeat: float = Field(0.0, ge=0, le=1)
    repeat_after: float = 86400.0

    @field_validator("short_abandon", "wrap_up", "ring_timeout", "ring_delay", "max_wait",
                     "repeat_after", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)

    @field_validator("strategy")
    @classmethod
    def _strategy(cls, v: str) -> str:
        if v not in STRATEGIES:
            raise ValueError(f"unknown strategy {v!r}; use one of {', '.join(STRATEGIES)}")
        return v

    @field_validator("sl")
    @classmethod
    def _sl(cls, v: str) -> str:
        parse_target(v)
        return v

    @field_validator("skills")
    @classmethod
    def _levels(cls, v: dict[str, int]) -> dict[str, int]:
        for skill, level in v.items():
            if not 1 <= level <= 10:
                raise ValueError(f"skill {skill!r}: level must be 1-10, got {level}")
        return v


class EntryModel(_Strict):
    """An entry point: ``{id: main, calls_per_hour: 120, ivr: {support: 0.7, sales: 0.3}}``."""

    id: str = Field(min_length=1)
    calls_per_hour: float = Field(ge=0)
    profile: list[Annotated[float, Field(ge=0)]] = [1.0]
    queue: str | None = None
    ivr: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = None
    """Branch probabilities; the key ``self_service`` ends the call in the IVR."""
    ivr_time: float = 0.0
    priority: int = 0

    @field_validator("ivr_time", mode="before")
    @classmethod
    def _duration(cls, v: Any) -> float:
        return parse_duration(v)

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: list[float]) -> list[float]:
        if not v or max(v) <= 0:
            raise ValueError("the profile needs at least one positive hourly weight")
        return v


class BreakModel(_Strict):
    """``{at: "10:00", minutes: 15}``."""

    at: str
    minutes: float = Field(gt=0)

    @field_validator("at")
    @classmethod
    def _at(cls, v: str) -> str:
        parse_clock(v)
        return v


class AgentGroupModel(_Strict):
    """``{group: tier1, count: 10, skills: {tech: 5}, queues: [support], shift: 08:00-16:00}``."""

    group: str = Field(min_length=1)
    count: int = Field(ge=0)
    skills: dict[str, int] = {}
    queues: list[str] = Field(min_length=1)
    shift: str | None = None
    breaks: list[BreakModel] = []

    @field_validator("shift")
    @classmethod
    def _shift(cls, v: str | None) -> str | None:
        if v is not None:
            parts = v.split("-")
            if len(parts) != 2:
                raise ValueError(f"{v!r} is not a shift like 08:00-16:00")
            start, end = (parse_clock(p) for p in parts)
            if end <= start:
                raise ValueError(f"shift {v!r} ends before it starts")
        return v

    @field_validator("skills")
    @classmethod
    def _levels(cls, v: dict[str, int]) -> dict[str, int]:
        return QueueModel._levels(v)


class ScenarioModel(_Strict):
    """A whole scenario file."""

    name: str = ""
    description: str = ""
    start: str = "00:00"
    """Time of day at which the run starts (shifts and breaks are times of day)."""
    hours: float = Field(8.0, gt=0)
    """Hours of arrivals per simulated day."""
    interval: Literal["15m", "30m", "60m", "1h"] = "30m"
    skills: list[str] = []
    queues: list[QueueModel] = Field(min_length=1)
    entries: list[EntryModel] = Field(min_length=1)
    agents: list[AgentGroupModel] = Field(min_length=1)

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        parse_clock(v)
        return v


def load(path: str | Path, *, days: int = 1) -> tuple[ScenarioModel, Model]:
    """Read and validate a scenario file; return its parsed form and the simulation model."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}{line}: invalid YAML: {problem}") from None
    if not isinstance(data, dict) or node is None:
        raise ScenarioError(f"{path}:1: a scenario must be a mapping of keys to values")
    try:
        scenario = ScenarioModel.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            msg = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                msg = f"unknown key {loc[-1]!r}"
            lines.append(f"{path}:{line_of(node, loc)}: {path_text(loc)}: {msg}")
        raise ScenarioError("\n".join(lines)) from None
    try:
        return scenario, build(scenario, days=days)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}:{line_of(node, exc.args[1])}: {exc.args[0]}") from None
    except ConfigError as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def _fail(message: str, *loc: int | str) -> ScenarioError:
    return ScenarioError(message, loc)


def build(s: ScenarioModel, *, days: int = 1) -> Model:
    """Turn a validated scenario into a simulation model, checking cross-references."""
    if days < 1:
        raise ConfigError("days must be at least 1")
    queue_ids = {q.id for q in s.queues}
    known_skills = set(s.skills)
    for i, q in enumerate(s.queues):
        for skill in q.skills:
            if known_skills and skill not in known_skills:
                raise _fail(f"queues[{i}].skills: queue {q.id!r} needs skill {skill!r}, which is "
                            f"not in the scenario's skills list", "queues", i, "skills")
        for field_name, target in (("overflow", q.overflow.to if q.overflow else ""),
                                   ("max_wait_to", q.max_wait_to),
                                   ("transfer", q.transfer.to if q.transfer else "")):
            if target and target not in queue_ids:
                raise _fail(f"queues[{i}].{field_name}: queue {q.id!r} sends calls to unknown "
                            f"queue {target!r}", "queues", i, field_name)
        if q.hold and q.hold_time is None:
            raise _fail(f"queues[{i}].hold_time: hold probability set but no hold_time",
                        "queues", i, "hold")
    targets = {q.id: (q.overflow.to if q.overflow else q.max_wait_to) for q in s.queues}
    for i, q in enumerate(s.queues):
        chain = [q.id]
        while (nxt := targets.get(chain[-1])):
            if nxt in chain:
                raise _fail(f"queues[{i}].overflow: overflow loop " + " -> ".join([*chain, nxt]),
                            "queues", i, "overflow")
            chain.append(nxt)
    for i, g in enumerate(s.agents):
        for skill in g.skills:
            if known_skills and skill not in known_skills:
                raise _fail(f"agents[{i}].skills: unknown skill {skill!r}", "agents", i, "skills")
        for queue_id in g.queues:
            if queue_id not in queue_ids:
                raise _fail(f"agents[{i}].queues: unknown queue {queue_id!r}", "agents", i,
                            "queues")
    start = parse_clock(s.start)
    day = 86400.0
    duration = (days - 1) * day + s.hours * 3600.0
    entries = []
    for i, e in enumerate(s.entries):
        if (e.queue is None) == (e.ivr is None):
            raise _fail(f"entries[{i}]: give either queue or ivr", "entries", i)
        if e.queue is not None:
            branches: tuple[tuple[str, float], ...] = ((e.queue, 1.0),)
        else:
            assert e.ivr is not None
            total = sum(e.ivr.values())
            if abs(total - 1.0) > 1e-6:
                raise _fail(f"entries[{i}].ivr: branch probabilities add up to {total:g}, "
                            "not 1", "entries", i, "ivr")
            branches = tuple(("" if k == "self_service" else k, p) for k, p in e.ivr.items())
        for target, _ in branches:
            if target and target not in queue_ids:
                raise _fail(f"entries[{i}]: unknown queue {target!r}", "entries", i)
        # The profile is given from the start time; across days it repeats every 24 h.
        profile = list(e.profile) + [0.0] * max(0, 24 - len(e.profile)) if days > 1 else e.profile
        entries.append(EntrySpec(entry_id=e.id, calls_per_hour=e.calls_per_hour,
                                 profile=tuple(profile), branches=branches,
                                 ivr_time=e.ivr_time, priority=e.priority))
    queues = []
    for q in s.queues:
        sl_target, sl_seconds = parse_target(q.sl)
        config = QueueConfig(
            queue_id=q.id, priority=q.priority, skills=tuple(q.skills.items()),
            strategy=q.strategy, ageing=q.ageing, sl_seconds=sl_seconds, sl_target=sl_target,
            short_abandon=q.short_abandon, max_wait=q.max_wait, max_wait_to=q.max_wait_to,
            overflow_after=q.overflow.after if q.overflow else 0.0,
            overflow_to=q.overflow.to if q.overflow else "", ring_timeout=q.ring_timeout,
            wrap_up=q.wrap_up, expected_aht=q.handle_time.build().mean + q.wrap_up)
        queues.append(QueueSpec(
            config=config, handle=q.handle_time.build(),
            patience=q.patience.build() if q.patience else None, ring_delay=q.ring_delay,
            no_answer=q.no_answer, hold=q.hold,
            hold_time=q.hold_time.build() if q.hold_time else None,
            transfer_to=q.transfer.to if q.transfer else "",
            transfer=q.transfer.p if q.transfer else 0.0, callback=q.callback, repeat=q.repeat,
            repeat_after=q.repeat_after))
    specs = []
    for g in s.agents:
        for n in range(g.count):
            # A multi-day run gives each agent one spec per day ("tier1-3@2": day 2).
            for d in range(days):
                offset = d * day - start
                if g.shift:
                    a, b = (parse_clock(p) for p in g.shift.split("-"))
                    shift = (max(0.0, a + offset), b + offset)
                elif days > 1:
                    shift = (d * day, d * day + s.hours * 3600.0)
                else:
                    shift = (0.0, float("inf"))
                breaks = tuple((parse_clock(b.at) + offset, b.minutes * 60.0) for b in g.breaks)
                suffix = f"@{d + 1}" if days > 1 else ""
                specs.append(AgentSpec(agent_id=f"{g.group}-{n + 1}{suffix}",
                                       skills=tuple(g.skills.items()), queues=tuple(g.queues),
                                       shift=shift, breaks=breaks))
    interval = parse_duration(s.interval)
    return Model(queues=tuple(queues), entries=tuple(entries), agents=tuple(specs),
                 duration=duration, interval=interval)
