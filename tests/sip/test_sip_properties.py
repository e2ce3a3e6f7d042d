"""Property tests: canonical round trips, and no exception but ParseError on any input."""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.sip._grammar import Scanner, format_params, parse_params, plain_params
from switchboard.sip.errors import ParseError
from switchboard.sip.headers import Headers
from switchboard.sip.message import Request, Response
from switchboard.sip.parser import StreamParser, parse_message
from switchboard.sip.uri import (
    NameAddress,
    SipURI,
    TelURI,
    _name_addr_at,
    parse_name_addr,
    parse_uri,
)
from switchboard.sip.values import _parse_via, parse_via

DATA = Path(__file__).parent.parent / "data" / "sip" / "rfc4475"
CORPUS = [p.read_bytes() for p in sorted(DATA.glob("*.dat"))]

TOKEN_CHARS = string.ascii_letters + string.digits + "-.!%*_+`'~"
tokens = st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=12)
# Any character except surrogates: escapes are UTF-8 with surrogateescape.
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
nonempty_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1,
                        max_size=12)
labels = st.from_regex(r"[a-z]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
hostnames = st.builds(lambda ls, top: ".".join([*ls, top]), st.lists(labels, max_size=3),
                      st.from_regex(r"[a-zA-Z]([a-zA-Z0-9-]{0,5}[a-zA-Z0-9])?", fullmatch=True))
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(lambda a: f"[{a}]")
hosts = st.one_of(hostnames, ipv4, ipv6)
ports = st.one_of(st.none(), st.integers(0, 65535))
uri_params = st.lists(st.tuples(nonempty_text, st.one_of(st.none(), nonempty_text)), max_size=3)

userinfo = st.one_of(
    st.tuples(st.none(), st.none()),
    st.tuples(nonempty_text, st.one_of(st.none(), any_text)),
)
sip_uris = st.builds(
    lambda ui, **kw: SipURI(user=ui[0], password=ui[1], **kw),
    userinfo,
    host=hosts,
    port=ports,
    params=uri_params.map(tuple),
    headers=st.lists(st.tuples(nonempty_text, any_text), max_size=2).map(tuple),
    scheme=st.sampled_from(["sip", "sips"]),
)
tel_uris = st.builds(
    TelURI,
    number=st.from_regex(r"\+[0-9]([0-9.\-]{0,10}[0-9])?", fullmatch=True),
    params=st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9-]{0,5}", fullmatch=True),
                              st.one_of(st.none(), nonempty_text)), max_size=2).map(tuple),
)
header_params = st.lists(
    st.tuples(
        tokens,
        st.one_of(
            st.none(),
            tokens,
            st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"),
                    max_size=8).map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"')
                                    + '"'),
        ),
    ),
    max_size=3,
).map(tuple)
display_names = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"),
            max_size=12),
)
addresses = st.builds(NameAddress, uri=st.one_of(sip_uris, tel_uris),
                      display_name=display_names, params=header_params)
# Extension header values: no CR/LF, no surrounding whitespace (it is not significant).
header_values = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"), max_size=20
).map(lambda v: v.strip(" \t"))


@given(st.one_of(sip_uris, tel_uris))
def test_uri_round_trip(uri: SipURI | TelURI) -> None:
    assert parse_uri(uri.serialize()) == uri


@given(addresses)
def test_name_addr_round_trip(addr: NameAddress) -> None:
    assert parse_name_addr(addr.serialize()) == addr


@st.composite
def messages(draw: st.DrawFn) -> Request | Response:
    method = draw(st.one_of(st.sampled_from(["INVITE", "ACK", "BYE", "OPTIONS"]), tokens))
    headers = Headers()
    for _ in range(draw(st.integers(1, 3))):
        branch = "z9hG4bK" + draw(tokens)
        headers.add("Via", f"SIP/2.0/{draw(tokens)} {draw(hosts)};branch={branch}")
    headers.add("From", draw(addresses).with_param("tag", draw(tokens)).serialize())
    headers.add("To", draw(addresses).serialize())
    headers.add("Call-ID", draw(tokens) + "@" + draw(tokens))
    headers.add("CSeq", f"{draw(st.integers(0, 2**32 - 1))} {method}")
    if draw(st.booleans()):
        headers.add("Max-Forwards", str(draw(st.integers(0, 255))))
    for address in draw(st.lists(addresses, max_size=2)):
        headers.add("Contact", address.serialize())
    for _ in range(draw(st.integers(0, 3))):
        headers.add("X-" + draw(tokens), draw(header_values))
    body = draw(st.binary(max_size=64))
    if draw(st.booleans()):
        return Request(method=method, uri=draw(st.one_of(sip_uris.map(
            lambda u: SipURI(u.host, u.user, u.password, u.port, u.params, (), u.scheme)),
            tel_uris)), headers=headers, body=body)
    reason = draw(st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=20))
    return Response(status_code=draw(st.integers(100, 699)), reason=reason, headers=headers,
                    body=body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_message_round_trip(msg: Request | Response) -> None:
    wire = msg.serialize()
    assert parse_message(wire) == msg
    parser = StreamParser()
    parser.receive_data(wire)
    assert parser.next_message() == msg


def parse_or_parse_error(data: bytes) -> None:
    try:
        msg = parse_message(data)
    except ParseError:
        return
    # Whatever parses also serializes and parses again to the same message.
    assert parse_message(msg.serialize()) == msg


@settings(max_examples=300)
@given(st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_parse_error(data: bytes) -> None:
    parse_or_parse_error(data)


@st.composite
def mutated_corpus(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        if action == "flip" and pos < len(data):
            data[pos] = draw(st.integers(0, 255))
        elif action == "insert":
            data[pos:pos] = draw(st.sampled_from(
                [b",", b";", b"\r\n", b"\r\n ", b" ", b'"', b"<", b">", b":", b"%", b"@",
                 b"=", b"\x00", b"\xff", b"9" * 30, b"[", b"]", b"?"]))
        elif pos < len(data):
            del data[pos : pos + draw(st.integers(1, 8))]
    return bytes(data)


@settings(max_examples=500)
@given(mutated_corpus())
def test_mutated_torture_messages_raise_only_parse_error(data: bytes) -> None:
    parse_or_parse_error(data)


@settings(max_examples=200)
@given(mutated_corpus(), st.lists(st.integers(1, 64), max_size=20))
def test_stream_parser_on_mutated_input_in_random_chunks(data: bytes, sizes: list[int]) -> None:
    parser = StreamParser()
    pos = 0
    for size in [*sizes, len(data)]:
        parser.receive_data(data[pos : pos + size])
        pos += size
        try:
            while parser.next_message() is not None:
                pass
        except ParseError:
            return


# The fast paths (plain parameters, memoized address heads and Via sent-by) must agree with the
# Scanner on every input: same value, or both a ParseError with the same message.

def scanner_address(text: str) -> NameAddress:
    s = Scanner(text, "address")
    result = _name_addr_at(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r} after the address")
    return result


def same_outcome(fast: Callable[[str], object], slow: Callable[[str], object],
                 text: str) -> None:
    try:
        expected: object = slow(text)
    except ParseError as exc:
        with pytest.raises(ParseError) as info:
            fast(text)
        assert info.value.message == exc.message
        return
    assert fast(text) == expected


@st.composite
def mutated_text(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    text = draw(base)
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(text)))
        text = text[:pos] + draw(st.sampled_from(
            [",", ";", " ", "\t", '"', "<", ">", ":", "=", "?", "@", ";tag", "=x", "\\", "["]
        )) + text[pos + draw(st.integers(0, 2)):]
    return text


address_texts = st.one_of(
    addresses.map(lambda a: a.serialize()),
    addresses.map(lambda a: f"{a.uri.serialize()}{format_params(a.params)}"),  # addr-spec
)


@settings(max_examples=500)
@given(mutated_text(address_texts))
def test_address_fast_path_agrees_with_the_scanner(text: str) -> None:
    same_outcome(parse_name_addr, scanner_address, text)


param_texts = header_params.map(format_params)


@settings(max_examples=300)
@given(mutated_text(param_texts))
def test_plain_params_agree_with_the_scanner(text: str) -> None:
    plain = plain_params(text)
    if plain is not None:
        assert plain == parse_params(Scanner(text, "params"))


via_texts = st.builds(
    lambda transport, host, port, params: f"SIP/2.0/{transport} {host}"
    f"{'' if port is None else f':{port}'}{format_params(params)}",
    tokens, hosts, ports,
    st.lists(st.tuples(st.sampled_from(["branch", "rport", "received", "ttl", "maddr", "x"]),
                       st.one_of(st.none(), tokens, ipv4)), max_size=3).map(tuple),
)


@settings(max_examples=500)
@given(mutated_text(via_texts))
def test_via_fast_path_agrees_with_the_scanner(text: str) -> None:
    same_outcome(parse_via, _parse_via, text)
