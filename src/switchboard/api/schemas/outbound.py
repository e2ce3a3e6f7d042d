"""Contact lists and contacts, campaigns, disposition codes, do-not-call, callbacks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from switchboard.api.schemas.common import (
    Body,
    Clean,
    Code,
    Id,
    JsonObject,
    Label,
    ListQuery,
    Name,
    Number,
    Public,
    Seconds,
    Stamped,
    UtcDateTime,
    keep,
)

FieldName = Annotated[str, StringConstraints(min_length=1, max_length=60,
                                             pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,59}$"), Clean]
ContactKey = Annotated[str, StringConstraints(min_length=1, max_length=100,
                                              pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"),
                       Clean]
TimeZone = Annotated[str, StringConstraints(max_length=64,
                                            pattern=r"^$|^[A-Za-z][A-Za-z0-9_+/-]{0,63}$"), Clean]
ContactStatus = Literal["new", "scheduled", "dialing", "done", "failed", "dnc"]


class ContactListCreate(Body):
    name: Label = Field(min_length=1)
    fields: list[FieldName] = Field(default_factory=list, max_length=100)


class ContactListUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    name: Label = keep(min_length=1)
    fields: list[FieldName] = keep(max_length=100)


class ContactListPublic(Stamped):
    id: int
    name: str
    fields: list[str]


class ContactListQuery(ListQuery):
    pass


class ContactCreate(Body):
    key: ContactKey
    """The core's contact id; unique in the list."""
    number: Number
    name: Label = ""
    timezone: TimeZone = ""
    custom: JsonObject = Field(default_factory=dict)
    """Values of the list's custom fields."""
    status: ContactStatus = "new"


class ContactUpdate(Body):
    number: Number = keep()
    name: Label = keep()
    timezone: TimeZone = keep()
    custom: JsonObject = keep()
    status: ContactStatus = keep()


class ContactPublic(Public):
    id: int
    list_id: int
    key: str
    number: str
    name: str
    timezone: str
    custom: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: UtcDateTime | None
    last_outcome: str


class ContactQuery(ListQuery):
    number: Number | None = None
    status: ContactStatus | None = None
    key: ContactKey | None = None


Mode = Literal["preview", "progressive", "power", "predictive"]
Hours = Annotated[dict[Annotated[str, StringConstraints(max_length=20), Clean],
                       Annotated[str, StringConstraints(
                           max_length=40,
                           pattern=r"^[0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9]$")]],
                  Field(max_length=14)]
"""Allowed local hours, e.g. ``{"mon-fri": "09:00-20:00"}``."""
CallerId = Annotated[str, StringConstraints(max_length=40, pattern=r"^$|^\+?[0-9]{2,20}$"),
                     Clean]


class CampaignCreate(Body):
    key: Name
    name: Label = ""
    mode: Mode = "progressive"
    queue_id: Id | None = None
    list_id: Id | None = None
    caller_id: CallerId = ""
    active: bool = False
    dial_ratio: float = Field(default=1.0, ge=1.0, le=10.0, allow_inf_nan=False)
    max_abandon_rate: float = Field(default=0.03, ge=0, le=1, allow_inf_nan=False)
    max_attempts: int = Field(default=3, ge=1, le=100)
    retry_after: Seconds = 3600.0
    calling_hours: Hours = Field(default_factory=dict)


class CampaignUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    name: Label = keep()
    mode: Mode = keep()
    queue_id: Id | None = None
    list_id: Id | None = None
    caller_id: CallerId = keep()
    active: bool = keep()
    dial_ratio: float = keep(ge=1.0, le=10.0, allow_inf_nan=False)
    max_abandon_rate: float = keep(ge=0, le=1, allow_inf_nan=False)
    max_attempts: int = keep(ge=1, le=100)
    retry_after: Seconds = keep()
    calling_hours: Hours = keep()


class CampaignPublic(Stamped):
    id: int
    key: str
    name: str
    mode: str
    queue_id: int | None
    list_id: int | None
    caller_id: str
    active: bool
    dial_ratio: float
    max_abandon_rate: float
    max_attempts: int
    retry_after: float
    calling_hours: dict[str, str]


class CampaignQuery(ListQuery):
    key: Name | None = None
    active: bool | None = None
    mode: Mode | None = None


class DispositionCreate(Body):
    code: Code
    label: Label = ""
    success: bool = False
    resolved: bool = False
    campaign_id: Id | None = None
    """None: for every campaign and inbound queue."""


class DispositionUpdate(Body):
    version: int = Field(ge=1, le=2**31 - 1)
    code: Code = keep()
    label: Label = keep()
    success: bool = keep()
    resolved: bool = keep()
    campaign_id: Id | None = None


class DispositionPublic(Stamped):
    id: int
    code: str
    label: str
    success: bool
    resolved: bool
    campaign_id: int | None


class DispositionQuery(ListQuery):
    code: Code | None = None
    campaign_id: Id | None = None


Source = Annotated[str, StringConstraints(max_length=100), Clean]


class DncCreate(Body):
    number: Number
    source: Source = ""
    expires_at: UtcDateTime | None = None


class DncUpdate(Body):
    source: Source = keep()
    expires_at: UtcDateTime | None = None


class DncPublic(Public):
    id: int
    number: str
    source: str
    added_at: UtcDateTime
    expires_at: UtcDateTime | None


class DncQuery(ListQuery):
    number: Number | None = None


CallbackStatus = Literal["pending", "dialing", "done", "failed", "cancelled"]
CallId = Annotated[str, StringConstraints(max_length=100), Clean]


class CallbackCreate(Body):
    number: Number
    due_at: UtcDateTime | None = None
    queue_id: Id | None = None
    agent_id: Id | None = None
    call_id: CallId = ""
    status: CallbackStatus = "pending"


class CallbackUpdate(Body):
    due_at: UtcDateTime | None = None
    queue_id: Id | None = None
    agent_id: Id | None = None
    status: CallbackStatus = keep()


class CallbackPublic(Public):
    id: int
    number: str
    call_id: str
    queue_id: int | None
    agent_id: int | None
    requested_at: UtcDateTime
    due_at: UtcDateTime | None
    status: str
    attempts: int


class CallbackQuery(ListQuery):
    status: CallbackStatus | None = None
    number: Number | None = None
