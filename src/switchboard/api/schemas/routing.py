"""Queues, IVR flows, dialled numbers (DIDs) and trunks."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from switchboard.api.schemas.agents import Skills
from switchboard.api.schemas.common import (
    Body,
    Clean,
    Id,
    Label,
    ListQuery,
    Name,
    Number,
    Seconds,
    SmallInt,
    Stamped,
    keep,
)

Strategy = Literal["longest_idle", "least_occupied", "fewest_calls", "round_robin",
                   "best_skill"]
Target = Annotated[str, StringConstraints(max_length=100,
                                          pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"), Clean]
"""A queue key, or empty for none."""
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, le=10**9, allow_inf_nan=False)]
Reason = Annotated[str, StringConstraints(max_length=100), Clean]


class QueueCreate(Body):
    key: Name
    """The core's queue id (in events); unique in the tenant."""
    name: Label = ""
    priority: SmallInt = 0
    strategy: Strategy = "longest_idle"
    ageing: Seconds = 0.0
    sl_seconds: Seconds = 20.0
    sl_target: Fraction = 0.8
    short_abandon: Seconds = 5.0
    max_wait: Seconds = 0.0
    max_wait_to: Target = ""
    overflow_after: Seconds = 0.0
    overflow_to: Target = ""
    ring_timeout: Seconds = 15.0
    rona_pause: Reason = "rona"
    wrap_up: Seconds = 0.0
    expected_aht: Positive = 180.0
    fcr_window: Seconds = 7 * 86400.0
    skills: Skills = Field(default_factory=dict)


class QueueUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    name: Label = keep()
    priority: SmallInt = keep()
    strategy: Strategy = keep()
    ageing: Seconds = keep()
    sl_seconds: Seconds = keep()
    sl_target: Fraction = keep()
    short_abandon: Seconds = keep()
    max_wait: Seconds = keep()
    max_wait_to: Target = keep()
    overflow_after: Seconds = keep()
    overflow_to: Target = keep()
    ring_timeout: Seconds = keep()
    rona_pause: Reason = keep()
    wrap_up: Seconds = keep()
    expected_aht: Positive = keep()
    fcr_window: Seconds = keep()
    skills: Skills = keep()


class QueuePublic(Stamped):
    id: int
    key: str
    name: str
    priority: int
    strategy: str
    ageing: float
    sl_seconds: float
    sl_target: float
    short_abandon: float
    max_wait: float
    max_wait_to: str
    overflow_after: float
    overflow_to: str
    ring_timeout: float
    rona_pause: str
    wrap_up: float
    expected_aht: float
    fcr_window: float
    skills: dict[str, int]


class QueueQuery(ListQuery):
    key: Name | None = None
    strategy: Strategy | None = None


FlowSource = Annotated[str, StringConstraints(min_length=1, max_length=65536), Clean]


class IvrFlowCreate(Body):
    name: Name
    source: FlowSource
    """The flow as YAML (a mapping); anchors and aliases are refused."""


class IvrFlowUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    name: Name = keep()
    source: FlowSource = keep()


class IvrFlowPublic(Stamped):
    id: int
    name: str
    source: str
    definition: dict[str, object]


class IvrFlowQuery(ListQuery):
    name: Name | None = None


EntryKind = Literal["ivr", "queue", "agent"]


class DidCreate(Body):
    number: Number
    """Unique across the platform: a number belongs to one tenant."""
    entry_kind: EntryKind
    entry: Name
    """The IVR flow's name, the queue's key or the agent's key."""
    trunk_id: Id | None = None


class DidUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    entry_kind: EntryKind = keep()
    entry: Name = keep()
    trunk_id: Id | None = None


class DidPublic(Stamped):
    id: int
    number: str
    entry_kind: str
    entry: str
    trunk_id: int | None


class DidQuery(ListQuery):
    number: Number | None = None
    entry_kind: EntryKind | None = None


Host = Annotated[str, StringConstraints(min_length=1, max_length=255,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9.:-]{0,254}$"), Clean]
Transport = Literal["udp", "tcp", "tls", "ws", "wss"]
Credential = Annotated[str, StringConstraints(max_length=200), Clean]
SipName = Annotated[str, StringConstraints(max_length=100), Clean]


class TrunkCreate(Body):
    name: Name
    """Unique across the platform."""
    host: Host
    port: int = Field(default=5060, ge=1, le=65535)
    transport: Transport = "udp"
    username: SipName = ""
    password: Credential = ""
    """Never shown back."""
    registers: bool = False
    """Whether the trunk registers with the carrier (SIP REGISTER)."""
    max_channels: int = Field(default=0, ge=0, le=100_000)
    active: bool = True


class TrunkUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    host: Host = keep()
    port: int = keep(ge=1, le=65535)
    transport: Transport = keep()
    username: SipName = keep()
    password: Credential = keep()
    registers: bool = keep()
    max_channels: int = keep(ge=0, le=100_000)
    active: bool = keep()


class TrunkPublic(Stamped):
    id: int
    name: str
    host: str
    port: int
    transport: str
    username: str
    has_password: bool
    registers: bool
    max_channels: int
    active: bool


class TrunkQuery(ListQuery):
    name: Name | None = None
    active: bool | None = None
