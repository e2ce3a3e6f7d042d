"""SDP codec (RFC 4566) and audio offer/answer (RFC 3264, RFC 4733) tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard.sip.errors import NegotiationError, ParseError
from switchboard.sip.parser import parse_message
from switchboard.sip.sdp import (
    PCMU,
    AudioConfig,
    Codec,
    Direction,
    SessionDescription,
    create_answer,
    create_offer,
    negotiated_from_answer,
    reoffer,
)

DATA = Path(__file__).parent.parent / "data" / "sip" / "rfc4475"

# RFC 4566 §5 example.
RFC4566_EXAMPLE = (
    b"v=0\r\n"
    b"o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
    b"s=SDP Seminar\r\n"
    b"i=A Seminar on the session description protocol\r\n"
    b"u=http://www.example.com/seminars/sdp.pdf\r\n"
    b"e=j.doe@example.com (Jane Doe)\r\n"
    b"c=IN IP4 224.2.17.12/127\r\n"
    b"t=2873397496 2873404696\r\n"
    b"a=recvonly\r\n"
    b"m=audio 49170 RTP/AVP 0\r\n"
    b"m=video 51372 RTP/AVP 99\r\n"
    b"a=rtpmap:99 h263-1998/90000\r\n"
)

ALICE = AudioConfig(address="192.0.2.10", port=49170)
BOB = AudioConfig(address="192.0.2.20", port=30000)


def offer_text(media_lines: str, session_extra: str = "", conn: str = "192.0.2.99") -> bytes:
    return (
        f"v=0\r\no=peer 1 1 IN IP4 {conn}\r\ns=-\r\nc=IN IP4 {conn}\r\nt=0 0\r\n"
        f"{session_extra}{media_lines}"
    ).encode()


def test_rfc4566_example_round_trips_byte_exact() -> None:
    sdp = SessionDescription.parse(RFC4566_EXAMPLE)
    assert sdp.origin.session_id == "2890844526"
    assert sdp.origin.session_version == 2890842807
    assert sdp.session_name == "SDP Seminar"
    assert sdp.connection is not None and sdp.connection.address == "224.2.17.12/127"
    assert sdp.timing == [(2873397496, 2873404696)]
    assert sdp.direction() is Direction.RECVONLY
    assert [(m.media, m.port, m.formats) for m in sdp.media] == [
        ("audio", 49170, ["0"]), ("video", 51372, ["99"])]
    assert sdp.media[1].rtpmaps() == {"99": ("h263-1998", 90000, 1)}
    assert sdp.serialize() == RFC4566_EXAMPLE


def test_bare_lf_lines_are_tolerated() -> None:
    sdp = SessionDescription.parse(RFC4566_EXAMPLE.replace(b"\r\n", b"\n"))
    assert sdp.serialize() == RFC4566_EXAMPLE


@pytest.mark.parametrize("name", ["wsinv", "esc01", "longreq", "sdp01", "unreason", "bcast"])
def test_torture_bodies_parse(name: str) -> None:
    msg = parse_message((DATA / f"{name}.dat").read_bytes())
    sdp = SessionDescription.parse(msg.body)
    assert [m.media for m in sdp.media] == ["audio", "video"]
    assert sdp.media[0].formats == ["0", "12"]
    # "a=rtpmap:31 LPC" lacks the clock rate RFC 4566 §6 requires: refused when read.
    with pytest.raises(ParseError, match="malformed rtpmap '31 LPC'"):
        sdp.media[1].rtpmaps()
    answer, result = create_answer(sdp, BOB, session_id="1")
    assert [(m.media, m.port) for m in answer.media] == [("audio", 30000), ("video", 0)]
    assert result.codec == PCMU and result.telephone_event_pt is None


def test_torture_body_without_s_and_t_is_refused() -> None:
    body = (DATA / "mismatch02.dat").read_bytes().split(b"\r\n\r\n", 1)[1]
    with pytest.raises(ParseError, match="missing s= line"):
        SessionDescription.parse(body)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"v=1\r\n", "v=0"),
        (b"v=0\r\no=a b\r\n", "6 fields"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nx=unknown\r\n", "not a known"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\n", "no c= line"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n",
         "media port"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\nt=0 0\r\nm=audio 9 RTP/AVP\r\n",
         "at least one format"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 h\r\n", "missing t= line"),
        (b"v=0\r\no=- x 1 IN IP4 h\r\ns=-\r\nt=0 0\r\n", "session id"),
        (b"\xff", "UTF-8"),
    ],
)
def test_malformed_sdp(body: bytes, fragment: str) -> None:
    with pytest.raises(ParseError) as info:
        SessionDescription.parse(body)
    assert fragment in info.value.message
    assert info.value.message.startswith("SDP: ")


def test_offer_contents() -> None:
    offer = create_offer(ALICE, session_id="42", session_version=1)
    text = offer.serialize().decode()
    assert text == (
        "v=0\r\no=- 42 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
        "m=audio 49170 RTP/AVP 0 8 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
        "a=ptime:20\r\na=sendrecv\r\n"
    )
    assert SessionDescription.parse(offer.serialize()) == offer


def test_answer_to_a_g711_offer_with_dtmf() -> None:
    offer = SessionDescription.parse(offer_text(
        "m=audio 5004 RTP/AVP 8 0 96\r\na=rtpmap:96 telephone-event/8000\r\n"
        "a=fmtp:96 0-15\r\na=ptime:30\r\n"))
    answer, result = create_answer(offer, BOB, session_id="7")
    (media,) = answer.media
    assert media.formats == ["8", "0", "96"]  # offerer's order and payload types (§6.1)
    assert media.fmtps() == {"96": "0-15"}
    assert media.direction() is Direction.SENDRECV
    assert result.codec == Codec("PCMA", 8000, 8)
    assert result.telephone_event_pt == 96
    assert result.telephone_events == frozenset(range(16))
    assert (result.remote_address, result.remote_port, result.remote_ptime) == (
        "192.0.2.99", 5004, 30)
    assert answer.timing == offer.timing


def test_static_payload_types_need_no_rtpmap_and_names_ignore_case() -> None:
    offer = SessionDescription.parse(offer_text(
        "m=audio 5004 RTP/AVP 0 97\r\na=rtpmap:97 TELEPHONE-EVENT/8000\r\n"))
    _, result = create_answer(offer, BOB, session_id="7")
    assert result.codec == PCMU
    assert result.telephone_event_pt == 97
    assert result.telephone_events == frozenset(range(16))  # RFC 4733 §2.4.1 default


def test_no_common_codec_is_a_488() -> None:
    offer = SessionDescription.parse(offer_text(
        "m=audio 5004 RTP/AVP 18 101\r\na=rtpmap:18 G729/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"))
    with pytest.raises(NegotiationError) as info:
        create_answer(offer, BOB, session_id="7")
    assert info.value.status_code == 488
    assert "G729/8000" in info.value.message


def test_only_video_is_a_488() -> None:
    offer = SessionDescription.parse(offer_text("m=video 5006 RTP/AVP 31\r\n"))
    with pytest.raises(NegotiationError, match="video"):
        create_answer(offer, BOB, session_id="7")


def test_rejected_streams_keep_their_place_with_port_zero() -> None:
    offer = SessionDescription.parse(offer_text(
        "m=video 5006 RTP/AVP 31\r\n"
        "m=audio 0 RTP/AVP 0\r\n"
        "m=audio 5004 RTP/AVP 0\r\n"
        "m=audio 5008 RTP/AVP 0\r\n"))
    answer, result = create_answer(offer, BOB, session_id="7")
    assert [(m.media, m.port) for m in answer.media] == [
        ("video", 0), ("audio", 0), ("audio", 30000), ("audio", 0)]
    assert answer.media[0].formats == ["31"]
    assert result.index == 2
    assert negotiated_from_answer(offer, answer).remote_port == 30000


@pytest.mark.parametrize(
    ("offered", "local", "answered"),
    [
        (Direction.SENDRECV, Direction.SENDRECV, Direction.SENDRECV),
        (Direction.SENDONLY, Direction.SENDRECV, Direction.RECVONLY),  # we are put on hold
        (Direction.RECVONLY, Direction.SENDRECV, Direction.SENDONLY),
        (Direction.INACTIVE, Direction.SENDRECV, Direction.INACTIVE),
        (Direction.SENDRECV, Direction.SENDONLY, Direction.SENDONLY),  # we hold them
        (Direction.SENDONLY, Direction.SENDONLY, Direction.INACTIVE),
        (Direction.RECVONLY, Direction.RECVONLY, Direction.INACTIVE),
    ],
)
def test_answer_direction(offered: Direction, local: Direction, answered: Direction) -> None:
    offer = SessionDescription.parse(offer_text(f"m=audio 5004 RTP/AVP 0\r\na={offered.value}\r\n"))
    config = AudioConfig(address="192.0.2.20", port=30000, direction=local)
    answer, result = create_answer(offer, config, session_id="7")
    assert answer.media[0].direction() is answered
    assert result.direction is answered


def test_session_level_direction_applies_to_streams() -> None:
    offer = SessionDescription.parse(offer_text("m=audio 5004 RTP/AVP 0\r\n", "a=sendonly\r\n"))
    _, result = create_answer(offer, BOB, session_id="7")
    assert result.direction is Direction.RECVONLY


def test_rfc2543_hold_with_zero_address() -> None:
    offer = SessionDescription.parse(offer_text("m=audio 5004 RTP/AVP 0\r\n", conn="0.0.0.0"))
    _, result = create_answer(offer, BOB, session_id="7")
    assert result.direction is Direction.RECVONLY  # never send to 0.0.0.0


def test_full_exchange_then_hold_and_resume() -> None:
    offer = create_offer(ALICE, session_id="1", session_version=1)
    answer, bob_view = create_answer(SessionDescription.parse(offer.serialize()), BOB,
                                     session_id="2")
    alice_view = negotiated_from_answer(offer, SessionDescription.parse(answer.serialize()))
    assert alice_view.codec == bob_view.codec == PCMU
    assert alice_view.telephone_event_pt == bob_view.telephone_event_pt == 101
    assert alice_view.telephone_events == frozenset(range(17))
    assert (alice_view.remote_address, alice_view.remote_port) == ("192.0.2.20", 30000)
    assert (bob_view.remote_address, bob_view.remote_port) == ("192.0.2.10", 49170)
    assert alice_view.direction is bob_view.direction is Direction.SENDRECV

    hold = reoffer(offer, direction=Direction.SENDRECV.held())
    assert hold.origin.session_version == 2  # RFC 3264 §8
    assert hold.media[0].direction() is Direction.SENDONLY
    answer2, bob_held = create_answer(hold, BOB, session_id="2", session_version=1)
    assert bob_held.direction is Direction.RECVONLY
    assert negotiated_from_answer(hold, answer2).direction is Direction.SENDONLY

    resume = reoffer(hold, direction=Direction.SENDRECV)
    assert resume.origin.session_version == 3
    _, bob_resumed = create_answer(resume, BOB, session_id="2", session_version=2)
    assert bob_resumed.direction is Direction.SENDRECV
    assert Direction.RECVONLY.held() is Direction.INACTIVE


def test_answer_with_wrong_number_of_streams_or_unoffered_codec() -> None:
    offer = create_offer(AudioConfig(address="192.0.2.10", port=4000, codecs=(PCMU,)),
                         session_id="1")
    bad = SessionDescription.parse(offer_text("m=audio 5004 RTP/AVP 8\r\n"))
    with pytest.raises(NegotiationError, match="did not contain"):
        negotiated_from_answer(offer, bad)
    two = SessionDescription.parse(offer_text("m=audio 5004 RTP/AVP 0\r\nm=audio 0 RTP/AVP 0\r\n"))
    with pytest.raises(NegotiationError, match="same number"):
        negotiated_from_answer(offer, two)
    rejected = SessionDescription.parse(offer_text("m=audio 0 RTP/AVP 0\r\n"))
    with pytest.raises(NegotiationError, match="rejected every audio stream"):
        negotiated_from_answer(offer, rejected)


def test_dtmf_disabled_locally_is_not_answered() -> None:
    offer = create_offer(ALICE, session_id="1")
    config = AudioConfig(address="192.0.2.20", port=30000, telephone_event=False)
    answer, result = create_answer(offer, config, session_id="2")
    assert result.telephone_event_pt is None
    assert answer.media[0].formats == ["0", "8"]
    assert negotiated_from_answer(offer, answer).telephone_event_pt is None
