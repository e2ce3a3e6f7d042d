"""Replaces (RFC 3891): the header on an INVITE and the §3 rules for which dialog it may replace."""

from __future__ import annotations

import pytest

from switchboard.sip.dialog import Dialog, DialogState
from switchboard.sip.errors import ParseError
from switchboard.sip.message import Request
from switchboard.sip.parser import parse_message
from switchboard.sip.replaces import (
    Replaces,
    ReplacesError,
    check_replaces,
    parse_replaces,
    replaces_of,
)
from switchboard.sip.uri import parse_name_addr, parse_uri

# The INVITE of RFC 3891 §7.1 (attended transfer, message F8), trimmed to what matters.
RFC3891_INVITE = (
    b"INVITE sip:bob@pc33.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnas432\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: <sip:bob@example.com>\r\n"
    b"From: <sip:carol@example.com>;tag=7743\r\n"
    b"Call-ID: 425928@phone.example.org\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Replaces: 98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff\r\n"
    b"Contact: <sip:carol@phone.example.org>\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def invite(*replaces: str, method: str = "INVITE") -> Request:
    text = RFC3891_INVITE.replace(b"Replaces: 98732@sip.example.com;from-tag=r33th4x0r;"
                                  b"to-tag=ff87ff\r\n",
                                  b"".join(b"Replaces: " + r.encode() + b"\r\n"
                                           for r in replaces))
    text = text.replace(b"INVITE", method.encode())
    message = parse_message(text)
    assert isinstance(message, Request)
    return message


def dialog(state: DialogState = DialogState.CONFIRMED, *, uac: bool = False) -> Dialog:
    """Bob's dialog with Alice in RFC 3891 §7.1: Bob's tag ff87ff, Alice's r33th4x0r."""
    return Dialog(call_id="98732@sip.example.com", local_tag="ff87ff", remote_tag="r33th4x0r",
                  local_uri=parse_name_addr("<sip:bob@example.com>"),
                  remote_uri=parse_name_addr("<sip:alice@example.com>"),
                  remote_target=parse_uri("sip:alice@pc33.example.com"), uac=uac, state=state)


@pytest.mark.parametrize("text,expected", [
    ("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff",
     Replaces("98732@sip.example.com", "ff87ff", "r33th4x0r")),
    ("12adf2f34456gs5;to-tag=12345;from-tag=54321;early-only",
     Replaces("12adf2f34456gs5", "12345", "54321", early_only=True)),
    ("87134@171.161.34.23;to-tag=24796;from-tag=0",
     Replaces("87134@171.161.34.23", "24796", "0")),
])
def test_rfc3891_examples_round_trip(text: str, expected: Replaces) -> None:
    parsed = parse_replaces(text)
    assert parsed == expected
    assert parse_replaces(parsed.serialize()) == parsed


def test_the_rfc_invite_names_bobs_dialog() -> None:
    replaces = replaces_of(parse_message(RFC3891_INVITE))  # type: ignore[arg-type]
    assert replaces is not None
    assert replaces.dialog_id == dialog().dialog_id
    check_replaces(replaces, dialog())  # confirmed: accepted


def test_no_replaces_is_none() -> None:
    assert replaces_of(invite()) is None


@pytest.mark.parametrize("headers,method,fragment", [
    (("a@b;to-tag=1;from-tag=2", "c@d;to-tag=3;from-tag=4"), "INVITE", "more than one"),
    (("a@b;to-tag=1;from-tag=2",), "OPTIONS", "only allowed in INVITE"),
    (("a@b;to-tag=1",), "INVITE", "from-tag"),
    (("a@b;to-tag=1;from-tag=2;to-tag=3",), "INVITE", "to-tag"),
    ((";to-tag=1;from-tag=2",), "INVITE", "Replaces"),
])
def test_bad_replaces_is_400(headers: tuple[str, ...], method: str, fragment: str) -> None:
    with pytest.raises(ReplacesError, match=fragment) as info:
        replaces_of(invite(*headers, method=method))
    assert info.value.status_code == 400
    assert isinstance(info.value, ParseError)


def code(replaces: Replaces, found: Dialog | None, *, ended: bool = False) -> int:
    try:
        check_replaces(replaces, found, ended=ended)
    except ReplacesError as exc:
        return exc.status_code
    return 200


BOB = Replaces("98732@sip.example.com", "ff87ff", "r33th4x0r")
BOB_EARLY_ONLY = Replaces("98732@sip.example.com", "ff87ff", "r33th4x0r", early_only=True)


def test_rfc3891_section3_rules() -> None:
    assert code(BOB, None) == 481                                   # no such dialog
    assert code(BOB, None, ended=True) == 603                       # remembered as ended
    ended = dialog()
    ended.terminate()
    assert code(BOB, ended) == 603                                  # terminated, still held
    assert code(BOB, dialog()) == 200                               # confirmed
    assert code(BOB_EARLY_ONLY, dialog()) == 486                    # confirmed, early-only
    assert code(BOB, dialog(DialogState.EARLY, uac=False)) == 481   # early, not ours
    assert code(BOB, dialog(DialogState.EARLY, uac=True)) == 200    # early, we called
    assert code(BOB_EARLY_ONLY, dialog(DialogState.EARLY, uac=True)) == 200


def test_a_dialog_that_is_not_the_named_one_is_a_caller_bug() -> None:
    other = Replaces("98732@sip.example.com", "other", "r33th4x0r")
    with pytest.raises(ValueError, match="not the dialog named"):
        check_replaces(other, dialog())
