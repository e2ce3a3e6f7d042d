"""REFER (RFC 3515), Referred-By (RFC 3892), Replaces (RFC 3891) and refer NOTIFYs."""

from __future__ import annotations

import pytest

from switchboard.sip.dialog import Dialog, DialogState
from switchboard.sip.errors import ParseError, ProtocolError
from switchboard.sip.message import Request
from switchboard.sip.parser import parse_message
from switchboard.sip.refer import (
    SIPFRAG,
    ReferProgress,
    Replaces,
    make_refer_to,
    parse_refer_notify,
    parse_refer_to,
    parse_referred_by,
    parse_replaces,
    parse_sipfrag_status,
    refer_notify,
    refer_request,
    replaces_from_refer_to,
    split_refer_to,
)
from switchboard.sip.uri import NameAddress, SipURI, parse_name_addr, parse_uri

# RFC 3891 §6.1 / §7 style Refer-To, escaped as RFC 3515 §2.1 requires.
ESCAPED = ("<sip:bob@example.org?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345"
           "%3Bfrom-tag%3D5FFE-3994>")
UNESCAPED = "<sip:bob@example.org?Replaces=12345@192.168.118.3;to-tag=12345;from-tag=5FFE-3994>"
EXPECTED = Replaces("12345@192.168.118.3", to_tag="12345", from_tag="5FFE-3994")


def dialog(*, uac: bool = True, contact: str | None = "<sip:agent@192.0.2.10:5060>") -> Dialog:
    return Dialog(
        call_id="a84b4c76e66710@pc33.atlanta.example.com",
        local_tag="1928301774", remote_tag="a6c85cf",
        local_uri=parse_name_addr("<sip:agent@cc.example.com>"),
        remote_uri=parse_name_addr("<sip:customer@example.net>"),
        remote_target=parse_uri("sip:customer@198.51.100.20:5060"),
        route_set=[parse_name_addr("<sip:sbc.example.com;lr>")],
        local_seq=10, remote_seq=3, uac=uac,
        local_contact=parse_name_addr(contact) if contact else None,
    )


def on_the_wire(request: Request) -> Request:
    request.headers.prepend("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKrefer1")
    message = parse_message(request.serialize())
    assert isinstance(message, Request)
    return message


# --- Replaces -----------------------------------------------------------------------------------


def test_parse_replaces_rfc3891_syntax() -> None:
    assert parse_replaces("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff") == Replaces(
        "98732@sip.example.com", to_tag="ff87ff", from_tag="r33th4x0r")
    early = parse_replaces(" 12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only ")
    assert early == Replaces("12adf2f34456gs5", "12345", "54321", early_only=True)
    assert early.serialize() == "12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only"
    other = parse_replaces("c;to-tag=a;x=1;from-tag=b")
    assert other.params == (("x", "1"),)
    assert parse_replaces(other.serialize()) == other


@pytest.mark.parametrize("bad", [
    "",
    "call;to-tag=a",  # from-tag missing
    "call;from-tag=b",
    "call;to-tag=a;to-tag=c;from-tag=b",  # twice
    "call;to-tag=;from-tag=b",
    "call id;to-tag=a;from-tag=b",  # not word[@word]
    "call;to-tag=a;from-tag=b junk",
])
def test_parse_replaces_rejects(bad: str) -> None:
    with pytest.raises(ParseError, match="Replaces"):
        parse_replaces(bad)


def test_replaces_perspectives() -> None:
    # The transferor's dialog with the target: the target receives the INVITE, so its tag
    # (our remote tag) is the to-tag, and it finds its dialog by (call-id, to-tag, from-tag).
    transferor = dialog()
    replaces = Replaces.for_dialog(transferor)
    assert (replaces.to_tag, replaces.from_tag) == ("a6c85cf", "1928301774")
    target = Dialog(
        call_id=transferor.call_id, local_tag="a6c85cf", remote_tag="1928301774",
        local_uri=transferor.remote_uri, remote_uri=transferor.local_uri,
        remote_target=parse_uri("sip:agent@192.0.2.10"), uac=False,
    )
    assert replaces.dialog_id == target.dialog_id
    assert Replaces.for_dialog(transferor, early_only=True).early_only


# --- Refer-To / Referred-By ---------------------------------------------------------------------


@pytest.mark.parametrize("text", [ESCAPED, UNESCAPED])
def test_refer_to_with_embedded_replaces_round_trip(text: str) -> None:
    refer_to = parse_refer_to(text)
    assert refer_to.uri == SipURI(user="bob", host="example.org",
                                  headers=(("Replaces", EXPECTED.serialize()),))
    assert replaces_from_refer_to(refer_to) == EXPECTED
    # Serialization is always the escaped form, and parses back to the same value.
    assert refer_to.serialize() == ESCAPED
    assert parse_refer_to(refer_to.serialize()) == refer_to


def test_make_refer_to_embeds_and_escapes_replaces() -> None:
    refer_to = make_refer_to(parse_uri("sip:bob@example.org"), replaces=EXPECTED)
    assert refer_to.serialize() == ESCAPED
    with_name = make_refer_to(parse_uri("sip:bob@example.org;transport=tcp"),
                              replaces=Replaces("c@h", "t", "f", early_only=True),
                              display_name="Bob")
    text = with_name.serialize()
    assert text == ('"Bob" <sip:bob@example.org;transport=tcp?Replaces='
                    'c%40h%3Bto-tag%3Dt%3Bfrom-tag%3Df%3Bearly-only>')
    assert replaces_from_refer_to(parse_refer_to(text)) == Replaces("c@h", "t", "f", True)
    with pytest.raises(ValueError, match="SIP"):
        make_refer_to(parse_uri("tel:+15551234567"), replaces=EXPECTED)


def test_refer_to_without_replaces_and_other_forms() -> None:
    blind = parse_refer_to("sip:queue-42@cc.example.com")
    assert blind == NameAddress(SipURI(user="queue-42", host="cc.example.com"))
    assert replaces_from_refer_to(blind) is None
    assert replaces_from_refer_to(parse_refer_to("<tel:+15551234567>")) is None
    assert parse_refer_to("<sip:a@b>;x=y").params == (("x", "y"),)
    with pytest.raises(ParseError, match="Refer-To"):
        parse_refer_to("<sip:a@b")
    with pytest.raises(ParseError, match="escape"):
        parse_refer_to("<sip:a@b?Replaces=%zz;to-tag=t>")


def test_refer_to_with_two_replaces_is_refused() -> None:
    refer_to = parse_refer_to(
        "<sip:a@b?Replaces=c%3Bto-tag%3Dt%3Bfrom-tag%3Df&Replaces=d%3Bto-tag%3Dt%3Bfrom-tag%3Df>")
    with pytest.raises(ParseError, match="more than one"):
        replaces_from_refer_to(refer_to)


def test_split_refer_to_gives_request_uri_and_headers() -> None:
    uri, headers = split_refer_to(parse_refer_to(
        "<sip:bob@example.org;method=INVITE?Replaces=" + ESCAPED.split("Replaces=")[1]))
    assert uri == SipURI(user="bob", host="example.org")
    assert headers == (("Replaces", EXPECTED.serialize()),)
    # The headers go straight into the referee's INVITE and parse there.
    assert parse_replaces(headers[0][1]) == EXPECTED
    assert split_refer_to(parse_refer_to("<tel:+15551234567>"))[1] == ()


def test_referred_by() -> None:
    value = parse_referred_by(
        '"Agent 7" <sip:agent7@cc.example.com>;cid="20398823.2UWQFN309shb3@referrer.example"')
    assert value.display_name == "Agent 7"
    assert value.uri == SipURI(user="agent7", host="cc.example.com")
    assert value.param("cid") == '"20398823.2UWQFN309shb3@referrer.example"'
    assert parse_referred_by(value.serialize()) == value
    with pytest.raises(ParseError, match="Referred-By"):
        parse_referred_by("<sip:agent7@cc.example.com")


def test_refer_request_in_dialog() -> None:
    d = dialog()
    refer = on_the_wire(refer_request(
        d, make_refer_to(parse_uri("sip:bob@example.org"), replaces=EXPECTED),
        referred_by=parse_name_addr("<sip:agent@cc.example.com>"),
    ))
    assert refer.method == "REFER" and refer.cseq.number == 11
    assert refer.headers.get("Refer-To") == ESCAPED
    assert refer.headers.get("r") == ESCAPED  # compact form
    assert refer.headers.get("Referred-By") == "<sip:agent@cc.example.com>"
    assert refer.headers.get("Contact") == "<sip:agent@192.0.2.10:5060>"
    assert refer.uri.serialize() == "sip:customer@198.51.100.20:5060"
    assert refer.headers.get_all("Route") == ["<sip:sbc.example.com;lr>"]
    assert replaces_from_refer_to(parse_refer_to(refer.headers.get("Refer-To") or "")) == EXPECTED


# --- NOTIFY with message/sipfrag ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason", "final", "state", "body"),
    [
        (100, "Trying", False, "active;expires=60", b"SIP/2.0 100 Trying\r\n"),
        (180, "Ringing", False, "active;expires=60", b"SIP/2.0 180 Ringing\r\n"),
        (200, "OK", True, "terminated;reason=noresource", b"SIP/2.0 200 OK\r\n"),
        (486, "Busy Here", True, "terminated;reason=noresource", b"SIP/2.0 486 Busy Here\r\n"),
        (603, "Declined", True, "terminated;reason=noresource", b"SIP/2.0 603 Declined\r\n"),
    ],
)
def test_refer_notify_bodies(code: int, reason: str, final: bool, state: str,
                             body: bytes) -> None:
    d = dialog(uac=False)
    notify = on_the_wire(refer_notify(d, code, reason, final=final))
    assert notify.method == "NOTIFY"
    assert notify.body == body
    assert notify.headers.get("Content-Type") == SIPFRAG
    assert notify.headers.get("Event") == "refer"
    assert notify.headers.get("Subscription-State") == state
    assert notify.headers.get("Contact") == "<sip:agent@192.0.2.10:5060>"
    assert notify.cseq.number == 11
    assert parse_refer_notify(notify) == ReferProgress(status_code=code, reason=reason,
                                                       final=final)


def test_refer_notify_sequence_and_id() -> None:
    d = dialog(uac=False)
    first = refer_notify(d, 100, "Trying", final=False, refer_cseq=4, expires=120)
    last = refer_notify(d, 200, "OK", final=True, refer_cseq=4)
    assert (first.cseq.number, last.cseq.number) == (11, 12)
    assert first.headers.get("Event") == "refer;id=4"
    assert first.headers.get("Subscription-State") == "active;expires=120"
    assert parse_refer_notify(on_the_wire(last)).refer_id == 4
    assert d.state is DialogState.CONFIRMED  # NOTIFY does not end the INVITE dialog


def test_refer_notify_checks_its_arguments() -> None:
    d = dialog()
    with pytest.raises(ValueError, match="final"):
        refer_notify(d, 200, "OK", final=False)
    with pytest.raises(ValueError, match="final"):
        refer_notify(d, 180, "Ringing", final=True)
    with pytest.raises(ValueError, match="outside"):
        refer_notify(d, 99, "x", final=False)
    with pytest.raises(ValueError, match="CR or LF"):
        refer_notify(d, 200, "OK\r\nX: y", final=True)
    assert d.local_seq == 10
    with pytest.raises(ProtocolError, match="Contact"):
        refer_notify(dialog(contact=None), 100, "Trying", final=False)


def test_parse_sipfrag_and_refer_notify_errors() -> None:
    assert parse_sipfrag_status(b"SIP/2.0 503 Service Unavailable\r\nRetry-After: 5\r\n") == (
        503, "Service Unavailable")
    assert parse_sipfrag_status(b"SIP/2.0 200 OK") == (200, "OK")
    for bad in (b"", b"INVITE sip:a@b SIP/2.0\r\n", b"SIP/2.0 20 OK\r\n", b"SIP/3.0 200 OK"):
        with pytest.raises(ParseError, match="sipfrag"):
            parse_sipfrag_status(bad)
    notify = refer_notify(dialog(), 200, "OK", final=True)
    notify.headers.set("Event", "presence")
    with pytest.raises(ParseError) as info:
        parse_refer_notify(notify)
    assert info.value.status_code == 489
