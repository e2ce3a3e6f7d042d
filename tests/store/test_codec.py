"""The event codec: every event class round-trips exactly; bad input gives precise errors."""

from __future__ import annotations

import dataclasses
import enum
import json
import typing
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.core import events as ev
from switchboard.store import codec
from switchboard.store.errors import CodecError

TEXT = st.text(max_size=20)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
SKILLS = st.lists(st.tuples(TEXT, st.integers(min_value=-(2**40), max_value=2**40)),
                  max_size=4).map(tuple)

# Overrides for fields whose values the event validates itself.
FIELD_STRATEGIES: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("SurveyAnswered", "score"): st.integers(min_value=1, max_value=5),
    ("QualityScored", "score"): st.floats(min_value=0.0, max_value=100.0),
}


def _strategy(tp: Any) -> st.SearchStrategy[Any]:
    if tp is str:
        return TEXT
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers()
    if tp is float:
        return FINITE
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp.__members__.values()))
    if tp == tuple[tuple[str, int], ...]:
        return SKILLS
    raise AssertionError(f"no strategy for {tp!r}: extend the test")


def _event_strategy(cls: type[ev.Event]) -> st.SearchStrategy[ev.Event]:
    hints = typing.get_type_hints(cls)
    kwargs = {
        f.name: FIELD_STRATEGIES.get((cls.__name__, f.name), _strategy(hints[f.name]))
        for f in dataclasses.fields(cls)
    }
    return st.builds(cls, **kwargs)


ANY_EVENT = st.one_of([_event_strategy(cls) for cls in codec.EVENT_TYPES.values()])


def test_every_event_class_is_known() -> None:
    classes = {obj for obj in vars(ev).values()
               if isinstance(obj, type) and issubclass(obj, ev.Event) and obj is not ev.Event}
    assert set(codec.EVENT_TYPES.values()) == classes
    assert len(classes) >= 18


@pytest.mark.parametrize("name", list(codec.EVENT_TYPES))
@given(data=st.data())
def test_round_trip_each_class(name: str, data: st.DataObject) -> None:
    event = data.draw(_event_strategy(codec.EVENT_TYPES[name]))
    encoded = codec.encode(event)
    assert encoded["type"] == name
    # JSON-able, and exact through JSON text.
    text = json.dumps(encoded, allow_nan=False)
    back = codec.decode(json.loads(text))
    assert back == event
    assert type(back) is type(event)
    assert codec.loads(codec.dumps(event)) == event


@given(ANY_EVENT)
def test_encoding_is_plain_json(event: ev.Event) -> None:
    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, str | int | float | bool)

    assert plain(codec.encode(event))


def test_example_encoding() -> None:
    event = ev.CallQueued(at=12.5, call_id="c1", queue_id="sales", skills=(("fr", 3),))
    assert codec.encode(event) == {
        "type": "CallQueued", "at": 12.5, "call_id": "c1", "queue_id": "sales",
        "priority": 0, "skills": [["fr", 3]], "requeued": False,
    }


def test_integral_float_from_jsonb_decodes_as_float() -> None:
    # PostgreSQL's jsonb prints 1e300 in full: it comes back as an int.
    back = codec.decode({"type": "CallHeld", "at": 10**300, "call_id": "c", "agent_id": "a"})
    assert back == ev.CallHeld(at=1e300, call_id="c", agent_id="a")
    assert isinstance(back.at, float)


def test_old_record_missing_a_defaulted_field_takes_the_default() -> None:
    back = codec.decode({"type": "CallArrived", "at": 1.0, "call_id": "c"})
    assert back == ev.CallArrived(at=1.0, call_id="c")


@pytest.mark.parametrize(("data", "message"), [
    ({"type": "CallTeleported", "at": 1.0}, "unknown event type 'CallTeleported'"),
    ({"at": 1.0}, "an encoded event needs a 'type'"),
    ([1, 2], "an encoded event must be a mapping, got [1, 2] (list)"),
    ({"type": "CallHeld", "at": 1.0, "call_id": "c"}, "CallHeld: missing field 'agent_id'"),
    ({"type": "CallHeld", "at": 1.0, "call_id": "c", "agent_id": "a", "colour": "red"},
     "CallHeld: unknown field 'colour'"),
    ({"type": "CallHeld", "at": "soon", "call_id": "c", "agent_id": "a"},
     "CallHeld.at: expected a number, got 'soon' (str)"),
    ({"type": "CallHeld", "at": True, "call_id": "c", "agent_id": "a"},
     "CallHeld.at: expected a number, got True (bool)"),
    ({"type": "CallHeld", "at": 1.0, "call_id": 7, "agent_id": "a"},
     "CallHeld.call_id: expected a string, got 7 (int)"),
    ({"type": "CallArrived", "at": 1.0, "call_id": "c", "direction": "sideways"},
     "CallArrived.direction: 'sideways' is not a Direction (one of inbound, outbound)"),
    ({"type": "CallQueued", "at": 1.0, "call_id": "c", "queue_id": "q", "priority": 1.5},
     "CallQueued.priority: expected an integer, got 1.5 (float)"),
    ({"type": "CallQueued", "at": 1.0, "call_id": "c", "queue_id": "q",
      "skills": [["fr", "high"]]},
     "CallQueued.skills[0][1]: expected an integer, got 'high' (str)"),
    ({"type": "CallQueued", "at": 1.0, "call_id": "c", "queue_id": "q", "skills": [["fr"]]},
     "CallQueued.skills[0]: expected a list of 2 items, got ['fr'] (list)"),
    ({"type": "CallQueued", "at": 1.0, "call_id": "c", "queue_id": "q", "requeued": 1},
     "CallQueued.requeued: expected true or false, got 1 (int)"),
    ({"type": "SurveyAnswered", "at": 1.0, "call_id": "c", "score": 9},
     "SurveyAnswered: CSAT score must be 1-5, got 9"),
    ({"type": "CallHeld", "at": 10**400, "call_id": "c", "agent_id": "a"},
     "CallHeld.at: number out of range"),
])
def test_bad_input_is_named_precisely(data: Any, message: str) -> None:
    with pytest.raises(CodecError) as info:
        codec.decode(data)
    assert message in str(info.value)


def test_non_finite_float_is_refused_on_encoding() -> None:
    with pytest.raises(CodecError, match=r"CallHeld\.at: inf cannot be stored"):
        codec.encode(ev.CallHeld(at=float("inf"), call_id="c", agent_id="a"))


def test_wrong_value_type_is_refused_on_encoding() -> None:
    bad = ev.CallArrived(at=1.0, call_id="c", direction="inbound")  # type: ignore[arg-type]
    with pytest.raises(CodecError, match=r"CallArrived\.direction: expected Direction"):
        codec.encode(bad)


def test_a_non_event_is_refused() -> None:
    with pytest.raises(CodecError, match="not an event class"):
        codec.encode(ev.Event(at=1.0))
    with pytest.raises(CodecError, match="invalid JSON"):
        codec.loads("{not json")
