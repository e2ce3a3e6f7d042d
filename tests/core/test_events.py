"""Events: every class is a keyword-only dataclass whose ``__init__`` matches its fields.

Six events write ``__init__`` by hand (see the module docstring of core/events.py); a
hand-written one that forgot a field, reordered it or changed a default would silently build
wrong events, so each signature is checked against ``dataclasses.fields``.
"""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from switchboard.core import events as ev

EVENT_CLASSES = [
    cls for cls in vars(ev).values()
    if isinstance(cls, type) and issubclass(cls, ev.Event) and cls is not ev.Event
]


def test_there_are_events() -> None:
    assert {ev.CallArrived, ev.AgentStateChanged, ev.CallEnded} <= set(EVENT_CLASSES)


COMPILED = not (ev.__file__ or "").endswith(".py")
"""The mypyc build (make test-compiled): its ``__init__``s show no signature to inspect."""


@pytest.mark.skipif(COMPILED, reason="compiled __init__ has no signature; checked on the source")
@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_init_matches_fields(cls: type[ev.Event]) -> None:
    fields = dataclasses.fields(cls)
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]  # without self
    assert [p.name for p in params] == [f.name for f in fields]
    for param, field in zip(params, fields, strict=True):
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, param.name
        expected = (inspect.Parameter.empty if field.default is dataclasses.MISSING
                    else field.default)
        assert param.default == expected, f"{cls.__name__}.{param.name}"


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.__name__)
def test_every_field_is_set(cls: type[ev.Event]) -> None:
    fields = dataclasses.fields(cls)
    values: dict[str, object] = {}
    samples: dict[str, object] = {
        "float": 1.5, "int": 3, "bool": True, "AgentState": ev.AgentState.TALKING,
        "Direction": ev.Direction.OUTBOUND, "EndReason": ev.EndReason.SYSTEM,
        "DialOutcome": ev.DialOutcome.BUSY, "tuple[tuple[str, int], ...]": (("spanish", 4),),
        "tuple": (("spanish", 4),),  # the compiled build gives the bare class
    }
    for i, field in enumerate(fields):
        kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
        values[field.name] = samples.get(kind, f"v{i}")
    event = cls(**values)  # type: ignore[arg-type]
    assert {f.name: getattr(event, f.name) for f in fields} == values
    assert event == cls(**values)  # type: ignore[arg-type]
    assert hash(event) == hash(cls(**values))  # type: ignore[arg-type]
