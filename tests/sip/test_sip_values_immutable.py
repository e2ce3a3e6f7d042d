"""The values made per message (Via, From/To/Contact addresses, SDP parts) are immutable.

They are shared: the parser memoizes them and a response reuses its request's. They are not
frozen dataclasses (too slow to build under mypyc, docs/sip-bench.md) but have ``Final``
fields: mypy refuses an assignment anywhere but ``__init__`` (the lint step), and the mypyc
build, which the server runs, makes them read-only attributes. Equality and hashing stay by
value.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable

import pytest

from switchboard.sip import sdp, uri, values

MAKERS: dict[str, Callable[[], object]] = {
    "Via": lambda: values.parse_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport"),
    "NameAddress": lambda: uri.parse_name_addr('"Alice" <sip:alice@example.com>;tag=1'),
    "Origin": lambda: sdp.Origin("-", "1", 2, "192.0.2.1"),
    "Connection": lambda: sdp.Connection.for_address("192.0.2.1"),
    "Codec": lambda: sdp.Codec("PCMU", 8000, 0),
    "AudioConfig": lambda: sdp.AudioConfig(address="192.0.2.1", port=4000),
    "NegotiatedAudio": lambda: sdp.NegotiatedAudio(
        remote_address="192.0.2.2", remote_port=5000, codec=sdp.PCMU, telephone_event_pt=101,
        telephone_events=frozenset(range(16)), direction=sdp.Direction.SENDRECV,
        remote_ptime=20, index=0),
}

#: A field of each, and another value for it.
CHANGES: dict[str, tuple[str, object]] = {
    "Via": ("port", 5070), "NameAddress": ("display_name", "Bob"),
    "Origin": ("session_version", 3), "Connection": ("address", "192.0.2.9"),
    "Codec": ("payload_type", 8), "AudioConfig": ("port", 4002),
    "NegotiatedAudio": ("remote_port", 5002),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_equal_values_compare_and_hash_equal(name: str) -> None:
    a, b = MAKERS[name](), MAKERS[name]()
    assert a is not b
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    field, other = CHANGES[name]
    changed = dataclasses.replace(a, **{field: other})  # type: ignore[type-var]
    assert changed != a
    assert getattr(a, field) != other  # replace made a new value; the old one is as it was


@pytest.mark.skipif(not os.environ.get("SWITCHBOARD_EXPECT_COMPILED"),
                    reason="read-only at run time in the mypyc build (`make test-compiled`); "
                           "from source, mypy is what refuses the assignment")
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_fields_are_read_only_in_the_compiled_build(name: str) -> None:
    value = MAKERS[name]()
    for field in dataclasses.fields(value):  # type: ignore[arg-type]
        before = getattr(value, field.name)
        with pytest.raises(AttributeError, match="not writable"):
            setattr(value, field.name, before)
