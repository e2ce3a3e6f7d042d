"""Skills and agents."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from switchboard.api.schemas.common import (
    Body,
    Clean,
    Id,
    Label,
    ListQuery,
    Name,
    Stamped,
    keep,
)

Level = Annotated[int, Field(ge=1, le=10)]
Skills = Annotated[dict[Name, Level], Field(max_length=100)]
"""Skill name -> level (1-10); the names must be the tenant's skills."""
Extension = Annotated[str, StringConstraints(min_length=1, max_length=40,
                                             pattern=r"^[0-9*#]{1,40}$"), Clean]
SipUser = Annotated[str, StringConstraints(min_length=1, max_length=100,
                                           pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}$"), Clean]
SipPassword = Annotated[str, StringConstraints(min_length=8, max_length=200), Clean]
Description = Annotated[str, StringConstraints(max_length=400), Clean]


class SkillCreate(Body):
    name: Name
    description: Description = ""


class SkillUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    name: Name = keep()
    description: Description = keep()


class SkillPublic(Stamped):
    id: int
    name: str
    description: str


class SkillQuery(ListQuery):
    name: Name | None = None


class AgentCreate(Body):
    key: Name
    """The core's agent id (in events); unique in the tenant."""
    name: Label = ""
    extension: Extension
    """Unique in the tenant."""
    sip_username: SipUser | None = None
    """Defaults to the extension; unique in the tenant."""
    sip_password: SipPassword | None = None
    """Stored as the digest HA1 only; never shown."""
    capacity: int = Field(default=1, ge=1, le=100)
    active: bool = True
    skills: Skills = Field(default_factory=dict)
    queues: list[Name] = Field(default_factory=list, max_length=100)
    """Queue keys, in the agent's order of preference."""
    user_id: Id | None = None
    """The user who works as this agent (they may control it)."""


class AgentUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    name: Label = keep()
    extension: Extension = keep()
    sip_username: SipUser = keep()
    sip_password: SipPassword = keep()
    capacity: int = keep(ge=1, le=100)
    active: bool = keep()
    skills: Skills = keep()
    queues: list[Name] = keep(max_length=100)
    user_id: Id | None = None


class AgentPublic(Stamped):
    id: int
    key: str
    name: str
    extension: str
    sip_username: str
    capacity: int
    active: bool
    skills: dict[str, int]
    queues: list[str]
    user_id: int | None


class AgentQuery(ListQuery):
    key: Name | None = None
    extension: Extension | None = None
    active: bool | None = None


class AgentSkillsPut(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    skills: Skills
