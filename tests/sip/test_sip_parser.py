"""Message parser, header registry and serializer tests (RFC 3261 §7, §18.3, §20)."""

from __future__ import annotations

import datetime as dt

import pytest

from switchboard.sip.errors import ParseError
from switchboard.sip.headers import (
    ACCEPT,
    CONTACT,
    DATE,
    EXPIRES,
    REQUIRE,
    RETRY_AFTER,
    VIA,
    WARNING,
    ContactWildcard,
    CSeq,
    Headers,
    canonical_name,
    format_date,
)
from switchboard.sip.message import Request, Response, make_response
from switchboard.sip.parser import ParserLimits, StreamParser, parse_message
from switchboard.sip.uri import SipURI

INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b"t: Bob <sip:bob@biloxi.example.com>\r\n"
    b'f: "Alice, A." <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    b"i: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"m: <sip:alice@pc33.atlanta.example.com>;expires=60, <sip:a2@h.example.com>;q=0.5\r\n"
    b"c: application/sdp\r\n"
    b"k: 100rel,\r\n"
    b"  timer\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"v=0\r\n"
)


def test_compact_forms_are_expanded_and_typed_access_works() -> None:
    msg = parse_message(INVITE)
    assert isinstance(msg, Request)
    assert msg.method == "INVITE"
    assert msg.uri == SipURI(user="bob", host="biloxi.example.com")
    assert [name for name, _ in msg.headers] == [
        "Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Contact", "Contact",
        "Content-Type", "Supported", "Supported",
    ]
    assert msg.from_.display_name == "Alice, A."
    assert msg.from_.tag == "1928301774"
    assert msg.to.tag is None
    assert msg.call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert msg.cseq == CSeq(314159, "INVITE")
    assert msg.max_forwards == 70
    assert msg.headers.get_all("k") == ["100rel", "timer"]
    contacts = msg.contacts
    assert [str(c.serialize()) for c in contacts] == [
        "<sip:alice@pc33.atlanta.example.com>;expires=60",
        "<sip:a2@h.example.com>;q=0.5",
    ]
    assert msg.content_type is not None and msg.content_type.mime == "application/sdp"
    assert msg.body == b"v=0\r"


def test_via_parameters() -> None:
    via = parse_message(INVITE).top_via
    assert via.transport == "UDP"
    assert via.host == "pc33.atlanta.example.com"
    assert via.port is None
    assert via.branch == "z9hG4bK776asdhds"
    assert via.has_rport and via.rport is None
    assert via.is_rfc3261_branch
    headers = Headers([("Via", "SIP/2.0/TCP 10.0.0.1:5062;branch=z9hG4bKx;rport=40000;"
                               "received=192.0.2.9;maddr=224.2.0.1;ttl=16")])
    via = headers.parsed(VIA)[0]
    assert (via.port, via.rport, via.received, via.maddr, via.ttl) == (
        5062, 40000, "192.0.2.9", "224.2.0.1", 16)
    ipv6 = Headers([("Via", "SIP/2.0/UDP [2001:db8::1]:5060;received=2001:db8::9")])
    assert ipv6.parsed(VIA)[0].received == "2001:db8::9"
    assert ipv6.parsed(VIA)[0].sent_by == ("[2001:db8::1]", 5060)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("SIP/2.0/UDP host;ttl=256", "ttl"),
        ("SIP/2.0/UDP host;rport=x", "rport"),
        ("SIP/2.0/UDP host;received=not-an-ip", "received"),
        ("SIP/2.0/UDP host;branch", "branch"),
        ("SIP/2.0/UDPhost", "whitespace"),
        ("SIP/2.0 host", "'/'"),
        ("SIP/2.0/UDP host:70000", "port"),
    ],
)
def test_malformed_via(value: str, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        Headers([("Via", value)]).parsed(VIA)
    assert fragment in info.value.message


def test_commas_inside_quotes_and_brackets_do_not_split() -> None:
    headers = Headers([("Contact", '"a, b" <sip:x@h.example;p=1,2>, <sip:y@h.example>')])
    values = headers.get_all("Contact")
    assert values == ['"a, b" <sip:x@h.example;p=1,2>', "<sip:y@h.example>"]


def test_unknown_headers_are_never_split() -> None:
    headers = Headers([("X-List", "a, b"), ("Date", "Sat, 13 Nov 2010 23:29:00 GMT")])
    assert headers.get_all("x-list") == ["a, b"]
    assert headers.parsed(DATE) == [dt.datetime(2010, 11, 13, 23, 29, tzinfo=dt.UTC)]
    assert format_date(headers.parsed(DATE)[0]) == "Sat, 13 Nov 2010 23:29:00 GMT"


def test_contact_wildcard_and_expires() -> None:
    headers = Headers([("Contact", "*"), ("Expires", "0")])
    assert headers.parsed(CONTACT) == [ContactWildcard()]
    assert headers.parsed(EXPIRES) == [0]


def test_lazily_parsed_headers_raise_only_on_access() -> None:
    msg = parse_message(INVITE.replace(b"l: 4\r\n", b"Date: yesterday\r\nl: 4\r\n"))
    with pytest.raises(ParseError, match="Date"):
        msg.headers.parsed(DATE)


def test_other_typed_headers() -> None:
    headers = Headers([
        ("Accept", "application/sdp;level=1, text/*;q=0.5"),
        ("Require", "100rel"),
        ("Warning", '307 isi.edu "Session parameter \'foo\' not understood"'),
        ("Retry-After", "18000;duration=3600"),
    ])
    accept = headers.parsed(ACCEPT)
    assert [a.mime for a in accept] == ["application/sdp", "text/*"]
    assert accept[1].matches("text/plain") and not accept[0].matches("text/plain")
    assert headers.parsed(REQUIRE) == ["100rel"]
    warning = headers.parsed(WARNING)[0]
    assert (warning.code, warning.agent) == (307, "isi.edu")
    assert headers.parsed(RETRY_AFTER)[0].seconds == 18000


def test_header_names_are_canonicalised() -> None:
    assert canonical_name("v") == "Via"
    assert canonical_name("CSEQ") == "CSeq"
    assert canonical_name("call-id") == "Call-ID"
    assert canonical_name("X-Custom") == "X-Custom"
    headers = Headers()
    headers.add("max-forwards", "70")
    headers.prepend("via", "SIP/2.0/UDP a.example")
    headers.prepend("Via", "SIP/2.0/UDP b.example")
    assert list(headers) == [("Via", "SIP/2.0/UDP b.example"), ("Via", "SIP/2.0/UDP a.example"),
                             ("Max-Forwards", "70")]
    headers.set("Max-Forwards", "69")
    assert headers.get("MAX-FORWARDS") == "69"
    assert headers.remove("v") == 2
    assert "Via" not in headers


@pytest.mark.parametrize(
    ("name", "value"),
    [("Bad Name", "x"), ("X-Injected", "a\r\nVia: evil"), ("Content-Length", "5")],
)
def test_headers_refuse_unsafe_input(name: str, value: str) -> None:
    with pytest.raises(ValueError):
        Headers().add(name, value)


def test_serialize_writes_canonical_bytes_and_content_length() -> None:
    msg = parse_message(INVITE)
    wire = msg.serialize()
    assert wire.startswith(b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: SIP/2.0/UDP")
    assert b"Content-Length: 4\r\n\r\nv=0\r" in wire
    assert parse_message(wire) == msg
    msg.body = b"longer body"
    assert b"Content-Length: 11\r\n" in msg.serialize()


def test_datagram_content_length_rules() -> None:
    shorter = INVITE.replace(b"l: 4", b"l: 2")
    assert parse_message(shorter).body == b"v="
    missing = INVITE.replace(b"l: 4\r\n", b"")
    assert parse_message(missing).body == b"v=0\r\n"
    with pytest.raises(ParseError, match="larger than the 5 octets"):
        parse_message(INVITE.replace(b"l: 4", b"l: 6"))


def test_limits_message_size_and_header_count() -> None:
    with pytest.raises(ParseError) as info:
        parse_message(INVITE, limits=ParserLimits(max_message_size=100))
    assert info.value.status_code == 513
    with pytest.raises(ParseError) as info:
        parse_message(INVITE, limits=ParserLimits(max_headers=5))
    assert info.value.status_code == 400
    assert "more than 5 header fields" in info.value.message


def test_status_line_and_version_errors() -> None:
    response = INVITE.replace(b"INVITE sip:bob@biloxi.example.com SIP/2.0",
                              b"SIP/2.0 180 Ringing")
    msg = parse_message(response)
    assert isinstance(msg, Response)
    assert (msg.status_code, msg.reason) == (180, "Ringing")
    with pytest.raises(ParseError) as info:
        parse_message(INVITE.replace(b"SIP/2.0\r\nv:", b"SIP/3.0\r\nv:"))
    assert info.value.status_code == 505
    with pytest.raises(ParseError, match="SIP-Version"):
        parse_message(INVITE.replace(b"SIP/2.0\r\nv:", b"SIP/2\r\nv:"))
    with pytest.raises(ParseError, match="three digits"):
        parse_message(response.replace(b" 180 ", b" 18 "))
    with pytest.raises(ParseError, match="outside 100-699"):
        parse_message(response.replace(b" 180 ", b" 700 "))
    with pytest.raises(ParseError, match="SP before the Reason-Phrase"):
        parse_message(response.replace(b" 180 Ringing", b" 180"))


def test_header_section_errors() -> None:
    with pytest.raises(ParseError, match="bare CR or LF"):
        parse_message(INVITE.replace(b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\n"))
    with pytest.raises(ParseError, match="malformed header line"):
        parse_message(INVITE.replace(b"Max-Forwards: 70", b"Max-Forwards 70"))
    with pytest.raises(ParseError, match="UTF-8"):
        parse_message(INVITE.replace(b"Bob", b"B\xffb"))
    with pytest.raises(ParseError, match="continuation line"):
        parse_message(b"OPTIONS sip:a@b.example SIP/2.0\r\n x\r\n\r\n")
    with pytest.raises(ParseError, match="only CRLF"):
        parse_message(b"\r\n\r\n")


def test_parse_error_renders_a_warning_header() -> None:
    error = ParseError('bad "quote" \\ here')
    assert error.warning == '399 - "bad \\"quote\\" \\\\ here"'
    assert "status_code=400" in repr(error)


def test_stream_parser_frames_pipelined_messages_and_keepalives() -> None:
    wire = parse_message(INVITE).serialize()
    parser = StreamParser()
    parser.receive_data(b"\r\n\r\n" + wire + b"\r\n" + wire[:10])
    first = parser.next_message()
    assert first == parse_message(INVITE)
    assert parser.keepalives == 2
    assert parser.next_message() is None
    parser.receive_data(wire[10:])
    assert parser.next_message() == first
    assert parser.keepalives == 3
    assert parser.next_message() is None
    assert parser.buffered == 0


def test_stream_parser_requires_content_length_and_stays_failed() -> None:
    parser = StreamParser()
    parser.receive_data(INVITE.replace(b"l: 4\r\n", b""))
    with pytest.raises(ParseError, match="mandatory on stream"):
        parser.next_message()
    parser.receive_data(INVITE)
    with pytest.raises(ParseError, match="mandatory on stream"):
        parser.next_message()


def test_stream_parser_refuses_endless_headers() -> None:
    parser = StreamParser(limits=ParserLimits(max_message_size=1000))
    parser.receive_data(b"OPTIONS sip:a@b.example SIP/2.0\r\n")
    for _ in range(100):
        parser.receive_data(b"X-Filler: " + b"a" * 20 + b"\r\n")
        if parser.buffered > 1000:
            break
        assert parser.next_message() is None
    with pytest.raises(ParseError) as info:
        parser.next_message()
    assert info.value.status_code == 513


def test_stream_parser_refuses_oversized_declared_body() -> None:
    parser = StreamParser(limits=ParserLimits(max_message_size=1000))
    parser.receive_data(INVITE.replace(b"l: 4", b"l: 5000"))
    with pytest.raises(ParseError) as info:
        parser.next_message()
    assert info.value.status_code == 513


def test_make_response_copies_the_rfc3261_headers() -> None:
    request = parse_message(INVITE)
    assert isinstance(request, Request)
    response = make_response(request, 180, to_tag="a6c85cf")
    assert response.reason == "Ringing"
    assert response.headers.get_all("Via") == request.headers.get_all("Via")
    assert response.to.tag == "a6c85cf"
    assert response.from_ == request.from_
    assert response.cseq == request.cseq
    assert response.call_id == request.call_id
    assert parse_message(response.serialize()) == response
    assert make_response(request, 299).reason == ""


def test_empty_supported_allow_and_accept_are_no_elements() -> None:
    """RFC 3261 §20.37 (Supported), §20.5 (Allow), §20.1 (Accept) allow an empty value; baresip
    1.0 sends ``Supported:`` with nothing after the colon."""
    from switchboard.sip.headers import ACCEPT, ALLOW, SUPPORTED

    raw = (b"INVITE sip:9999@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK-e\r\n"
           b"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: e1\r\nCSeq: 1 INVITE\r\n"
           b"Supported:\r\nAllow: \r\nAccept:\r\nContent-Length: 0\r\n\r\n")
    message = parse_message(raw)
    assert message.headers.parsed(SUPPORTED) == []
    assert message.headers.parsed(ALLOW) == []
    assert message.headers.parsed(ACCEPT) == []


def test_cseq_error_names_the_bad_number() -> None:
    from switchboard.sip.values import parse_cseq

    with pytest.raises(ParseError, match="CSeq sequence number 'abc' is not a non-negative"):
        parse_cseq("abc OPTIONS")
