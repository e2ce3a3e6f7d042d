"""RFC 4475 "SIP Torture Test Messages", every message of section 3, fed three ways.

The .dat files under tests/data/sip/rfc4475/ are the RFC's Appendix A archive, byte for byte
(SHA256SUMS pins them).  Each case states what RFC 4475 says of the message and asserts it:

* 3.1.1 valid messages parse, with the specific values the RFC's explanation names;
* 3.1.2 invalid messages raise ParseError with the status the RFC asks for (400, 505);
* 3.2 - 3.4 well-formed messages parse, and the element-level answer the RFC expects
  (416, 420, 415, 483, 406, 400 at a registrar ...) is checked with switchboard.sip.checks.

"Three ways" (STYLE.md §7): the whole datagram, one byte at a time through the TCP framer, and with
trailing data after the message.  No way may raise anything but ParseError.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from switchboard.sip.checks import Policy, check_as_proxy, check_as_uas, check_register
from switchboard.sip.errors import ParseError
from switchboard.sip.headers import ACCEPT, DATE, EXPIRES, PROXY_REQUIRE, REQUIRE, CSeq
from switchboard.sip.message import Request, Response
from switchboard.sip.parser import StreamParser, parse_message
from switchboard.sip.uri import AbsoluteURI, NameAddress, SipURI

DATA = Path(__file__).parent.parent / "data" / "sip" / "rfc4475"
Message = Request | Response


def load(name: str) -> bytes:
    return (DATA / f"{name}.dat").read_bytes()


def stream_bytewise(data: bytes) -> list[Message]:
    """Feed ``data`` one byte at a time; collect every message the framer yields."""
    parser = StreamParser()
    out: list[Message] = []
    for i in range(len(data)):
        parser.receive_data(data[i : i + 1])
        while (msg := parser.next_message()) is not None:
            out.append(msg)
    return out


def test_archive_is_intact() -> None:
    sums = (DATA / "SHA256SUMS").read_text().split("\n")
    checked = 0
    for line in filter(None, sums):
        digest, name = line.split()
        assert hashlib.sha256((DATA / name.lstrip("*")).read_bytes()).hexdigest() == digest, name
        checked += 1
    assert checked == 49


# ---------------------------------------------------------------------------------------------
# 3.1.1 Valid messages: specific values


def sip(msg: Message) -> Request:
    assert isinstance(msg, Request)
    return msg


def check_wsinv(msg: Message) -> None:  # 3.1.1.1 A Short Tortuous INVITE
    req = sip(msg)
    assert req.method == "INVITE"
    assert req.uri == SipURI(user="vivekg", host="chair-dnrc.example.com",
                             params=(("unknownparam", None),))
    assert req.to.uri == SipURI(user="vivekg", host="chair-dnrc.example.com")
    assert req.to.tag == "1918181833n"
    assert req.from_.display_name == 'J Rosenberg \\"'
    assert req.from_.tag == "98asjd8"
    assert req.max_forwards == 68
    assert req.call_id == "wsinv.ndaksdj@192.0.2.1"
    assert req.cseq == CSeq(9, "INVITE")
    vias = req.via
    assert [(v.transport, v.host, v.branch) for v in vias] == [
        ("UDP", "192.0.2.2", "390skdjuw"),
        ("TCP", "spindle.example.com", "z9hG4bK9ikj8"),
        ("UDP", "192.168.255.111", "z9hG4bK30239"),
    ]
    assert req.headers.get("Subject") == ""
    assert req.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert req.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    route = req.routes[0]
    assert isinstance(route.uri, SipURI)
    assert route.uri.params == (("lr", None), ("unknownwith", "value"),
                                ("unknown-no-value", None))
    (contact,) = req.contacts
    assert isinstance(contact, NameAddress)
    assert contact.display_name == 'Quoted string ""'
    assert contact.params == (("newparam", "newvalue"), ("secondparam", None), ("q", "0.33"))
    assert len(req.body) == 150


def check_intmeth(msg: Message) -> None:  # 3.1.1.2 Wide Range of Valid Characters
    req = sip(msg)
    method = "!interesting-Method0123456789_*+`.%indeed'~"
    assert req.method == method
    assert req.cseq == CSeq(139122385, method)
    assert isinstance(req.uri, SipURI)
    assert req.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert req.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert req.uri.host == "example.com"
    assert req.top_via.branch == "z9hG4bK-.!%66*_+`'~"
    assert req.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert isinstance(req.to.uri, SipURI)
    assert req.to.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert req.from_.display_name == "token1~` token2'+_ token3*%!.-"
    assert req.from_.param("fromParam''~+*_!.-%") == '"работающий"'
    assert req.from_.tag == "_token~1'+`*%!-."
    assert req.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{"
    assert req.max_forwards == 255
    # The archive's value starts with a UTF-8 byte order mark (EF BB BF), kept as U+FEFF.
    assert req.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"
    assert req.body == b""


def check_esc01(msg: Message) -> None:  # 3.1.1.3 Valid Use of the % Escaping Mechanism
    req = sip(msg)
    assert req.uri == SipURI(user="sips:user@example.com", host="example.net")
    assert isinstance(req.to.uri, SipURI) and req.to.uri.user == "user"
    assert isinstance(req.from_.uri, SipURI) and req.from_.uri.user == "I have spaces"
    (contact,) = req.contacts
    assert isinstance(contact, NameAddress) and isinstance(contact.uri, SipURI)
    assert contact.uri.user == "caller"
    assert contact.uri.params == (("lr", None), ("name", "value%41"))
    assert len(req.body) == 150


def check_escnull(msg: Message) -> None:  # 3.1.1.4 Escaped Nulls in URIs
    req = sip(msg)
    assert isinstance(req.to.uri, SipURI) and req.to.uri.user == "null-\x00-null"
    users = [c.uri.user for c in req.contacts if isinstance(c, NameAddress)
             and isinstance(c.uri, SipURI)]
    assert users == ["\x00", "\x00\x00"]  # two distinct contacts, not shortened


def check_esc02(msg: Message) -> None:  # 3.1.1.5 Use of % When It Is Not an Escape
    req = sip(msg)
    assert req.method == "RE%47IST%45R"  # an unknown method, not REGISTER
    assert req.cseq.method == "RE%47IST%45R"
    assert req.to.display_name == "%Z%45"
    assert req.from_.display_name == "%Z%45"
    assert req.top_via.branch == "z9hG4bK209%fzsnel234"
    hosts = [c.uri.host for c in req.contacts if isinstance(c, NameAddress)
             and isinstance(c.uri, SipURI)]
    assert hosts == ["host1.example.com", "host3.example.com"]
    assert req.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"


def check_lwsdisp(msg: Message) -> None:  # 3.1.1.6 No LWS between Display Name and <
    req = sip(msg)
    assert req.from_.display_name == "caller"
    assert req.from_.tag == "323"


def check_longreq(msg: Message) -> None:  # 3.1.1.7 Long Values in Header Fields
    req = sip(msg)
    assert req.to.display_name is not None and req.to.display_name.startswith("I have a user")
    assert isinstance(req.to.uri, SipURI) and req.to.uri.port == 6000
    assert len(req.to.uri.params) == 3
    assert req.from_.tag is not None and len(req.from_.tag) == 155
    assert len(req.from_.params) == 3
    vias = req.via
    assert len(vias) == 34
    assert [v.host for v in vias[:3]] == ["sip33.example.com", "sip32.example.com",
                                          "sip31.example.com"]
    assert vias[-1].received == "192.0.2.5"
    assert vias[-1].branch is not None and vias[-1].branch.endswith("longbranchvalue")
    assert len(req.body) == 150


def check_dblreq(msg: Message) -> None:  # 3.1.1.8 Extra Trailing Octets in a UDP Datagram
    req = sip(msg)
    assert req.method == "REGISTER"
    assert req.body == b""


def check_semiuri(msg: Message) -> None:  # 3.1.1.9 Semicolon-Separated Parameters in User
    req = sip(msg)
    assert req.uri == SipURI(user="user;par=u@example.net", host="example.com")
    assert [a.mime for a in req.headers.parsed(ACCEPT)] == [
        "application/sdp", "application/pkcs7-mime", "multipart/mixed", "multipart/signed",
        "message/sip", "message/sipfrag",
    ]


def check_transports(msg: Message) -> None:  # 3.1.1.10 Varied and Unknown Transport Types
    req = sip(msg)
    assert [v.transport for v in req.via] == ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]
    assert req.call_id == "transports.kijh4akdnaqjkwendsasfdj"


def check_mpart01(msg: Message) -> None:  # 3.1.1.11 Multipart MIME Message
    req = sip(msg)
    assert req.method == "MESSAGE"
    assert req.content_type is not None
    assert req.content_type.mime == "multipart/mixed"
    assert req.content_type.param("boundary") == "7a9cbec02ceef655"
    assert len(req.body) == 553
    assert req.body.startswith(b"--7a9cbec02ceef655\r\n")
    assert req.body.endswith(b"--7a9cbec02ceef655--\r\n")
    assert req.top_via.has_rport and req.top_via.rport is None
    assert req.body == load("mpart01")[-553:]  # passed through untouched


def check_unreason(msg: Message) -> None:  # 3.1.1.12 Unusual Reason Phrase
    assert isinstance(msg, Response)
    assert msg.status_code == 200
    assert msg.reason == "= 2**3 * 5**2 но сто девяносто девять - простое"
    assert len(msg.body) == 154


def check_noreason(msg: Message) -> None:  # 3.1.1.13 Empty Reason Phrase
    assert isinstance(msg, Response)
    assert (msg.status_code, msg.reason) == (100, "")


VALID: dict[str, Callable[[Message], None]] = {
    "wsinv": check_wsinv,
    "intmeth": check_intmeth,
    "esc01": check_esc01,
    "escnull": check_escnull,
    "esc02": check_esc02,
    "lwsdisp": check_lwsdisp,
    "longreq": check_longreq,
    "dblreq": check_dblreq,
    "semiuri": check_semiuri,
    "transports": check_transports,
    "mpart01": check_mpart01,
    "unreason": check_unreason,
    "noreason": check_noreason,
}


# ---------------------------------------------------------------------------------------------
# 3.1.2 Invalid messages: (status, fragment of the message)


@dataclass(frozen=True)
class Invalid:
    status: int
    fragment: str
    #: What the TCP framer does with it: "error", or "wait" (it needs more bytes).
    stream: str = "error"


INVALID: dict[str, Invalid] = {
    "badinv01": Invalid(400, "Via"),  # 3.1.2.1 extraneous separators
    "clerr": Invalid(400, "Content-Length 9999 is larger", stream="wait"),  # 3.1.2.2
    "ncl": Invalid(400, "Content-Length '-999'"),  # 3.1.2.3
    "scalar02": Invalid(400, "CSeq sequence number"),  # 3.1.2.4
    "scalarlg": Invalid(400, "CSeq sequence number"),  # 3.1.2.5 (a response: dropped)
    "quotbal": Invalid(400, "unterminated quoted string"),  # 3.1.2.6
    "ltgtruri": Invalid(400, "must not be enclosed in <>"),  # 3.1.2.7
    "lwsruri": Invalid(400, "three SP-separated elements"),  # 3.1.2.8
    "lwsstart": Invalid(400, "extra SP"),  # 3.1.2.9
    "trws": Invalid(400, "extra SP"),  # 3.1.2.10
    "escruri": Invalid(400, "carries headers"),  # 3.1.2.11
    "regbadct": Invalid(400, "must be enclosed in <>"),  # 3.1.2.13
    "badaspec": Invalid(400, "whitespace is not allowed"),  # 3.1.2.14
    # 3.1.2.15: the archive's bytes lack the empty line ending the headers, so a datagram is
    # refused for that first; with the empty line restored (below) the display name is refused.
    "baddn": Invalid(400, "not terminated by an empty line", stream="wait"),
    "badvers": Invalid(505, "SIP version 'SIP/7.0' is not supported"),  # 3.1.2.16
    "mismatch01": Invalid(400, "does not match the request method"),  # 3.1.2.17
    # 3.1.2.18: the RFC prefers 501 but accepts 400; the parser cannot know which methods the
    # element implements, and a CSeq mismatch is a syntax-level inconsistency.
    "mismatch02": Invalid(400, "does not match the request method"),
    "bigcode": Invalid(400, "not three digits"),  # 3.1.2.19 (a response: dropped)
    # 3.3.1: a parser must not break; 400 is the ideal answer.
    "insuf": Invalid(400, "missing mandatory header fields: From, To, Call-ID"),
    # 3.3.8 and 3.3.9: the RFC expects 400.
    "multi01": Invalid(400, "appears 2 times"),
    "mcl01": Invalid(400, "2 Content-Length header fields"),
}


# ---------------------------------------------------------------------------------------------
# 3.1.2.12, 3.2, 3.3, 3.4: well-formed, with element-level expectations

UAS = Policy()


def check_baddate(msg: Message) -> None:
    # 3.1.2.12: reject only if the Date matters; parsing succeeds, reading the Date fails.
    req = sip(msg)
    with pytest.raises(ParseError, match="GMT"):
        req.headers.parsed(DATE)
    assert len(req.body) == 150


def check_badbranch(msg: Message) -> None:
    # 3.2.1: a bare magic cookie is no RFC 3261 transaction id; fall back to RFC 2543 matching.
    req = sip(msg)
    assert req.top_via.branch == "z9hG4bK"
    assert not req.top_via.is_rfc3261_branch


def check_unkscm(msg: Message) -> None:
    req = sip(msg)  # 3.3.2 -> 416
    assert req.uri == AbsoluteURI("nobodyknowsthisscheme", "totallyopaquecontent")
    rejection = check_as_uas(req, UAS)
    assert rejection is not None and rejection.status_code == 416
    assert check_as_proxy(req, UAS) is not None


def check_novelsc(msg: Message) -> None:
    req = sip(msg)  # 3.3.3: parse; 416 if the scheme is never meaningful here
    assert req.uri == AbsoluteURI("soap.beep", "//192.0.2.103:3002")
    rejection = check_as_uas(req, UAS)
    assert rejection is not None and rejection.status_code == 416
    assert check_as_uas(req, Policy(uri_schemes=frozenset({"sip", "soap.beep"}))) is None


def check_unksm2(msg: Message) -> None:
    req = sip(msg)  # 3.3.4: parse; a registrar answers 400 (To is not a SIP AOR)
    assert req.to.uri == AbsoluteURI("isbn", "2983792873")
    assert req.from_.uri == AbsoluteURI("http", "//www.example.com")
    assert [c.uri for c in req.contacts if isinstance(c, NameAddress)] == [
        AbsoluteURI("name", "John_Smith")
    ]
    rejection = check_register(req)
    assert rejection is not None and rejection.status_code == 400
    assert check_as_proxy(req, UAS) is None  # a proxy treats it like any request


def check_bext01(msg: Message) -> None:
    req = sip(msg)  # 3.3.5: 420 with Unsupported listing what was required
    assert req.headers.parsed(REQUIRE) == ["nothingSupportsThis", "nothingSupportsThisEither"]
    assert req.headers.parsed(PROXY_REQUIRE) == ["noProxiesSupportThis",
                                                 "norDoAnyProxiesSupportThis"]
    uas = check_as_uas(req, UAS)
    assert uas is not None and uas.status_code == 420
    assert uas.headers == (("Unsupported", "nothingSupportsThis"),
                           ("Unsupported", "nothingSupportsThisEither"))
    proxy = check_as_proxy(req, UAS)
    assert proxy is not None and proxy.status_code == 420
    assert proxy.headers == (("Unsupported", "noProxiesSupportThis"),
                             ("Unsupported", "norDoAnyProxiesSupportThis"))


def check_invut(msg: Message) -> None:
    req = sip(msg)  # 3.3.6: 415 with an Accept header
    rejection = check_as_uas(req, UAS)
    assert rejection is not None and rejection.status_code == 415
    assert rejection.headers == (("Accept", "application/sdp"),)
    assert len(req.body) == 40


def check_regaut01(msg: Message) -> None:
    req = sip(msg)  # 3.3.7: parse; a registrar that authenticates answers 401 with a challenge
    value = req.headers.get("Authorization")
    assert value == "NoOneKnowsThisScheme opaque-data=here"
    assert check_as_uas(req, UAS) is None  # the verdict on credentials: see test_sip_auth.py


def check_bcast(msg: Message) -> None:
    assert isinstance(msg, Response)  # 3.3.10: parse; proxies drop it, endpoints discard it
    assert [v.host for v in msg.via] == ["192.0.2.198", "255.255.255.255"]


def check_zeromf(msg: Message) -> None:
    req = sip(msg)  # 3.3.11: a proxy answers 483, an endpoint processes it
    assert req.max_forwards == 0
    rejection = check_as_proxy(req, UAS)
    assert rejection is not None and rejection.status_code == 483
    assert check_as_uas(req, UAS) is None


def check_cparam01(msg: Message) -> None:
    req = sip(msg)  # 3.3.12: unknownparam is a contact-param, not a url-param
    (contact,) = req.contacts
    assert isinstance(contact, NameAddress) and isinstance(contact.uri, SipURI)
    assert contact.params == (("unknownparam", None),)
    assert contact.uri.params == ()
    assert check_as_uas(req, UAS) is None


def check_cparam02(msg: Message) -> None:
    req = sip(msg)  # 3.3.13: here it is a url-param
    (contact,) = req.contacts
    assert isinstance(contact, NameAddress) and isinstance(contact.uri, SipURI)
    assert contact.params == ()
    assert contact.uri.params == (("unknownparam", None),)


def check_regescrt(msg: Message) -> None:
    req = sip(msg)  # 3.3.14: accept; the escaped header is returned in later Contacts
    (contact,) = req.contacts
    assert isinstance(contact, NameAddress) and isinstance(contact.uri, SipURI)
    assert contact.uri.headers == (("Route", "<sip:sip.example.com>"),)
    assert contact.serialize() == "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>"
    assert check_register(req) is None


def check_sdp01(msg: Message) -> None:
    req = sip(msg)  # 3.3.15: 406 (Accept excludes application/sdp)
    rejection = check_as_uas(req, UAS)
    assert rejection is not None and rejection.status_code == 406


def check_inv2543(msg: Message) -> None:
    req = sip(msg)  # 3.4.1: RFC 2543 syntax accepted
    assert req.top_via.branch is None
    assert req.from_.tag is None
    assert req.max_forwards is None
    assert req.record_routes[0].uri == SipURI(user="UserB", host="example.com",
                                              params=(("maddr", "ss1.example.com"),))
    assert req.body.startswith(b"v=0\r\n") and req.body.endswith(b"RTP/AVP 0\r\n")
    assert check_as_uas(req, UAS) is None


SEMANTIC: dict[str, Callable[[Message], None]] = {
    "baddate": check_baddate,
    "badbranch": check_badbranch,
    "unkscm": check_unkscm,
    "novelsc": check_novelsc,
    "unksm2": check_unksm2,
    "bext01": check_bext01,
    "invut": check_invut,
    "regaut01": check_regaut01,
    "bcast": check_bcast,
    "zeromf": check_zeromf,
    "cparam01": check_cparam01,
    "cparam02": check_cparam02,
    "regescrt": check_regescrt,
    "sdp01": check_sdp01,
    "inv2543": check_inv2543,
}

#: Messages without Content-Length: a stream transport cannot frame them (RFC 3261 §18.3).
NO_CONTENT_LENGTH = {"inv2543"}


def test_every_archive_message_has_an_expectation() -> None:
    names = {p.stem for p in DATA.glob("*.dat")}
    assert names == set(VALID) | set(INVALID) | set(SEMANTIC)
    assert len(names) == 49
    assert not (set(VALID) & set(INVALID)) and not (set(SEMANTIC) & set(INVALID))


@pytest.mark.parametrize("name", sorted(VALID | SEMANTIC))
def test_well_formed_message_whole(name: str) -> None:
    msg = parse_message(load(name))
    (VALID | SEMANTIC)[name](msg)
    # Canonical output parses back to the same message.
    assert parse_message(msg.serialize()) == msg


@pytest.mark.parametrize("name", sorted(VALID | SEMANTIC))
def test_well_formed_message_bytewise_over_tcp(name: str) -> None:
    data = load(name)
    if name in NO_CONTENT_LENGTH:
        with pytest.raises(ParseError, match="mandatory on stream"):
            stream_bytewise(data)
        return
    if name == "dblreq":
        # Over a stream the "noise" after the REGISTER frames as a second INVITE (its declared
        # 150 octets end before the archive's bytes do), and the 5 octets left are garbage.
        parser = StreamParser()
        parser.receive_data(data)
        first, second = parser.next_message(), parser.next_message()
        assert first == parse_message(data)
        assert isinstance(second, Request) and second.method == "INVITE"
        assert len(second.body) == 150
        with pytest.raises(ParseError):
            parser.next_message()
        return
    messages = stream_bytewise(data)
    assert messages == [parse_message(data)]
    (VALID | SEMANTIC)[name](messages[0])


@pytest.mark.parametrize("name", sorted(VALID | SEMANTIC))
def test_well_formed_message_with_trailing_data(name: str) -> None:
    data = load(name)
    if name in NO_CONTENT_LENGTH:
        # Without Content-Length the body is the rest of the datagram, trailing data included.
        assert parse_message(data + b"junk").body.endswith(b"junk")
        return
    whole = parse_message(data)
    assert parse_message(data + b"trailing junk\r\n\r\n") == whole
    parser = StreamParser()
    parser.receive_data(data + b"OPTIONS sip:x@example.com SIP/2.0\r\n")
    assert parser.next_message() == whole
    if name != "dblreq":
        assert parser.next_message() is None


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_message_whole(name: str) -> None:
    expected = INVALID[name]
    with pytest.raises(ParseError) as info:
        parse_message(load(name))
    assert info.value.status_code == expected.status
    assert expected.fragment in info.value.message


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_message_bytewise_over_tcp(name: str) -> None:
    expected = INVALID[name]
    if expected.stream == "wait":
        # No complete message: a stream reader waits for more (and times the connection out).
        assert stream_bytewise(load(name)) == []
        return
    with pytest.raises(ParseError) as info:
        stream_bytewise(load(name))
    assert info.value.status_code == expected.status


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_message_with_trailing_data(name: str) -> None:
    expected = INVALID[name]
    with pytest.raises(ParseError) as info:
        parse_message(load(name) + b"\r\n\r\ntrailing junk")
    if name == "baddn":
        # The added CRLF ends the header section; now the display name itself is refused.
        assert "display name 'Bell, Alexander' must be a quoted string" in info.value.message
    else:
        assert info.value.status_code == expected.status


def test_baddn_with_its_empty_line_restored_fails_on_the_display_name() -> None:
    with pytest.raises(ParseError) as info:
        parse_message(load("baddn") + b"\r\n")
    assert info.value.status_code == 400
    assert "From" in info.value.message and "display name" in info.value.message


def test_clerr_over_tcp_completes_once_the_declared_body_arrives() -> None:
    # 3.1.2.2: over TCP the reader can only wait for the 9999 octets.
    parser = StreamParser()
    parser.receive_data(load("clerr"))
    assert parser.next_message() is None
    parser.receive_data(b"x" * (9999 - parser.buffered))
    msg = parser.next_message()
    assert msg is not None and len(msg.body) == 9999


def test_scalar02_expiry_values_alone_are_read_as_errors_the_registrar_can_default() -> None:
    # 3.1.2.4: with a valid CSeq and Max-Forwards, only the expiry values are out of range; the
    # message parses and reading them raises, so a registrar can fall back to 3600.
    data = load("scalar02").replace(b"36893488147419103232", b"1").replace(b"300", b"70")
    req = sip(parse_message(data))
    with pytest.raises(ParseError, match="larger than 4294967295"):
        req.headers.parsed(EXPIRES)
    (contact,) = req.contacts
    assert isinstance(contact, NameAddress)
    assert contact.param("expires") == "280297596632815"


def test_scalar02_max_forwards_alone_is_refused() -> None:
    data = load("scalar02").replace(b"36893488147419103232", b"1")
    with pytest.raises(ParseError, match="Max-Forwards '300' is larger than 255"):
        parse_message(data)
