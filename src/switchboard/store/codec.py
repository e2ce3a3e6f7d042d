"""Events to JSON-able dicts and back, exactly.

Every concrete event class of :mod:`switchboard.core.events` is encoded as a flat mapping::

    {"type": "CallQueued", "at": 12.5, "call_id": "c1", "queue_id": "sales",
     "priority": 0, "skills": [["fr", 3]], "requeued": false}

``type`` is the class name; every field follows, enums as their values, tuples as lists. Decoding
checks everything: the type must be known, every field must be present (a field missing from an
old record may take its default), none may be unknown, each value must have the field's type,
and the event's own validation runs. Any failure raises :class:`CodecError` naming the event
type and the field. Floats must be finite (JSON has no NaN or infinity).

The converters are built once, at import, from the dataclass fields and their type hints: an
event field of a type the codec cannot convert fails the import, so a new event class is either
encoded exactly or caught at once by the tests.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from switchboard.core import events as _events
from switchboard.core.events import Event
from switchboard.store.errors import CodecError

__all__ = [
    "EVENT_TYPES",
    "decode",
    "decode_payload",
    "dumps",
    "encode",
    "encode_payload",
    "loads",
    "type_name",
]

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any, str], Any]  # (value, where) -> value; raises CodecError


def _fail(where: str, message: str) -> CodecError:
    return CodecError(f"{where}: {message}")


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _str_codec() -> tuple[Encoder, Decoder]:
    def enc(value: Any) -> Any:
        if not isinstance(value, str):
            raise TypeError(f"expected str, got {_describe(value)}")
        return value

    def dec(value: Any, where: str) -> Any:
        if not isinstance(value, str):
            raise _fail(where, f"expected a string, got {_describe(value)}")
        return value

    return enc, dec


def _bool_codec() -> tuple[Encoder, Decoder]:
    def enc(value: Any) -> Any:
        if not isinstance(value, bool):
            raise TypeError(f"expected bool, got {_describe(value)}")
        return value

    def dec(value: Any, where: str) -> Any:
        if not isinstance(value, bool):
            raise _fail(where, f"expected true or false, got {_describe(value)}")
        return value

    return enc, dec


def _int_codec() -> tuple[Encoder, Decoder]:
    def enc(value: Any) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected int, got {_describe(value)}")
        return value

    def dec(value: Any, where: str) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(where, f"expected an integer, got {_describe(value)}")
        return value

    return enc, dec


def _float_codec() -> tuple[Encoder, Decoder]:
    def enc(value: Any) -> Any:
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"expected float, got {_describe(value)}")
        value = float(value)
        if not math.isfinite(value):
            raise TypeError(f"{value} cannot be stored (JSON has no NaN or infinity)")
        return value

    def dec(value: Any, where: str) -> Any:
        # A JSON number without a fraction (PostgreSQL's jsonb prints 1e300 in full) is an int.
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _fail(where, f"expected a number, got {_describe(value)}")
        try:
            result = float(value)
        except OverflowError:
            raise _fail(where, f"number out of range: {_describe(value)}") from None
        if not math.isfinite(result):
            raise _fail(where, f"expected a finite number, got {_describe(value)}")
        return result

    return enc, dec


def _enum_codec(cls: type[enum.Enum]) -> tuple[Encoder, Decoder]:
    allowed = ", ".join(str(m.value) for m in cls)

    def enc(value: Any) -> Any:
        if not isinstance(value, cls):
            raise TypeError(f"expected {cls.__name__}, got {_describe(value)}")
        return value.value

    def dec(value: Any, where: str) -> Any:
        try:
            return cls(value)
        except (ValueError, TypeError):
            raise _fail(where, f"{value!r} is not a {cls.__name__} (one of {allowed})") from None

    return enc, dec


def _tuple_codec(args: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
    if len(args) == 2 and args[1] is Ellipsis:
        item_enc, item_dec = _codec_for(args[0])

        def enc_var(value: Any) -> Any:
            if not isinstance(value, tuple):
                raise TypeError(f"expected tuple, got {_describe(value)}")
            return [item_enc(item) for item in value]

        def dec_var(value: Any, where: str) -> Any:
            if not isinstance(value, list | tuple):
                raise _fail(where, f"expected a list, got {_describe(value)}")
            return tuple(item_dec(item, f"{where}[{i}]") for i, item in enumerate(value))

        return enc_var, dec_var

    codecs = [_codec_for(arg) for arg in args]

    def enc_fixed(value: Any) -> Any:
        if not isinstance(value, tuple) or len(value) != len(codecs):
            raise TypeError(f"expected a tuple of {len(codecs)}, got {_describe(value)}")
        return [c[0](item) for c, item in zip(codecs, value, strict=True)]

    def dec_fixed(value: Any, where: str) -> Any:
        if not isinstance(value, list | tuple) or len(value) != len(codecs):
            raise _fail(where, f"expected a list of {len(codecs)} items, got {_describe(value)}")
        return tuple(c[1](item, f"{where}[{i}]")
                     for i, (c, item) in enumerate(zip(codecs, value, strict=True)))

    return enc_fixed, dec_fixed


_SCALARS: dict[Any, Callable[[], tuple[Encoder, Decoder]]] = {
    str: _str_codec,
    bool: _bool_codec,
    int: _int_codec,
    float: _float_codec,
}


def _codec_for(tp: Any) -> tuple[Encoder, Decoder]:
    """Encoder and decoder for a field type; TypeError for a type the codec does not know."""
    make = _SCALARS.get(tp)
    if make is not None:
        return make()
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_codec(tp)
    if typing.get_origin(tp) is tuple:
        return _tuple_codec(typing.get_args(tp))
    raise TypeError(f"the event codec cannot convert fields of type {tp!r}")


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str
    encode: Encoder
    decode: Decoder
    required: bool


@dataclasses.dataclass(frozen=True, slots=True)
class _EventCodec:
    cls: type[Event]
    fields: tuple[_Field, ...]
    names: frozenset[str]


def _build(cls: type[Event]) -> _EventCodec:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name == "type":
            raise TypeError(f"{cls.__name__}: a field named 'type' would clash with the tag")
        try:
            enc, dec = _codec_for(hints[f.name])
        except TypeError as exc:
            raise TypeError(f"{cls.__name__}.{f.name}: {exc}") from None
        required = f.default is MISSING and f.default_factory is MISSING
        out.append(_Field(f.name, enc, dec, required))
    return _EventCodec(cls, tuple(out), frozenset(f.name for f in out))


def _event_classes() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    for obj in vars(_events).values():
        if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event:
            found[obj.__name__] = obj
    return dict(sorted(found.items()))


EVENT_TYPES: Mapping[str, type[Event]] = types.MappingProxyType(_event_classes())
"""Every concrete event class of :mod:`switchboard.core.events`, by type name."""

_BY_NAME: dict[str, _EventCodec] = {name: _build(cls) for name, cls in EVENT_TYPES.items()}
_BY_CLASS: dict[type[Event], _EventCodec] = {c.cls: c for c in _BY_NAME.values()}


def type_name(event: Event | type[Event]) -> str:
    """The stored type name of an event (or event class): its class name."""
    cls = event if isinstance(event, type) else type(event)
    if cls not in _BY_CLASS:
        raise CodecError(f"{cls.__name__} is not an event class of switchboard.core.events")
    return cls.__name__


def encode_payload(event: Event) -> dict[str, Any]:
    """Every field of ``event`` as JSON-able values, without the type tag."""
    codec = _BY_CLASS.get(type(event))
    if codec is None:
        raise CodecError(f"cannot encode {type(event).__name__}: not an event class of "
                         "switchboard.core.events")
    out: dict[str, Any] = {}
    for f in codec.fields:
        try:
            out[f.name] = f.encode(getattr(event, f.name))
        except TypeError as exc:
            raise CodecError(f"{codec.cls.__name__}.{f.name}: {exc}") from None
    return out


def encode(event: Event) -> dict[str, Any]:
    """``event`` as a JSON-able dict: ``{"type": <class name>, <field>: <value>, ...}``."""
    return {"type": type_name(event), **encode_payload(event)}


def decode_payload(name: str, payload: Mapping[str, Any]) -> Event:
    """Rebuild an event of type ``name`` from its fields; :class:`CodecError` if invalid."""
    codec = _BY_NAME.get(name) if isinstance(name, str) else None
    if codec is None:
        known = ", ".join(_BY_NAME)
        raise CodecError(f"unknown event type {name!r} (known: {known})")
    if not isinstance(payload, Mapping):
        raise CodecError(f"{name}: the payload must be a mapping, got {_describe(payload)}")
    unknown = sorted(str(k) for k in payload if k not in codec.names)
    if unknown:
        raise CodecError(f"{name}: unknown field{'s' if len(unknown) > 1 else ''} "
                         + ", ".join(repr(k) for k in unknown))
    kwargs: dict[str, Any] = {}
    for f in codec.fields:
        if f.name in payload:
            kwargs[f.name] = f.decode(payload[f.name], f"{name}.{f.name}")
        elif f.required:
            raise CodecError(f"{name}: missing field {f.name!r}")
    try:
        return codec.cls(**kwargs)
    except (ValueError, TypeError) as exc:
        raise CodecError(f"{name}: {exc}") from None


def decode(data: Mapping[str, Any]) -> Event:
    """The event that :func:`encode` turned into ``data``; :class:`CodecError` if invalid."""
    if not isinstance(data, Mapping):
        raise CodecError(f"an encoded event must be a mapping, got {_describe(data)}")
    if "type" not in data:
        raise CodecError("an encoded event needs a 'type'")
    payload = {k: v for k, v in data.items() if k != "type"}
    return decode_payload(data["type"], payload)


def dumps(event: Event) -> str:
    """``event`` as compact JSON text."""
    return json.dumps(encode(event), separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def loads(text: str | bytes) -> Event:
    """The event in JSON ``text`` (from :func:`dumps`)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CodecError(f"invalid JSON: {exc}") from None
    return decode(data)
