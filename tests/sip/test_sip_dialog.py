"""Dialogs (RFC 3261 §12) and session timers (RFC 4028), from a real INVITE / 200 exchange.

The call: Alice (192.0.2.1) calls Bob (192.0.2.4) through two record-routing proxies, P1
(``p1.example.com``, an RFC 2543 *strict* router: no ``lr``) next to Alice and P2
(``p2.example.net``, a loose router) next to Bob.  Both dialogs are built from the bytes of that
exchange; the BYE each side builds is checked against RFC 3261 §12.2.1.1 and then walked through
the two proxies (§16.4, §16.6 step 6, RFC 2543 strict routing) to the other side, as in the
§16.12.1.2 example.
"""

from __future__ import annotations

import pytest

from switchboard.sip.dialog import (
    TRANSITIONS,
    Dialog,
    DialogError,
    DialogId,
    DialogInput,
    DialogState,
    SessionExpires,
    dialog_id_of,
    parse_min_se,
    parse_session_expires,
    session_timer_answer,
)
from switchboard.sip.errors import ParseError, ProtocolError
from switchboard.sip.message import Request, Response, make_response
from switchboard.sip.parser import parse_message
from switchboard.sip.uri import NameAddress, SipURI, parse_name_addr, parse_uri

SDP = (
    b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    b"m=audio 4000 RTP/AVP 0\r\n"
)

# The INVITE as Alice sent it (her UAC side) ...
INVITE_SENT = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n'
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.1:5060;transport=udp>\r\n"
    b"Supported: timer\r\n"
    b"Session-Expires: 1800\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: " + str(len(SDP)).encode() + b"\r\n\r\n" + SDP
)

# ... and as Bob received it, after P1 (strict) and P2 (loose) record-routed it.
INVITE_RECEIVED = (
    b"INVITE sip:bob@192.0.2.4 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP p2.example.net;branch=z9hG4bKp2\r\n"
    b"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9\r\n"
    b"Max-Forwards: 68\r\n"
    b"Record-Route: <sip:p2.example.net;lr>\r\n"
    b"Record-Route: <sip:p1.example.com>\r\n"
    b'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n'
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@192.0.2.1:5060;transport=udp>\r\n"
    b"Supported: timer\r\n"
    b"Session-Expires: 1800\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: " + str(len(SDP)).encode() + b"\r\n\r\n" + SDP
)

# The 200 OK as Alice received it (the proxies' Vias stripped, Record-Route kept).
OK_RECEIVED = (
    b"SIP/2.0 200 OK\r\n"
    b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK74bf9;received=192.0.2.1\r\n"
    b"Record-Route: <sip:p2.example.net;lr>\r\n"
    b"Record-Route: <sip:p1.example.com>\r\n"
    b'From: "Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n'
    b"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    b"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:bob@192.0.2.4:5060;transport=udp>\r\n"
    b"Content-Length: 0\r\n\r\n"
)

ALICE_CONTACT = SipURI(user="alice", host="192.0.2.1", port=5060, params=(("transport", "udp"),))
BOB_CONTACT = SipURI(user="bob", host="192.0.2.4", port=5060, params=(("transport", "udp"),))


def parse_request(data: bytes) -> Request:
    message = parse_message(data)
    assert isinstance(message, Request)
    return message


def parse_response(data: bytes) -> Response:
    message = parse_message(data)
    assert isinstance(message, Response)
    return message


def bob_ok(invite: Request) -> Response:
    """Bob's 200 as he sends it: To tag, Record-Route copied (§12.1.1), his Contact."""
    ok = make_response(invite, 200, to_tag="8321234356")
    for value in invite.headers.get_all("Record-Route"):
        ok.headers.add("Record-Route", value)
    ok.headers.add("Contact", "<sip:bob@192.0.2.4:5060;transport=udp>")
    return ok


def alice_and_bob() -> tuple[Dialog, Dialog]:
    alice = Dialog.from_uac(parse_request(INVITE_SENT), parse_response(OK_RECEIVED))
    invite = parse_request(INVITE_RECEIVED)
    bob = Dialog.from_uas(invite, bob_ok(invite))
    return alice, bob


def on_the_wire(request: Request, via: str) -> Request:
    """What the UA does before sending: prepend its Via; then bytes and back."""
    request.headers.prepend("Via", f"SIP/2.0/UDP {via};branch=z9hG4bK{request.cseq.number}")
    return parse_request(request.serialize())


# --- two toy proxies, just enough routing to carry in-dialog requests --------------------------


def loose_proxy(request: Request, me: str) -> Request:
    """An RFC 3261 proxy (``me`` is its host): §16.4 then §16.6 step 6."""
    routes = [r.serialize() for r in request.routes]
    uri = request.uri
    if isinstance(uri, SipURI) and uri.host == me:
        # §16.4: the previous hop was a strict router — our Record-Route is in the R-URI.
        uri = parse_name_addr(routes.pop()).uri
    elif routes and parse_name_addr(routes[0]).uri == SipURI(host=me, params=(("lr", None),)):
        routes.pop(0)  # §16.4: the top Route is us
    if routes and not parse_name_addr(routes[0]).uri.lr:  # type: ignore[union-attr]
        # §16.6 step 6: the next hop is a strict router.
        routes.append(NameAddress(uri).serialize())
        uri = parse_name_addr(routes.pop(0)).uri
    return _relay(request, uri, routes)


def strict_proxy(request: Request, me: str) -> Request:
    """An RFC 2543 strict router: the Request-URI is itself; the next one is the top Route."""
    assert isinstance(request.uri, SipURI) and request.uri.host == me
    routes = [r.serialize() for r in request.routes]
    uri = parse_name_addr(routes.pop(0)).uri
    return _relay(request, uri, routes)


def _relay(request: Request, uri: object, routes: list[str]) -> Request:
    headers = request.headers.copy()
    headers.remove("Route")
    for route in routes:
        headers.add("Route", route)
    relayed = Request(method=request.method, uri=uri, headers=headers,  # type: ignore[arg-type]
                      body=request.body)
    return parse_request(relayed.serialize())


# --- construction ------------------------------------------------------------------------------


def test_uac_dialog_state_from_the_exchange() -> None:
    alice, _ = alice_and_bob()
    assert alice.state is DialogState.CONFIRMED
    assert alice.uac
    assert alice.dialog_id == ("3848276298220188511@atlanta.example.com", "9fxced76sl",
                               "8321234356")
    assert alice.local_uri == NameAddress(SipURI(user="alice", host="atlanta.example.com"),
                                          "Alice")
    assert alice.remote_uri == NameAddress(SipURI(user="bob", host="biloxi.example.com"), "Bob")
    assert alice.remote_target == BOB_CONTACT
    # §12.1.2: Record-Route of the response, reversed.
    assert [r.serialize() for r in alice.route_set] == [
        "<sip:p1.example.com>", "<sip:p2.example.net;lr>",
    ]
    assert (alice.local_seq, alice.remote_seq) == (314159, None)
    assert alice.local_contact == NameAddress(ALICE_CONTACT)
    assert alice.secure is False


def test_uas_dialog_state_from_the_exchange() -> None:
    _, bob = alice_and_bob()
    assert bob.state is DialogState.CONFIRMED
    assert not bob.uac
    assert bob.dialog_id == ("3848276298220188511@atlanta.example.com", "8321234356",
                             "9fxced76sl")
    assert bob.remote_target == ALICE_CONTACT
    # §12.1.1: Record-Route of the request, in order.
    assert [r.serialize() for r in bob.route_set] == [
        "<sip:p2.example.net;lr>", "<sip:p1.example.com>",
    ]
    assert (bob.local_seq, bob.remote_seq) == (None, 314159)
    assert bob.local_contact == NameAddress(BOB_CONTACT)


def test_secure_flag_follows_a_sips_request_uri() -> None:
    sips = INVITE_SENT.replace(b"INVITE sip:bob@", b"INVITE sips:bob@")
    alice = Dialog.from_uac(parse_request(sips), parse_response(OK_RECEIVED))
    assert alice.secure is True
    invite = parse_request(INVITE_RECEIVED)
    assert Dialog.from_uas(invite, bob_ok(invite), secure=True).secure is True


def test_dialog_id_of_incoming_messages_finds_each_side() -> None:
    alice, bob = alice_and_bob()
    invite = parse_request(INVITE_RECEIVED)
    assert dialog_id_of(invite, uas=True) is None  # no To tag: not in a dialog
    assert dialog_id_of(parse_response(OK_RECEIVED), uas=False) == alice.dialog_id
    bye = on_the_wire(alice.create_request("BYE"), "192.0.2.1:5060")
    assert dialog_id_of(bye, uas=True) == bob.dialog_id
    assert isinstance(bob.dialog_id, DialogId)


def test_from_uas_needs_a_contact_and_a_tag() -> None:
    invite = parse_request(INVITE_RECEIVED)
    untagged = make_response(invite, 180)
    with pytest.raises(ValueError, match="To tag"):
        Dialog.from_uas(invite, untagged)
    invite.headers.remove("Contact")
    with pytest.raises(DialogError) as info:
        Dialog.from_uas(invite, bob_ok(invite))
    assert info.value.status_code == 400


def test_from_uac_refuses_a_2xx_without_contact_or_tag() -> None:
    ok = parse_response(OK_RECEIVED)
    ok.headers.remove("Contact")
    with pytest.raises(DialogError, match="no Contact"):
        Dialog.from_uac(parse_request(INVITE_SENT), ok)
    untagged = parse_response(OK_RECEIVED.replace(b";tag=8321234356", b""))
    with pytest.raises(DialogError, match="no To tag"):
        Dialog.from_uac(parse_request(INVITE_SENT), untagged)
    with pytest.raises(ValueError, match="does not create"):
        Dialog.from_uac(parse_request(INVITE_SENT), make_response(parse_request(INVITE_SENT),
                                                                  100))


# --- BYE routing: RFC 3261 §12.2.1.1 and §16.12.1.2 -------------------------------------------


def test_callee_bye_uses_loose_routing() -> None:
    _, bob = alice_and_bob()
    bye = bob.create_request("BYE")
    # §12.2.1.1, first route has lr: Request-URI = remote target, Route = route set.
    assert bye.uri.serialize() == "sip:alice@192.0.2.1:5060;transport=udp"
    assert bye.headers.get_all("Route") == ["<sip:p2.example.net;lr>", "<sip:p1.example.com>"]
    assert "Via" not in bye.headers  # the UA prepends its own
    assert "Contact" not in bye.headers
    assert bye.headers.get("From") == '"Bob" <sip:bob@biloxi.example.com>;tag=8321234356'
    assert bye.headers.get("To") == (
        '"Alice" <sip:alice@atlanta.example.com>;tag=9fxced76sl'
    )
    assert bye.headers.get("Max-Forwards") == "70"
    assert bye.cseq.number == 1 and bye.cseq.method == "BYE"  # UAS had no local CSeq yet


def test_caller_bye_uses_strict_routing() -> None:
    alice, _ = alice_and_bob()
    bye = alice.create_request("BYE")
    # §12.2.1.1, first route without lr: Request-URI = first route, Route = the rest of the
    # route set followed by the remote target.
    assert bye.uri.serialize() == "sip:p1.example.com"
    assert bye.headers.get_all("Route") == [
        "<sip:p2.example.net;lr>", "<sip:bob@192.0.2.4:5060;transport=udp>",
    ]
    assert bye.cseq.number == 314160


def test_byes_reach_the_other_side_through_both_proxies() -> None:
    alice, bob = alice_and_bob()
    # Alice -> P1 (strict) -> P2 (loose) -> Bob.
    bye = on_the_wire(alice.create_request("BYE"), "192.0.2.1:5060")
    at_p2 = strict_proxy(bye, "p1.example.com")
    assert at_p2.uri.serialize() == "sip:p2.example.net;lr"
    at_bob = loose_proxy(at_p2, "p2.example.net")
    assert at_bob.uri == BOB_CONTACT
    assert at_bob.routes == []
    bob.receive_request(at_bob)
    assert bob.state is DialogState.TERMINATED
    assert alice.state is DialogState.TERMINATED  # sending BYE ends it (§15.1.1)

    alice, bob = alice_and_bob()
    # Bob -> P2 (loose) -> P1 (strict) -> Alice, like the callee's BYE of §16.12.1.2.
    bye = on_the_wire(bob.create_request("BYE"), "192.0.2.4:5060")
    at_p1 = loose_proxy(bye, "p2.example.net")
    assert at_p1.uri.serialize() == "sip:p1.example.com"
    assert at_p1.headers.get_all("Route") == ["<sip:alice@192.0.2.1:5060;transport=udp>"]
    at_alice = strict_proxy(at_p1, "p1.example.com")
    assert at_alice.uri == ALICE_CONTACT
    alice.receive_request(at_alice)
    assert alice.state is DialogState.TERMINATED


def test_rfc3261_12_2_1_1_strict_routing_example() -> None:
    # The example of §12.2.1.1: remote target sip:user@remoteua, route set
    # <sip:proxy1>,<sip:proxy2>,<sip:proxy3;lr>,<sip:proxy4>.
    dialog = Dialog(
        call_id="c", local_tag="l", remote_tag="r",
        local_uri=parse_name_addr("<sip:me@here>"), remote_uri=parse_name_addr("<sip:you@there>"),
        remote_target=parse_uri("sip:user@remoteua"),
        route_set=[parse_name_addr(f"<{u}>") for u in
                   ("sip:proxy1", "sip:proxy2", "sip:proxy3;lr", "sip:proxy4")],
        local_seq=7,
    )
    request = dialog.create_request("OPTIONS")
    assert request.start_line() == "OPTIONS sip:proxy1 SIP/2.0"
    assert request.headers.get_all("Route") == [
        "<sip:proxy2>", "<sip:proxy3;lr>", "<sip:proxy4>", "<sip:user@remoteua>",
    ]


def test_rfc3261_16_12_1_2_callee_and_caller_requests() -> None:
    # §16.12.1.2: four record-routing proxies, P3 strict.  The callee's BYE as the RFC shows it.
    record_route = ["<sip:p4.domain.com;lr>", "<sip:p3.middle.com>", "<sip:p2.domain.com;lr>",
                    "<sip:p1.example.com;lr>"]
    common = {"call_id": "c", "local_uri": parse_name_addr("<sip:x@y>"),
              "remote_uri": parse_name_addr("<sip:z@w>")}
    callee = Dialog(**common, local_tag="b", remote_tag="a",  # type: ignore[arg-type]
                    remote_target=parse_uri("sip:caller@u1.example.com"),
                    route_set=[parse_name_addr(r) for r in record_route], uac=False)
    bye = callee.create_request("BYE")
    assert bye.start_line() == "BYE sip:caller@u1.example.com SIP/2.0"
    assert bye.headers.get_all("Route") == record_route
    caller = Dialog(**common, local_tag="a", remote_tag="b",  # type: ignore[arg-type]
                    remote_target=parse_uri("sip:callee@u2.domain.com"),
                    route_set=[parse_name_addr(r) for r in reversed(record_route)], local_seq=1)
    bye = caller.create_request("BYE")
    assert bye.start_line() == "BYE sip:callee@u2.domain.com SIP/2.0"
    assert bye.headers.get_all("Route") == list(reversed(record_route))


def test_no_route_set_sends_straight_to_the_target() -> None:
    alice = Dialog.from_uac(
        parse_request(INVITE_SENT),
        parse_response(OK_RECEIVED.replace(b"Record-Route: <sip:p2.example.net;lr>\r\n", b"")
                       .replace(b"Record-Route: <sip:p1.example.com>\r\n", b"")),
    )
    info = alice.create_request("INFO", body=b"Signal=5\r\n",
                                content_type="application/dtmf-relay")
    assert info.uri == BOB_CONTACT
    assert "Route" not in info.headers
    assert info.headers.get("Contact") == "<sip:alice@192.0.2.1:5060;transport=udp>"
    assert info.headers.get("Content-Type") == "application/dtmf-relay"


def test_request_uri_drops_what_a_request_uri_may_not_hold() -> None:
    _, bob = alice_and_bob()
    bob.remote_target = parse_uri("sip:alice@192.0.2.1;method=INVITE?Subject=x")
    assert bob.create_request("OPTIONS").uri.serialize() == "sip:alice@192.0.2.1"


# --- sequence numbers ---------------------------------------------------------------------------


def test_local_cseq_increments_and_ack_reuses_the_invite_number() -> None:
    alice, _ = alice_and_bob()
    ack = alice.create_ack(314159)
    assert ack.cseq.number == 314159 and ack.cseq.method == "ACK"
    assert ack.uri.serialize() == "sip:p1.example.com"  # routed like any in-dialog request
    assert ack.headers.get_all("Route")[-1] == "<sip:bob@192.0.2.4:5060;transport=udp>"
    assert alice.local_seq == 314159  # untouched by ACK
    numbers = [alice.create_request(m).cseq.number for m in ("OPTIONS", "INFO", "INVITE")]
    assert numbers == [314160, 314161, 314162]
    assert alice.local_seq == 314162
    sdp_ack = alice.create_ack(314162, SDP, "application/sdp")
    assert sdp_ack.body == SDP and sdp_ack.cseq.number == 314162


def test_ack_round_trips_and_bob_accepts_it_without_sequencing() -> None:
    alice, bob = alice_and_bob()
    ack = on_the_wire(alice.create_ack(314159), "192.0.2.1:5060")
    at_bob = loose_proxy(strict_proxy(ack, "p1.example.com"), "p2.example.net")
    bob.remote_seq = 314170  # an INFO overtook the ACK: the ACK is still fine
    bob.receive_request(at_bob)
    assert bob.remote_seq == 314170
    assert bob.state is DialogState.CONFIRMED


def test_out_of_order_cseq_is_500_and_changes_nothing() -> None:
    alice, bob = alice_and_bob()
    first = on_the_wire(alice.create_request("INFO"), "192.0.2.1:5060")
    second = on_the_wire(alice.create_request("INFO"), "192.0.2.1:5060")
    bob.receive_request(second)
    assert bob.remote_seq == 314161
    with pytest.raises(DialogError) as info:
        bob.receive_request(first)
    assert info.value.status_code == 500
    assert isinstance(info.value, ParseError)  # answered at the transport's one boundary
    assert "314160" in info.value.message and "314161" in info.value.message
    assert bob.remote_seq == 314161


def test_equal_cseq_is_accepted() -> None:
    _, bob = alice_and_bob()
    bob.receive_request(_alice_request("UPDATE", 314159))
    assert bob.remote_seq == 314159


def test_uas_local_cseq_space_is_independent() -> None:
    alice, bob = alice_and_bob()
    for _ in range(3):
        bob.create_request("OPTIONS")
    options = on_the_wire(bob.create_request("OPTIONS"), "192.0.2.4:5060")
    assert options.cseq.number == 4
    alice.receive_request(options)  # empty remote sequence number: anything goes
    assert alice.remote_seq == 4


def _alice_request(method: str, number: int, contact: str | None = None) -> Request:
    alice, _ = alice_and_bob()
    alice.local_seq = number - 1
    request = alice.create_request(method)
    if contact is not None:
        request.headers.set("Contact", contact)
    return on_the_wire(request, "192.0.2.1:5060")


# --- target refresh -----------------------------------------------------------------------------


def test_reinvite_refreshes_the_remote_target() -> None:
    alice, bob = alice_and_bob()
    alice.local_contact = parse_name_addr("<sip:alice@198.51.100.7:5062>")
    reinvite = on_the_wire(alice.create_request("INVITE", body=SDP,
                                                content_type="application/sdp"),
                           "198.51.100.7:5062")
    assert reinvite.headers.get("Contact") == "<sip:alice@198.51.100.7:5062>"
    bob.receive_request(reinvite)
    assert bob.remote_target == SipURI(user="alice", host="198.51.100.7", port=5062)
    assert bob.remote_seq == 314160
    assert bob.create_request("BYE").uri.serialize() == "sip:alice@198.51.100.7:5062"


def test_non_refresh_request_leaves_the_target_alone() -> None:
    _, bob = alice_and_bob()
    bob.receive_request(_alice_request("INFO", 314160, contact="<sip:elsewhere@192.0.2.99>"))
    assert bob.remote_target == ALICE_CONTACT


def test_refresh_with_wildcard_contact_is_400() -> None:
    _, bob = alice_and_bob()
    with pytest.raises(DialogError) as info:
        bob.receive_request(_alice_request("UPDATE", 314160, contact="*"))
    assert info.value.status_code == 400
    assert bob.remote_seq == 314159


def test_2xx_to_reinvite_refreshes_the_uac_target() -> None:
    alice, bob = alice_and_bob()
    reinvite = on_the_wire(alice.create_request("INVITE"), "192.0.2.1:5060")
    bob.receive_request(reinvite)
    ok = make_response(reinvite, 200)
    ok.headers.add("Contact", "<sip:bob@203.0.113.9>")
    alice.receive_response(parse_response(ok.serialize()))
    assert alice.remote_target == SipURI(user="bob", host="203.0.113.9")
    assert alice.state is DialogState.CONFIRMED


def test_reinvite_without_local_contact_is_refused() -> None:
    _, bob = alice_and_bob()
    bob.local_contact = None
    with pytest.raises(ProtocolError, match="Contact"):
        bob.create_request("INVITE")
    assert bob.local_seq is None
    bob.create_request("INFO")  # Contact optional there


# --- state machine ------------------------------------------------------------------------------


def test_early_dialog_confirmed_by_2xx_recomputes_route_set() -> None:
    invite = parse_request(INVITE_SENT)
    ringing = parse_response(
        OK_RECEIVED.replace(b"200 OK", b"180 Ringing")
        .replace(b"Record-Route: <sip:p2.example.net;lr>\r\n", b"")
        .replace(b"Contact: <sip:bob@192.0.2.4:5060;transport=udp>\r\n", b"")
    )
    alice = Dialog.from_uac(invite, ringing)
    assert alice.state is DialogState.EARLY
    assert alice.remote_target == invite.uri  # no Contact in the 180
    assert [r.serialize() for r in alice.route_set] == ["<sip:p1.example.com>"]
    with pytest.raises(ProtocolError):
        alice.create_ack(314159)  # nothing to ACK yet
    alice.receive_response(ringing)
    assert alice.state is DialogState.EARLY
    alice.receive_response(parse_response(OK_RECEIVED))
    assert alice.state.value == "Confirmed"
    assert alice.remote_target == BOB_CONTACT
    assert [r.serialize() for r in alice.route_set] == [
        "<sip:p1.example.com>", "<sip:p2.example.net;lr>",
    ]
    alice.receive_response(ringing)  # a late 1xx is absorbed
    alice.receive_response(parse_response(OK_RECEIVED))  # RFC 6026 retransmission
    assert alice.state.value == "Confirmed"


def test_failure_ends_an_early_dialog() -> None:
    ringing = parse_response(OK_RECEIVED.replace(b"200 OK", b"183 Session Progress"))
    alice = Dialog.from_uac(parse_request(INVITE_SENT), ringing)
    busy = parse_response(OK_RECEIVED.replace(b"200 OK", b"486 Busy Here"))
    alice.receive_response(busy)
    assert alice.state is DialogState.TERMINATED


def test_uas_early_dialog_send_response_table() -> None:
    invite = parse_request(INVITE_RECEIVED)
    ringing = make_response(invite, 180, to_tag="8321234356")
    ringing.headers.add("Contact", "<sip:bob@192.0.2.4:5060;transport=udp>")
    bob = Dialog.from_uas(invite, ringing)
    assert bob.state is DialogState.EARLY
    with pytest.raises(ProtocolError, match="early dialog"):
        bob.create_request("BYE")  # §15: the callee may not BYE an early dialog
    bob.send_response(ringing)
    bob.send_response(bob_ok(invite))
    assert bob.state.value == "Confirmed"
    with pytest.raises(ProtocolError, match="not allowed in state Confirmed"):
        bob.send_response(ringing)
    with pytest.raises(ProtocolError):
        bob.send_response(make_response(invite, 486, to_tag="8321234356"))

    bob = Dialog.from_uas(invite, ringing)
    bob.send_response(make_response(invite, 487, to_tag="8321234356"))
    assert bob.terminated


def test_bye_received_in_early_dialog_terminates_it() -> None:
    invite = parse_request(INVITE_RECEIVED)
    bob = Dialog.from_uas(invite, make_response(invite, 180, to_tag="8321234356"))
    alice, _ = alice_and_bob()
    bye = on_the_wire(alice.create_request("BYE"), "192.0.2.1:5060")
    bob.receive_request(bye)
    assert bob.state is DialogState.TERMINATED


def test_terminated_dialog_refuses_requests() -> None:
    alice, bob = alice_and_bob()
    bye = on_the_wire(alice.create_request("BYE"), "192.0.2.1:5060")
    bob.receive_request(bye)
    with pytest.raises(ProtocolError, match="terminated"):
        bob.create_request("INFO")
    with pytest.raises(ProtocolError):
        bob.terminate()
    late = _alice_request("INFO", 314170)
    with pytest.raises(DialogError) as info:
        bob.receive_request(late)
    assert info.value.status_code == 481
    # The 200 to Alice's BYE arrives after her dialog ended: absorbed.
    alice.receive_response(make_response(bye, 200))
    assert alice.state is DialogState.TERMINATED
    assert alice.create_ack(314159).cseq.method == "ACK"  # re-ACK a retransmitted 2xx


def test_481_or_408_to_in_dialog_request_ends_the_dialog() -> None:
    for code in (481, 408):
        alice, _ = alice_and_bob()
        info = on_the_wire(alice.create_request("INFO"), "192.0.2.1:5060")
        alice.receive_response(make_response(info, code))
        assert alice.state is DialogState.TERMINATED, code
    alice, _ = alice_and_bob()
    info = on_the_wire(alice.create_request("INFO"), "192.0.2.1:5060")
    alice.receive_response(make_response(info, 500))
    assert alice.state is DialogState.CONFIRMED


def test_message_of_another_dialog_is_a_caller_bug() -> None:
    alice, bob = alice_and_bob()
    other = _alice_request("INFO", 314160)
    other.headers.set("Call-ID", "someone-else@example.com")
    with pytest.raises(ProtocolError, match="given to dialog"):
        bob.receive_request(other)
    with pytest.raises(ProtocolError):
        alice.receive_request(_alice_request("INFO", 314160))  # Alice's own request


def test_create_request_refuses_ack_cancel_and_bodies_without_type() -> None:
    alice, _ = alice_and_bob()
    for method in ("ACK", "CANCEL"):
        with pytest.raises(ValueError, match=method):
            alice.create_request(method)
    with pytest.raises(ValueError, match="content_type"):
        alice.create_request("INFO", body=b"x")
    assert alice.local_seq == 314159


def test_transition_table_shape() -> None:
    assert not any(state is DialogState.TERMINATED for state, _ in TRANSITIONS)
    assert TRANSITIONS[(DialogState.EARLY, DialogInput.SUCCESS)] is DialogState.CONFIRMED
    assert (DialogState.CONFIRMED, DialogInput.PROVISIONAL) not in TRANSITIONS
    assert (DialogState.CONFIRMED, DialogInput.FAILURE) not in TRANSITIONS


def test_transitions_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    alice, _ = alice_and_bob()
    with caplog.at_level("DEBUG", logger="switchboard.sip.dialog"):
        alice.create_request("BYE")
    assert any("Confirmed -> Terminated" in r.getMessage() for r in caplog.records)


# --- session timers (RFC 4028) ------------------------------------------------------------------


def _invite(*headers: str) -> Request:
    text = INVITE_RECEIVED.replace(b"Supported: timer\r\n", b"").replace(
        b"Session-Expires: 1800\r\n", b"")
    extra = "".join(f"{h}\r\n" for h in headers).encode()
    return parse_request(text.replace(b"Content-Type:", extra + b"Content-Type:", 1))


def test_parse_session_expires_and_min_se() -> None:
    assert parse_session_expires("1800") == SessionExpires(1800)
    assert parse_session_expires("4000;refresher=UAS") == SessionExpires(4000, "uas")
    value = parse_session_expires(" 90 ; x=1;refresher=uac")
    assert value == SessionExpires(90, "uac", (("x", "1"),))
    assert value.serialize() == "90;refresher=uac;x=1"
    assert parse_min_se("120;foo") == 120
    for bad in ("", "abc", "1800;refresher=both", "1800 1", "99999999999"):
        with pytest.raises(ParseError):
            parse_session_expires(bad)
    with pytest.raises(ParseError):
        parse_min_se("-5")


def test_session_expires_too_small_gets_422_with_min_se() -> None:
    invite = _invite("Supported: timer", "Session-Expires: 60")
    answer = session_timer_answer(invite, min_se=300, to_tag="t1")
    assert isinstance(answer, Response)
    assert answer.status_code == 422
    assert answer.reason == "Session Interval Too Small"
    assert answer.headers.get("Min-SE") == "300"
    assert answer.to.tag == "t1"
    assert parse_response(answer.serialize()).headers.get("Min-SE") == "300"
    with pytest.raises(ValueError, match="to_tag"):
        session_timer_answer(invite, min_se=300)


def test_too_small_without_uac_support_is_raised_not_rejected() -> None:
    invite = _invite("Session-Expires: 60")  # inserted by a proxy; the UAC knows nothing
    assert session_timer_answer(invite, min_se=300) == (
        ("Session-Expires", "300;refresher=uas"),
    )


@pytest.mark.parametrize(
    ("headers", "kwargs", "expected"),
    [
        # UAC supports timers, names no refresher: ours (default uac), Require: timer.
        (("Supported: timer", "Session-Expires: 1800"), {},
         (("Session-Expires", "1800;refresher=uac"), ("Require", "timer"))),
        (("Supported: timer", "Session-Expires: 1800"), {"refresher": "uas"},
         (("Session-Expires", "1800;refresher=uas"), ("Require", "timer"))),
        # The UAC chose: it is kept whatever we prefer (table 2).
        (("Supported: 100rel, timer", "Session-Expires: 1800;refresher=uas"), {},
         (("Session-Expires", "1800;refresher=uas"), ("Require", "timer"))),
        (("Supported: timer", "Session-Expires: 1800;refresher=uac"), {"refresher": "uas"},
         (("Session-Expires", "1800;refresher=uac"), ("Require", "timer"))),
        # No support: we refresh, and do not Require timer.
        (("Session-Expires: 1800",), {"refresher": "uac"},
         (("Session-Expires", "1800;refresher=uas"),)),
        # Our preference may shorten the interval, never below either Min-SE.
        (("Supported: timer", "Session-Expires: 1800"), {"session_expires": 600},
         (("Session-Expires", "600;refresher=uac"), ("Require", "timer"))),
        (("Supported: timer", "Session-Expires: 1800", "Min-SE: 900"),
         {"session_expires": 600},
         (("Session-Expires", "900;refresher=uac"), ("Require", "timer"))),
        (("Supported: timer", "Session-Expires: 600"), {"session_expires": 1800},
         (("Session-Expires", "600;refresher=uac"), ("Require", "timer"))),
        # No Session-Expires: no timer unless we want one.
        (("Supported: timer",), {}, ()),
        (("Supported: timer",), {"session_expires": 1200},
         (("Session-Expires", "1200;refresher=uac"), ("Require", "timer"))),
        ((), {"session_expires": 1200}, (("Session-Expires", "1200;refresher=uas"),)),
    ],
)
def test_session_timer_answer_refresher_and_interval(
    headers: tuple[str, ...], kwargs: dict[str, object], expected: tuple[tuple[str, str], ...]
) -> None:
    assert session_timer_answer(_invite(*headers), **kwargs) == expected  # type: ignore[arg-type]


def test_session_timer_answer_rejects_a_local_min_below_one_second() -> None:
    with pytest.raises(ValueError, match="at least 1 second"):
        session_timer_answer(_invite(), min_se=0)


def test_a_local_min_below_90_is_for_tests_and_applies_without_min_se() -> None:
    # Below the RFC's 90 s only when configured so (tests); a request without Min-SE is then
    # held to our minimum rather than to 90.
    assert session_timer_answer(_invite("Supported: timer", "Session-Expires: 6"),
                                min_se=4) == (("Session-Expires", "6;refresher=uac"),
                                              ("Require", "timer"))
    refused = session_timer_answer(_invite("Supported: timer", "Session-Expires: 3"),
                                   min_se=4, to_tag="t1")
    assert isinstance(refused, Response) and refused.status_code == 422
    assert refused.headers.get("Min-SE") == "4"
    # With the RFC minimum nothing changes: no Min-SE still means 90.
    assert session_timer_answer(_invite("Session-Expires: 30")) == (
        ("Session-Expires", "90;refresher=uas"),)


def test_session_timer_headers_fit_the_uas_2xx() -> None:
    invite = parse_request(INVITE_RECEIVED)
    answer = session_timer_answer(invite)
    assert not isinstance(answer, Response)
    ok = bob_ok(invite)
    for name, value in answer:
        ok.headers.add(name, value)
    reparsed = parse_response(ok.serialize())
    se = parse_session_expires(reparsed.headers.get("x") or "")
    assert se == SessionExpires(1800, "uac")
    assert reparsed.headers.get("Require") == "timer"
