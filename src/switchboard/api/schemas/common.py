"""Types shared by the request and response schemas.

Every string accepted from a client is bounded and refused if it holds a NUL character or a
lone surrogate (PostgreSQL cannot store either); every free-form JSON value is checked the same
way, with finite numbers and a bounded depth. Request bodies reject unknown fields.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "MAX_ID",
    "Body",
    "Clean",
    "Code",
    "Id",
    "JsonObject",
    "Label",
    "ListQuery",
    "LongText",
    "Name",
    "Number",
    "PageOut",
    "Public",
    "Seconds",
    "SmallInt",
    "Stamped",
    "UtcDateTime",
    "clean_text",
    "keep",
]

MAX_ID = 2**31 - 1
"""Largest id accepted in a path or a reference (ids fit PostgreSQL's integer)."""

T = TypeVar("T")


def clean_text(value: str) -> str:
    """Refuse NUL characters and strings that are not valid UTF-8 (lone surrogates)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def as_utc(value: dt.datetime) -> dt.datetime:
    """Times are UTC: a naive time (SQLite returns them) is taken as UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


UtcDateTime = Annotated[dt.datetime, AfterValidator(as_utc)]
"""A time, always shown in UTC with its offset."""

Clean = AfterValidator(clean_text)
"""Add to an ``Annotated[str, ...]`` to refuse NUL characters and lone surrogates."""


def _clean_json(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        raise ValueError("is nested too deeply (8 levels at most)")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) > 2**53:
            raise ValueError("holds an integer too large")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("holds a number that is not finite")
        return value
    if isinstance(value, list):
        return [_clean_json(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v, depth + 1) for k, v in value.items()}
    raise ValueError(f"holds a {type(value).__name__}, not a JSON value")


def _clean_object(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > 100:
        raise ValueError("has more than 100 keys")
    cleaned: dict[str, Any] = _clean_json(value)
    return cleaned


Name = Annotated[str, StringConstraints(min_length=1, max_length=100,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"), Clean]
"""An identifier: a queue, agent or campaign key, a skill name, a flow name."""
Code = Annotated[str, StringConstraints(min_length=1, max_length=60,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,59}$"), Clean]
Number = Annotated[str, StringConstraints(min_length=2, max_length=21,
                                          pattern=r"^\+?[0-9]{2,20}$"), Clean]
"""A phone number (E.164 digits, an optional ``+``)."""
JsonObject = Annotated[dict[str, Any], AfterValidator(_clean_object)]
Seconds = Annotated[float, Field(ge=0, le=10**9, allow_inf_nan=False)]
Label = Annotated[str, StringConstraints(max_length=200), Clean]
"""Free text for display names and labels."""
LongText = Annotated[str, StringConstraints(max_length=4000), Clean]
SmallInt = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def keep(**constraints: Any) -> Any:
    """An update field: absent leaves the value unchanged; null is refused (422).

    (The field's type is not optional, so an explicit null fails validation naming the field;
    the default None only marks "not given" and is never validated.)
    """
    return Field(default=None, **constraints)


class Body(BaseModel):
    """A request body: unknown fields are refused, numbers must be finite."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Public(BaseModel):
    """A response body, read from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class Stamped(Public):
    """A configuration row: its version (for optimistic locking) and times."""

    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ListQuery(BaseModel):
    """Paging parameters; resources add their filters. Unknown parameters are refused."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10**9)


class PageOut(BaseModel, Generic[T]):
    """One page of a collection, with the total number of matching items."""

    items: list[T]
    total: int
    limit: int
    offset: int
