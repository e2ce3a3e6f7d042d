"""Transaction state machines on a virtual clock with scripted loss (RFC 3261 §17, RFC 6026)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from switchboard.sip.errors import ProtocolError
from switchboard.sip.headers import Headers
from switchboard.sip.message import Request, Response, make_response
from switchboard.sip.parser import parse_message
from switchboard.sip.timers import TimerConfig
from switchboard.sip.transaction import (
    AckReceived,
    Event,
    InviteClientTransaction,
    InviteServerTransaction,
    NonInviteClientTransaction,
    NonInviteServerTransaction,
    ResponseReceived,
    Terminated,
    TimedOut,
    Transaction,
    TransportError,
    TxState,
    Waiting,
    client_key,
    server_key,
    waiting,
)
from switchboard.sip.transaction import build_ack as build_ack_for
from switchboard.sip.uri import SipURI


def make_request(method: str, branch: str = "z9hG4bKtx1", cseq: int = 1) -> Request:
    headers = Headers()
    headers.add("Via", f"SIP/2.0/UDP alice.example.com:5060;branch={branch}")
    headers.add("Max-Forwards", "70")
    headers.add("From", "<sip:alice@example.com>;tag=a1")
    headers.add("To", "<sip:bob@example.com>")
    headers.add("Call-ID", "call-1@alice.example.com")
    headers.add("CSeq", f"{cseq} {method}")
    headers.add("Route", "<sip:proxy.example.com;lr>")
    return Request(method=method, uri=SipURI(user="bob", host="example.com"), headers=headers)


def drain(tx: Transaction) -> list[Event]:
    events = []
    while (event := tx.next_event()) is not None:
        events.append(event)
    return events


ServerFactory = Callable[[Request, float], Transaction]


@dataclass
class Network:
    """A client transaction and the server side wired in memory, on a virtual clock.

    Messages are delivered instantly (after a serialize / parse round trip, so that the bytes
    are what travels).  ``drop_requests`` / ``drop_responses`` hold the 0-based indices of the
    messages, per direction, that the network loses.
    """

    client: Transaction
    server_class: type[InviteServerTransaction] | type[NonInviteServerTransaction]
    on_server_request: Callable[[Transaction, float], None] = lambda tx, now: None
    drop_requests: set[int] = field(default_factory=set)
    drop_responses: set[int] = field(default_factory=set)
    reliable: bool = False
    now: float = 0.0
    server: Transaction | None = None
    sent: list[tuple[float, str, str]] = field(default_factory=list)
    client_events: list[Event] = field(default_factory=list)
    server_events: list[Event] = field(default_factory=list)
    _requests: int = 0
    _responses: int = 0

    def flush(self) -> None:
        moved = True
        while moved:
            moved = False
            for message in self.client.take_outgoing():
                moved = True
                self.sent.append((self.now, "->", message.start_line()))
                index, self._requests = self._requests, self._requests + 1
                if index not in self.drop_requests:
                    self.deliver_to_server(parse_message(message.serialize()))
            if self.server is not None:
                for message in self.server.take_outgoing():
                    moved = True
                    self.sent.append((self.now, "<-", message.start_line()))
                    index, self._responses = self._responses, self._responses + 1
                    if index not in self.drop_responses:
                        response = parse_message(message.serialize())
                        assert isinstance(response, Response)
                        assert client_key(response) == self.client.key
                        assert isinstance(
                            self.client, InviteClientTransaction | NonInviteClientTransaction
                        )
                        self.client.receive_response(response, self.now)
            self.client_events += drain(self.client)
            if self.server is not None:
                self.server_events += drain(self.server)

    def deliver_to_server(self, request: Request) -> None:
        assert isinstance(request, Request)
        if self.server is None:
            self.server = self.server_class(request, now=self.now, reliable=self.reliable)
            self.on_server_request(self.server, self.now)
        else:
            assert server_key(request) == self.server.key
            assert isinstance(self.server, InviteServerTransaction | NonInviteServerTransaction)
            self.server.receive_request(request, self.now)

    def deadlines(self) -> list[float]:
        txs = [self.client] + ([self.server] if self.server is not None else [])
        return [d for tx in txs if (d := tx.get_timer()) is not None]

    def run(self, until: float) -> None:
        """Step the clock from deadline to deadline up to ``until``."""
        self.flush()
        while (deadlines := self.deadlines()) and min(deadlines) <= until:
            self.now = min(deadlines)
            self.client.handle_timer(self.now)
            if self.server is not None:
                self.server.handle_timer(self.now)
            self.flush()
        self.now = until

    def times(self, direction: str, start: str) -> list[float]:
        return [t for t, d, line in self.sent if d == direction and line.startswith(start)]


def codes(events: list[Event]) -> list[int]:
    return [e.response.status_code for e in events if isinstance(e, ResponseReceived)]


# ---------------------------------------------------------------------------------------------
# INVITE


def test_invite_survives_two_lost_requests() -> None:
    def answer(tx: Transaction, now: float) -> None:
        assert isinstance(tx, InviteServerTransaction)
        tx.send_response(make_response(tx.request, 180, to_tag="b1"), now)
        tx.send_response(make_response(tx.request, 200, to_tag="b1"), now)

    net = Network(InviteClientTransaction(make_request("INVITE"), now=0.0),
                  InviteServerTransaction, answer, drop_requests={0, 1})
    net.run(until=2.0)
    assert net.times("->", "INVITE") == [0.0, 0.5, 1.5]  # Timer A: T1, then 2*T1
    assert codes(net.client_events) == [180, 200]
    assert net.client.state is TxState.ACCEPTED
    assert net.server is not None and net.server.state is TxState.ACCEPTED
    # The TU's ACK for the 2xx reaches the server transaction and is passed up (RFC 6026).
    ack = make_request("ACK")
    net.deliver_to_server(parse_message(ack.serialize()))  # type: ignore[arg-type]
    net.flush()
    assert [type(e) for e in net.server_events] == [AckReceived]
    net.run(until=40.0)
    assert net.client.terminated and net.server.terminated
    assert net.client.state is TxState.TERMINATED
    assert [e for e in net.client_events if isinstance(e, Terminated)] == [
        Terminated(previous=TxState.ACCEPTED)]


def test_timer_b_times_out_as_408() -> None:
    net = Network(InviteClientTransaction(make_request("INVITE"), now=0.0),
                  InviteServerTransaction, drop_requests=set(range(100)))
    net.run(until=100.0)
    assert net.times("->", "INVITE") == [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    timeouts = [e for e in net.client_events if isinstance(e, TimedOut)]
    assert timeouts == [TimedOut(timer="B")]
    assert timeouts[0].status_code == 408
    assert isinstance(net.client_events[-1], Terminated)
    assert net.client.get_timer() is None


def test_non_2xx_is_acked_by_the_client_transaction_and_retransmissions_absorbed() -> None:
    def busy(tx: Transaction, now: float) -> None:
        assert isinstance(tx, InviteServerTransaction)
        tx.send_response(make_response(tx.request, 486, to_tag="b1"), now)

    # Lost: the first 486, then at 0.5 both the INVITE retransmission (Timer A fires at the
    # same instant as the server's Timer G) and the first ACK.
    net = Network(InviteClientTransaction(make_request("INVITE"), now=0.0),
                  InviteServerTransaction, busy, drop_responses={0}, drop_requests={1, 2})
    net.run(until=0.6)
    # Timer G at 0.5 retransmits the 486; the client ACKs it (that ACK is lost).
    assert net.times("->", "INVITE") == [0.0, 0.5]
    assert net.times("<-", "SIP/2.0 486") == [0.0, 0.5]
    assert net.times("->", "ACK") == [0.5]
    assert codes(net.client_events) == [486]
    assert net.client.state is TxState.COMPLETED
    net.run(until=2.0)
    # G doubles to 1.0: the 486 again at 1.5; the client re-sends the ACK, not passing the 486.
    assert net.times("<-", "SIP/2.0 486") == [0.0, 0.5, 1.5]
    assert net.times("->", "ACK") == [0.5, 1.5]
    assert codes(net.client_events) == [486]
    assert net.server is not None and net.server.state is TxState.CONFIRMED
    # Timer I (T4) ends the server at 6.5, Timer D (32 s) the client at 32.5.
    net.run(until=6.4)
    assert not net.server.terminated
    net.run(until=6.5)
    assert net.server.terminated
    net.run(until=32.4)
    assert not net.client.terminated
    net.run(until=32.5)
    assert net.client.terminated
    ack = net.client.ack  # type: ignore[attr-defined]
    assert ack is not None and ack.to.tag == "b1" and ack.cseq.method == "ACK"


def test_timer_h_when_no_ack_arrives() -> None:
    def busy(tx: Transaction, now: float) -> None:
        assert isinstance(tx, InviteServerTransaction)
        tx.send_response(make_response(tx.request, 503, to_tag="b1"), now)

    net = Network(InviteClientTransaction(make_request("INVITE"), now=0.0),
                  InviteServerTransaction, busy, drop_requests=set(range(1, 100)))
    net.run(until=40.0)
    assert net.times("<-", "SIP/2.0 503") == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5,
                                               23.5, 27.5, 31.5]  # G capped at T2
    assert TimedOut(timer="H") in net.server_events
    assert net.server is not None and net.server.terminated


def test_server_sends_100_trying_when_the_tu_is_slow() -> None:
    server = InviteServerTransaction(make_request("INVITE"), now=10.0)
    assert server.get_timer() == pytest.approx(10.2)
    server.handle_timer(10.2)
    (trying,) = server.take_outgoing()
    assert isinstance(trying, Response) and trying.status_code == 100
    server.receive_request(make_request("INVITE"), 10.5)  # retransmission: repeat the 100
    assert server.take_outgoing() == [trying]
    quick = InviteServerTransaction(make_request("INVITE"), now=0.0)
    quick.send_response(make_response(quick.request, 180, to_tag="x"), 0.1)
    quick.handle_timer(0.3)
    assert [m.start_line() for m in quick.take_outgoing()] == ["SIP/2.0 180 Ringing"]


def test_accepted_server_absorbs_invite_retransmissions_and_relays_2xx() -> None:
    server = InviteServerTransaction(make_request("INVITE"), now=0.0)
    ok = make_response(server.request, 200, to_tag="b1")
    server.send_response(ok, 0.0)
    assert server.take_outgoing() == [ok]
    server.receive_request(make_request("INVITE"), 0.5)
    assert server.take_outgoing() == []  # absorbed; the TU core retransmits 2xx itself
    server.send_response(ok, 0.5)
    assert server.take_outgoing() == [ok]
    with pytest.raises(ProtocolError, match="TU sends 300-699 is not allowed in state Accepted"):
        server.send_response(make_response(server.request, 486), 0.6)


# ---------------------------------------------------------------------------------------------
# Non-INVITE


def test_non_invite_retransmissions_cap_at_t2_then_timer_f() -> None:
    net = Network(NonInviteClientTransaction(make_request("OPTIONS"), now=0.0),
                  NonInviteServerTransaction, drop_requests=set(range(100)))
    net.run(until=100.0)
    assert net.times("->", "OPTIONS") == [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5,
                                          27.5, 31.5]
    assert TimedOut(timer="F") in net.client_events
    assert net.client.terminated


def test_non_invite_proceeding_retransmits_every_t2_and_server_repeats_provisional() -> None:
    def provisional(tx: Transaction, now: float) -> None:
        assert isinstance(tx, NonInviteServerTransaction)
        tx.send_response(make_response(tx.request, 100), now)

    net = Network(NonInviteClientTransaction(make_request("REGISTER"), now=0.0),
                  NonInviteServerTransaction, provisional)
    net.run(until=9.0)
    assert net.client.state is TxState.PROCEEDING
    assert net.times("->", "REGISTER") == [0.0, 0.5, 4.5, 8.5]
    assert net.times("<-", "SIP/2.0 100") == [0.0, 0.5, 4.5, 8.5]
    assert codes(net.client_events) == [100, 100, 100, 100]
    server = net.server
    assert isinstance(server, NonInviteServerTransaction)
    server.send_response(make_response(server.request, 200, to_tag="r1"), 9.0)
    net.flush()
    assert codes(net.client_events)[-1] == 200
    assert net.client.state is TxState.COMPLETED
    net.run(until=14.0)  # Timer K = T4
    assert net.client.terminated
    assert not server.terminated
    net.run(until=41.0)  # Timer J = 64*T1
    assert server.terminated


def test_non_invite_server_absorbs_in_trying_and_repeats_final() -> None:
    server = NonInviteServerTransaction(make_request("BYE"), now=0.0)
    server.receive_request(make_request("BYE"), 0.1)
    assert server.take_outgoing() == []
    ok = make_response(server.request, 200)
    server.send_response(ok, 0.2)
    server.receive_request(make_request("BYE"), 0.7)
    assert server.take_outgoing() == [ok, ok]
    with pytest.raises(ProtocolError, match="NIST transaction: TU sends 1xx"):
        server.send_response(make_response(server.request, 180), 0.8)


def test_reliable_transport_has_no_retransmissions_and_zero_wait_timers() -> None:
    def busy(tx: Transaction, now: float) -> None:
        assert isinstance(tx, InviteServerTransaction)
        tx.send_response(make_response(tx.request, 486, to_tag="b1"), now)

    net = Network(InviteClientTransaction(make_request("INVITE"), now=0.0, reliable=True),
                  InviteServerTransaction, busy, reliable=True)
    net.run(until=0.0)
    assert net.times("->", "INVITE") == [0.0]
    assert net.times("<-", "SIP/2.0 486") == [0.0]
    assert net.client.terminated and net.server is not None and net.server.terminated

    lost = Network(NonInviteClientTransaction(make_request("OPTIONS"), now=0.0, reliable=True),
                   NonInviteServerTransaction, drop_requests={0}, reliable=True)
    lost.run(until=100.0)
    assert lost.times("->", "OPTIONS") == [0.0]
    assert TimedOut(timer="F") in lost.client_events


def test_transport_error_terminates_and_clears_timers() -> None:
    client = InviteClientTransaction(make_request("INVITE"), now=0.0)
    client.transport_error(0.1, "ICMP unreachable")
    assert drain(client) == [TransportError(reason="ICMP unreachable"),
                             Terminated(previous=TxState.CALLING)]
    assert client.get_timer() is None
    client.receive_response(make_response(make_request("INVITE"), 200), 0.2)  # absorbed
    assert drain(client) == []


def test_constructors_refuse_wrong_methods() -> None:
    with pytest.raises(ValueError):
        InviteClientTransaction(make_request("BYE"), now=0.0)
    with pytest.raises(ValueError):
        NonInviteClientTransaction(make_request("INVITE"), now=0.0)
    with pytest.raises(ValueError):
        NonInviteServerTransaction(make_request("ACK"), now=0.0)


def test_custom_timer_values() -> None:
    config = TimerConfig(t1=0.1, t2=0.4, t4=1.0)
    client = NonInviteClientTransaction(make_request("OPTIONS"), now=0.0, timers=config)
    times = []
    now = 0.0
    while not client.terminated:
        deadline = client.get_timer()
        assert deadline is not None
        now = deadline
        client.handle_timer(now)
        if client.take_outgoing():
            times.append(round(now, 3))
    assert times == [0.1, 0.3, 0.7, 1.1, 1.5, 1.9, 2.3, 2.7, 3.1, 3.5, 3.9, 4.3, 4.7, 5.1,
                     5.5, 5.9, 6.3]
    assert now == pytest.approx(6.4)


# ---------------------------------------------------------------------------------------------
# Matching and the ACK


def test_server_key_matches_ack_to_invite_and_keeps_cancel_apart() -> None:
    invite = make_request("INVITE")
    ack = make_request("ACK")
    cancel = make_request("CANCEL")
    assert server_key(ack) == server_key(invite)
    assert server_key(cancel) != server_key(invite)
    other = make_request("INVITE")
    other.headers.set("Via", "SIP/2.0/UDP mallory.example.com;branch=z9hG4bKtx1")
    assert server_key(other) != server_key(invite)


def test_rfc2543_fallback_key_for_bare_magic_cookie() -> None:
    invite = make_request("INVITE", branch="z9hG4bK")
    assert invite.top_via.is_rfc3261_branch is False
    key = server_key(invite)
    assert key.branch.startswith("rfc2543|sip:bob@example.com|a1|call-1@")
    assert server_key(make_request("ACK", branch="z9hG4bK")) == key
    assert server_key(make_request("INVITE", branch="z9hG4bK", cseq=2)) != key


def test_ack_built_per_rfc3261_17_1_1_3() -> None:
    invite = make_request("INVITE")
    invite.headers.add("Via", "SIP/2.0/UDP second.example.com;branch=z9hG4bKsecond")
    response = make_response(invite, 404, to_tag="t9")
    ack = build_ack_for(invite, response)
    assert ack.method == "ACK" and ack.uri == invite.uri
    assert ack.headers.get_all("Via") == [invite.headers.get_all("Via")[0]]
    assert ack.to.tag == "t9"
    assert ack.from_ == invite.from_ and ack.call_id == invite.call_id
    assert (ack.cseq.number, ack.cseq.method) == (1, "ACK")
    assert ack.headers.get_all("Route") == ["<sip:proxy.example.com;lr>"]
    assert parse_message(ack.serialize()) == ack


def test_every_transition_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="switchboard.sip.transaction")
    client = InviteClientTransaction(make_request("INVITE"), now=0.0)
    client.receive_response(make_response(client.request, 180, to_tag="b"), 0.1)
    client.receive_response(make_response(client.request, 180, to_tag="b"), 0.2)
    messages = [r.getMessage() for r in caplog.records]
    assert any("Calling -> Proceeding on 1xx received" in m for m in messages)
    assert any("Proceeding -> Proceeding on 1xx received" in m for m in messages)
    client.receive_response(make_response(client.request, 100), 0.3)
    client.handle_timer(0.5)  # Timer A was cancelled on leaving Calling: nothing fires
    assert client.take_outgoing() == [client.request]


# ---------------------------------------------------------------------------------------------
# Wait states (what an adapter may keep instead of the machine)


def test_waiting_names_the_two_wait_states_and_only_over_udp() -> None:
    bye = NonInviteServerTransaction(make_request("BYE"), now=0.0)
    assert waiting(bye) is None  # Trying: the TU still has to answer
    ok = make_response(bye.request, 200, to_tag="b1")
    bye.send_response(ok, 1.0)
    assert waiting(bye) is Waiting.RESEND
    bye.receive_request(make_request("BYE"), 2.0)  # the row RESEND stands for
    assert bye.take_outgoing() == [ok, ok]
    assert bye.get_timer() == pytest.approx(33.0)  # Timer J: the deadline of the wait
    invite = InviteServerTransaction(make_request("INVITE"), now=0.0)
    assert waiting(invite) is None
    invite.send_response(make_response(invite.request, 180, to_tag="b1"), 0.1)
    assert waiting(invite) is None  # Proceeding
    invite.send_response(make_response(invite.request, 200, to_tag="b1"), 0.2)
    assert waiting(invite) is Waiting.ABSORB
    assert invite.get_timer() == pytest.approx(32.2)  # Timer L
    failed = InviteServerTransaction(make_request("INVITE"), now=0.0)
    failed.send_response(make_response(failed.request, 486, to_tag="b1"), 0.1)
    assert waiting(failed) is None  # Completed: Timer G retransmits, an ACK confirms
    tcp = NonInviteServerTransaction(make_request("BYE"), now=0.0, reliable=True)
    tcp.send_response(make_response(tcp.request, 200, to_tag="b1"), 0.1)
    assert waiting(tcp) is None


def test_a_given_key_is_the_transactions_key() -> None:
    request = make_request("INVITE")
    key = server_key(request)
    assert InviteServerTransaction(request, now=0.0, key=key).key is key
    assert InviteServerTransaction(request, now=0.0).key == key
