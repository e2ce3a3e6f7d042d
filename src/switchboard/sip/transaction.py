"""The four SIP transaction state machines (RFC 3261 §17, as updated by RFC 6026), sans I/O.

Theory of operation
-------------------
A transaction is one request and its responses.  Each machine below is a table
``(state, input) -> (next state, action)``; :meth:`Transaction._fire` looks the pair up, logs
the transition, switches state and runs the action.  Inputs come from three places:

* the network — ``receive_response`` (client) / ``receive_request`` (server, retransmissions and
  ACK) and ``transport_error``;
* the transaction user (TU) — ``send_response`` on server transactions;
* time — ``handle_timer(now)`` fires the timers whose deadline has passed; ``get_timer()`` tells
  the adapter when to call it next.  Timer names are the RFC's (A-K, plus L and M of RFC 6026).

Outputs are drained by the adapter: :meth:`Transaction.take_outgoing` gives the messages to
send (first transmissions, retransmissions, the ACK for a non-2xx final response, automatic
100 Trying), :meth:`Transaction.next_event` the events for the TU (:class:`ResponseReceived`,
:class:`AckReceived`, :class:`TimedOut`, :class:`TransportError`, :class:`Terminated`).

A network input with no table entry is absorbed (logged, nothing else): peers may send anything
at any time.  A TU input with no entry raises :class:`~switchboard.sip.errors.ProtocolError`:
that is a bug in the caller.  Timers are cancelled on every exit they no longer apply to, and all
of them on termination.  Over reliable transports the retransmission timers (A, E, G) are never
armed and the wait timers (D, I, J, K) are zero, as the RFC specifies.

Most of a server transaction's life over UDP is a wait: 64*T1 in Completed (non-INVITE, Timer
J) or Accepted (INVITE answered 2xx, Timer L) for retransmissions of its request.  :func:`waiting`
tells the adapter when a transaction has reached such a state, in which the table above leaves it
only three things to do (see :class:`Waiting`), so that the adapter can keep a few immutable
values instead of the whole machine, its request and its response, for those 32 s.

RFC 6026 is followed rather than RFC 3261's original text for 2xx to INVITE: the client goes to
"Accepted" (Timer M) so that 2xx retransmissions and forked 2xx still reach the TU, and the server
goes to "Accepted" (Timer L) so that INVITE retransmissions are absorbed rather than creating a
new transaction, and the ACK is passed up.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Final, NamedTuple, TypeAlias

from .errors import ProtocolError
from .headers import Headers
from .message import Request, Response, make_response
from .timers import DEFAULT_TIMERS, TimerConfig

__all__ = [
    "AckReceived",
    "Event",
    "InviteClientTransaction",
    "InviteServerTransaction",
    "NonInviteClientTransaction",
    "NonInviteServerTransaction",
    "ResponseReceived",
    "Terminated",
    "TimedOut",
    "Transaction",
    "TransactionKey",
    "TransportError",
    "TxState",
    "Waiting",
    "client_key",
    "server_key",
    "waiting",
]

logger = logging.getLogger(__name__)

MAGIC_COOKIE = "z9hG4bK"


class TxState(enum.Enum):
    """Transaction states (RFC 3261 figures 5-8, RFC 6026 figures 5 and 7)."""

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"


class Input(enum.Enum):
    """What can happen to a transaction."""

    RECV_1XX = "1xx received"
    RECV_2XX = "2xx received"
    RECV_FAILURE = "300-699 received"
    RECV_REQUEST = "request retransmission received"
    RECV_ACK = "ACK received"
    TU_1XX = "TU sends 1xx"
    TU_2XX = "TU sends 2xx"
    TU_FAILURE = "TU sends 300-699"
    TRANSPORT_ERROR = "transport error"
    TIMER_A = "Timer A"
    TIMER_B = "Timer B"
    TIMER_D = "Timer D"
    TIMER_E = "Timer E"
    TIMER_F = "Timer F"
    TIMER_G = "Timer G"
    TIMER_H = "Timer H"
    TIMER_I = "Timer I"
    TIMER_J = "Timer J"
    TIMER_K = "Timer K"
    TIMER_L = "Timer L"
    TIMER_M = "Timer M"
    TIMER_TRYING = "100 Trying timer"


_TU_INPUTS = frozenset({Input.TU_1XX, Input.TU_2XX, Input.TU_FAILURE})
_TIMER_INPUTS = {i.value.removeprefix("Timer "): i for i in Input if i.name.startswith("TIMER_")}
_TIMER_INPUTS["trying"] = Input.TIMER_TRYING


# ---------------------------------------------------------------------------------------------
# Events


# The events are values with Final fields and an explicit __init__, like the header values
# (see switchboard.sip.values.Via): one or two are made per transaction.


@dataclass(slots=True, kw_only=True, init=False, unsafe_hash=True)
class ResponseReceived:
    """A response for the TU (client transactions)."""

    #: The response; retransmissions absorbed by the transaction are not reported.
    response: Final[Response]

    def __init__(self, *, response: Response) -> None:
        self.response = response


@dataclass(slots=True, kw_only=True, init=False, unsafe_hash=True)
class AckReceived:
    """An ACK for a 2xx, passed to the TU by an INVITE server transaction (RFC 6026 §8.7)."""

    #: The ACK request.
    request: Final[Request]

    def __init__(self, *, request: Request) -> None:
        self.request = request


@dataclass(frozen=True, slots=True, kw_only=True)
class TimedOut:
    """Timer B, F or H fired.  A client TU treats it as a 408 (RFC 3261 §8.1.3.1)."""

    #: "B", "F" or "H".
    timer: str

    @property
    def status_code(self) -> int:
        """408 Request Timeout, the response a client TU acts as if it had received."""
        return 408


@dataclass(frozen=True, slots=True, kw_only=True)
class TransportError:
    """The transport failed to send a message of this transaction (RFC 3261 §17.1.4, §17.2.4)."""

    #: What the adapter reported.
    reason: str = ""


@dataclass(slots=True, kw_only=True, init=False, unsafe_hash=True)
class Terminated:
    """The transaction reached the Terminated state and can be forgotten."""

    #: The state it terminated from.
    previous: Final[TxState]

    def __init__(self, *, previous: TxState) -> None:
        self.previous = previous


Event: TypeAlias = ResponseReceived | AckReceived | TimedOut | TransportError | Terminated


# ---------------------------------------------------------------------------------------------
# Matching


class TransactionKey(NamedTuple):
    """What identifies a transaction (RFC 3261 §17.1.3, §17.2.3).

    For RFC 3261 branches: (branch, sent-by, method); for RFC 2543 peers the branch is replaced
    by the fields of §17.2.3's fallback.  ACK maps to INVITE on the server side.  A named tuple:
    it is looked up in a dict for every message, and a tuple hashes and compares in C.
    """

    branch: str
    sent_by: tuple[str, int | None] | None
    method: str


def client_key(message: Request | Response) -> TransactionKey:
    """The client-side key: top Via branch and CSeq method (§17.1.3)."""
    via = message.top_via
    return TransactionKey(via.branch or "", None, message.cseq.method)


def server_key(request: Request) -> TransactionKey:
    """The server-side key for an incoming request (§17.2.3).

    With an RFC 3261 branch (magic cookie followed by an id): branch, sent-by and method, ACK
    counting as INVITE.  Otherwise (RFC 2543 peers, or a bare ``z9hG4bK`` as in RFC 4475 §3.2.1)
    the fallback: Request-URI, From tag, Call-ID, CSeq number and top Via stand in for the branch.
    The To tag the RFC also lists is left out so that the ACK, whose To carries the tag of our
    response, matches its INVITE.
    """
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    if via.is_rfc3261_branch:
        assert via.branch is not None
        return TransactionKey(via.branch, via.sent_by, method)
    legacy = "|".join((
        "rfc2543", request.uri.serialize(), request.from_.tag or "", request.call_id,
        str(request.cseq.number), via.serialize(),
    ))
    return TransactionKey(legacy, via.sent_by, method)


# ---------------------------------------------------------------------------------------------
# Base machine

Action: TypeAlias = Callable[["Transaction", float, "Request | Response | None"], None]
Table: TypeAlias = dict[tuple[TxState, Input], tuple[TxState, Action]]


class Transaction:
    """Behaviour shared by the four machines: the table walk, timers and output queues."""

    TABLE: ClassVar[Table]
    KIND: ClassVar[str]

    def __init__(self, request: Request, *, reliable: bool, initial: TxState,
                 timers: TimerConfig, key: TransactionKey | None = None) -> None:
        #: The request that created the transaction.
        self.request = request
        #: True over TCP / TLS / SCTP / WS: no retransmissions, zero wait timers.
        self.reliable = reliable
        self.config = timers
        self._state = initial
        #: Armed timers: name -> deadline (at most one per name).
        self._timers: dict[str, float] = {}
        self._events: list[Event] = []
        self._outgoing: list[Request | Response] = []
        self._interval = timers.t1
        self._error_reason = ""
        if key is None:
            key = client_key(request) if isinstance(self, _Client) else server_key(request)
        #: What matches messages to this transaction (:func:`client_key` / :func:`server_key`).
        self.key = key

    @property
    def state(self) -> TxState:
        """The current state."""
        return self._state

    @property
    def terminated(self) -> bool:
        """True once the Terminated state is reached."""
        return self._state is TxState.TERMINATED

    # adapter API ----------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or None."""
        earliest: float | None = None
        for when in self._timers.values():  # a loop: compiled, it beats min()'s generic one
            if earliest is None or when < earliest:
                earliest = when
        return earliest

    def handle_timer(self, now: float) -> None:
        """Fire every timer whose deadline is at or before ``now``, earliest first."""
        timers = self._timers
        while timers:
            # The earliest due timer first (ties by name); an action may re-arm or cancel.
            when, name = min((when, name) for name, when in timers.items())
            if when > now:
                return
            del timers[name]
            self._fire(_TIMER_INPUTS[name], now, None)

    def transport_error(self, now: float, reason: str = "") -> None:
        """The transport could not send one of this transaction's messages."""
        self._error_reason = reason
        self._fire(Input.TRANSPORT_ERROR, now, None)

    def take_outgoing(self) -> list[Request | Response]:
        """Messages to transmit, in order; the queue is emptied."""
        out, self._outgoing = self._outgoing, []
        return out

    def next_event(self) -> Event | None:
        """The next event for the TU, or None."""
        return self._events.pop(0) if self._events else None

    # machinery ------------------------------------------------------------------------------

    def _fire(self, event: Input, now: float, message: Request | Response | None) -> None:
        entry = self.TABLE.get((self._state, event))
        if entry is None:
            if event in _TU_INPUTS:
                raise ProtocolError(
                    f"{self.KIND} transaction: {event.value} is not allowed in state "
                    f"{self._state.value}"
                )
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("%s %s: %s absorbed in %s", self.KIND, self.key.branch, event.value,
                             self._state.value)
            return
        new_state, action = entry
        old_state = self._state
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s: %s -> %s on %s at %.3f", self.KIND, self.key.branch,
                         old_state.value, new_state.value, event.value, now)
        self._state = new_state
        action(self, now, message)
        if new_state is TxState.TERMINATED and old_state is not TxState.TERMINATED:
            self._timers.clear()
            self._events.append(Terminated(previous=old_state))

    def _arm(self, name: str, now: float, duration: float) -> None:
        self._timers[name] = now + duration

    def _send(self, message: Request | Response) -> None:
        self._outgoing.append(message)


class _Client(Transaction):
    def receive_response(self, response: Response, now: float) -> None:
        """A response matched to this transaction by :func:`client_key`."""
        if response.is_provisional:
            event = Input.RECV_1XX
        elif response.is_success:
            event = Input.RECV_2XX
        else:
            event = Input.RECV_FAILURE
        self._fire(event, now, response)


class _Server(Transaction):
    def __init__(self, request: Request, *, reliable: bool, initial: TxState,
                 timers: TimerConfig, key: TransactionKey | None = None) -> None:
        super().__init__(request, reliable=reliable, initial=initial, timers=timers, key=key)
        self.last_response: Response | None = None

    def receive_request(self, request: Request, now: float) -> None:
        """A retransmission of the request, or the ACK, matched by :func:`server_key`."""
        self._fire(Input.RECV_ACK if request.method == "ACK" else Input.RECV_REQUEST, now,
                   request)

    def send_response(self, response: Response, now: float) -> None:
        """The TU's response to the request."""
        if response.is_provisional:
            event = Input.TU_1XX
        elif response.is_success:
            event = Input.TU_2XX
        else:
            event = Input.TU_FAILURE
        self._fire(event, now, response)


# ---------------------------------------------------------------------------------------------
# Actions (shared)


def _noop(tx: Transaction, now: float, message: Request | Response | None) -> None:
    return None


def _cancel(tx: Transaction, *names: str) -> None:
    for name in names:
        tx._timers.pop(name, None)


def _pass_response(tx: Transaction, now: float, message: Request | Response | None) -> None:
    assert isinstance(message, Response)
    tx._events.append(ResponseReceived(response=message))


def _timed_out(name: str) -> Action:
    def action(tx: Transaction, now: float, message: Request | Response | None) -> None:
        tx._events.append(TimedOut(timer=name))

    return action


def _transport_error(tx: Transaction, now: float, message: Request | Response | None) -> None:
    tx._events.append(TransportError(reason=tx._error_reason))


def _send_response(tx: Transaction, now: float, message: Request | Response | None) -> None:
    assert isinstance(message, Response) and isinstance(tx, _Server)
    tx._timers.pop("trying", None)
    tx.last_response = message
    tx._send(message)


def _resend_last_response(tx: Transaction, now: float,
                          message: Request | Response | None) -> None:
    assert isinstance(tx, _Server)
    if tx.last_response is not None:
        tx._send(tx.last_response)


# ---------------------------------------------------------------------------------------------
# INVITE client transaction (RFC 3261 §17.1.1, figure 5; RFC 6026 figure 5)


def _ict_retransmit(tx: Transaction, now: float, message: Request | Response | None) -> None:
    # §17.1.1.2: retransmit, and reset Timer A to twice its previous value (no T2 cap).
    tx._send(tx.request)
    tx._interval *= 2
    tx._arm("A", now, tx._interval)


def _ict_proceed(tx: Transaction, now: float, message: Request | Response | None) -> None:
    _cancel(tx, "A", "B")
    _pass_response(tx, now, message)


def _ict_accept(tx: Transaction, now: float, message: Request | Response | None) -> None:
    _cancel(tx, "A", "B")
    _pass_response(tx, now, message)
    tx._arm("M", now, tx.config.timeout)


def _ict_complete(tx: Transaction, now: float, message: Request | Response | None) -> None:
    assert isinstance(message, Response) and isinstance(tx, InviteClientTransaction)
    _cancel(tx, "A", "B")
    tx.ack = build_ack(tx.request, message)
    tx._send(tx.ack)
    _pass_response(tx, now, message)
    tx._arm("D", now, 0.0 if tx.reliable else tx.config.timer_d)


def _ict_resend_ack(tx: Transaction, now: float, message: Request | Response | None) -> None:
    # §17.1.1.2: a retransmitted final response re-sends the ACK and is not passed up.
    assert isinstance(tx, InviteClientTransaction) and tx.ack is not None
    tx._send(tx.ack)


def build_ack(invite: Request, response: Response) -> Request:
    """The ACK for a non-2xx final response (RFC 3261 §17.1.1.3).

    Request-URI, Call-ID, From, the top Via and CSeq number of the INVITE; To of the response
    (with its tag); the INVITE's Route headers; CSeq method ACK.
    """
    headers = Headers()
    headers.add("Via", invite.headers.get_all("Via")[0])
    headers.add("Max-Forwards", "70")
    for name in ("From",):
        headers.add(name, invite.headers.get_all(name)[0])
    to = response.headers.get("To")
    assert to is not None
    headers.add("To", to)
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq.number} ACK")
    for route in invite.headers.get_all("Route"):
        headers.add("Route", route)
    return Request(method="ACK", uri=invite.uri, headers=headers)


class InviteClientTransaction(_Client):
    """INVITE client transaction (RFC 3261 §17.1.1 with RFC 6026)."""

    KIND = "ICT"
    TABLE: ClassVar[Table] = {
        (TxState.CALLING, Input.TIMER_A): (TxState.CALLING, _ict_retransmit),
        (TxState.CALLING, Input.TIMER_B): (TxState.TERMINATED, _timed_out("B")),
        (TxState.CALLING, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.CALLING, Input.RECV_1XX): (TxState.PROCEEDING, _ict_proceed),
        (TxState.CALLING, Input.RECV_2XX): (TxState.ACCEPTED, _ict_accept),
        (TxState.CALLING, Input.RECV_FAILURE): (TxState.COMPLETED, _ict_complete),
        (TxState.PROCEEDING, Input.RECV_1XX): (TxState.PROCEEDING, _pass_response),
        (TxState.PROCEEDING, Input.RECV_2XX): (TxState.ACCEPTED, _ict_accept),
        (TxState.PROCEEDING, Input.RECV_FAILURE): (TxState.COMPLETED, _ict_complete),
        (TxState.COMPLETED, Input.RECV_FAILURE): (TxState.COMPLETED, _ict_resend_ack),
        (TxState.COMPLETED, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.COMPLETED, Input.TIMER_D): (TxState.TERMINATED, _noop),
        # RFC 6026 §8.4: further 2xx (retransmitted or forked) go to the TU.
        (TxState.ACCEPTED, Input.RECV_2XX): (TxState.ACCEPTED, _pass_response),
        (TxState.ACCEPTED, Input.TIMER_M): (TxState.TERMINATED, _noop),
    }

    def __init__(self, request: Request, *, now: float, reliable: bool = False,
                 timers: TimerConfig = DEFAULT_TIMERS) -> None:
        """Start the transaction: the INVITE is queued for sending at ``now``."""
        if request.method != "INVITE":
            raise ValueError(f"an INVITE client transaction cannot send {request.method}")
        super().__init__(request, reliable=reliable, initial=TxState.CALLING, timers=timers)
        #: The ACK sent for a non-2xx final response, once there is one.
        self.ack: Request | None = None
        self._send(request)
        if not reliable:
            self._arm("A", now, timers.t1)
        self._arm("B", now, timers.timeout)


# ---------------------------------------------------------------------------------------------
# Non-INVITE client transaction (RFC 3261 §17.1.2, figure 6)


def _nict_retransmit_trying(tx: Transaction, now: float,
                            message: Request | Response | None) -> None:
    # §17.1.2.2: retransmit, Timer E = min(2E, T2).
    tx._send(tx.request)
    tx._interval = min(2 * tx._interval, tx.config.t2)
    tx._arm("E", now, tx._interval)


def _nict_retransmit_proceeding(tx: Transaction, now: float,
                                message: Request | Response | None) -> None:
    # §17.1.2.2: in Proceeding, retransmit every T2.
    tx._send(tx.request)
    tx._arm("E", now, tx.config.t2)


def _nict_complete(tx: Transaction, now: float, message: Request | Response | None) -> None:
    _cancel(tx, "E", "F")
    _pass_response(tx, now, message)
    tx._arm("K", now, 0.0 if tx.reliable else tx.config.t4)


class NonInviteClientTransaction(_Client):
    """Non-INVITE client transaction (RFC 3261 §17.1.2)."""

    KIND = "NICT"
    TABLE: ClassVar[Table] = {
        (TxState.TRYING, Input.TIMER_E): (TxState.TRYING, _nict_retransmit_trying),
        (TxState.TRYING, Input.TIMER_F): (TxState.TERMINATED, _timed_out("F")),
        (TxState.TRYING, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.TRYING, Input.RECV_1XX): (TxState.PROCEEDING, _pass_response),
        (TxState.TRYING, Input.RECV_2XX): (TxState.COMPLETED, _nict_complete),
        (TxState.TRYING, Input.RECV_FAILURE): (TxState.COMPLETED, _nict_complete),
        (TxState.PROCEEDING, Input.TIMER_E): (TxState.PROCEEDING, _nict_retransmit_proceeding),
        (TxState.PROCEEDING, Input.TIMER_F): (TxState.TERMINATED, _timed_out("F")),
        (TxState.PROCEEDING, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.PROCEEDING, Input.RECV_1XX): (TxState.PROCEEDING, _pass_response),
        (TxState.PROCEEDING, Input.RECV_2XX): (TxState.COMPLETED, _nict_complete),
        (TxState.PROCEEDING, Input.RECV_FAILURE): (TxState.COMPLETED, _nict_complete),
        (TxState.COMPLETED, Input.TIMER_K): (TxState.TERMINATED, _noop),
    }

    def __init__(self, request: Request, *, now: float, reliable: bool = False,
                 timers: TimerConfig = DEFAULT_TIMERS) -> None:
        """Start the transaction: the request is queued for sending at ``now``."""
        if request.method in ("INVITE", "ACK"):
            raise ValueError(f"a non-INVITE client transaction cannot send {request.method}")
        super().__init__(request, reliable=reliable, initial=TxState.TRYING, timers=timers)
        self._send(request)
        if not reliable:
            self._arm("E", now, timers.t1)
        self._arm("F", now, timers.timeout)


# ---------------------------------------------------------------------------------------------
# INVITE server transaction (RFC 3261 §17.2.1, figure 7; RFC 6026 figure 7)


def _ist_trying(tx: Transaction, now: float, message: Request | Response | None) -> None:
    # §17.2.1: the TU did not answer within 200 ms, so the transaction sends 100 itself.
    assert isinstance(tx, _Server)
    if tx.last_response is None:
        trying = make_response(tx.request, 100)
        tx.last_response = trying
        tx._send(trying)


def _ist_accept(tx: Transaction, now: float, message: Request | Response | None) -> None:
    _send_response(tx, now, message)
    tx._arm("L", now, tx.config.timeout)


def _ist_complete(tx: Transaction, now: float, message: Request | Response | None) -> None:
    _send_response(tx, now, message)
    if not tx.reliable:
        tx._arm("G", now, tx.config.t1)
    tx._arm("H", now, tx.config.timeout)


def _ist_retransmit(tx: Transaction, now: float, message: Request | Response | None) -> None:
    # §17.2.1: retransmit the final response, Timer G = min(2G, T2).
    _resend_last_response(tx, now, message)
    tx._interval = min(2 * tx._interval, tx.config.t2)
    tx._arm("G", now, tx._interval)


def _ist_confirm(tx: Transaction, now: float, message: Request | Response | None) -> None:
    _cancel(tx, "G", "H")
    tx._arm("I", now, 0.0 if tx.reliable else tx.config.t4)


def _ist_pass_ack(tx: Transaction, now: float, message: Request | Response | None) -> None:
    assert isinstance(message, Request)
    tx._events.append(AckReceived(request=message))


class InviteServerTransaction(_Server):
    """INVITE server transaction (RFC 3261 §17.2.1 with RFC 6026)."""

    KIND = "IST"
    TABLE: ClassVar[Table] = {
        (TxState.PROCEEDING, Input.TIMER_TRYING): (TxState.PROCEEDING, _ist_trying),
        (TxState.PROCEEDING, Input.RECV_REQUEST): (TxState.PROCEEDING, _resend_last_response),
        (TxState.PROCEEDING, Input.TU_1XX): (TxState.PROCEEDING, _send_response),
        (TxState.PROCEEDING, Input.TU_2XX): (TxState.ACCEPTED, _ist_accept),
        (TxState.PROCEEDING, Input.TU_FAILURE): (TxState.COMPLETED, _ist_complete),
        (TxState.PROCEEDING, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.COMPLETED, Input.RECV_REQUEST): (TxState.COMPLETED, _resend_last_response),
        (TxState.COMPLETED, Input.TIMER_G): (TxState.COMPLETED, _ist_retransmit),
        (TxState.COMPLETED, Input.RECV_ACK): (TxState.CONFIRMED, _ist_confirm),
        (TxState.COMPLETED, Input.TIMER_H): (TxState.TERMINATED, _timed_out("H")),
        (TxState.COMPLETED, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.CONFIRMED, Input.TIMER_I): (TxState.TERMINATED, _noop),
        # RFC 6026 §7.1, §8.7: retransmitted INVITEs are absorbed, the TU's 2xx retransmissions
        # go out through the transaction, and ACKs for the 2xx are passed to the TU.
        (TxState.ACCEPTED, Input.RECV_REQUEST): (TxState.ACCEPTED, _noop),
        (TxState.ACCEPTED, Input.TU_2XX): (TxState.ACCEPTED, _send_response),
        (TxState.ACCEPTED, Input.RECV_ACK): (TxState.ACCEPTED, _ist_pass_ack),
        (TxState.ACCEPTED, Input.TIMER_L): (TxState.TERMINATED, _noop),
    }

    def __init__(self, request: Request, *, now: float, reliable: bool = False,
                 timers: TimerConfig = DEFAULT_TIMERS, key: TransactionKey | None = None
                 ) -> None:
        """Create the transaction for a received INVITE (state Proceeding).

        ``key`` is the request's :func:`server_key` when the caller has it already.
        """
        if request.method != "INVITE":
            raise ValueError(f"an INVITE server transaction cannot serve {request.method}")
        super().__init__(request, reliable=reliable, initial=TxState.PROCEEDING, timers=timers,
                         key=key)
        self._arm("trying", now, timers.trying_delay)


# ---------------------------------------------------------------------------------------------
# Non-INVITE server transaction (RFC 3261 §17.2.2, figure 8)


def _nist_complete(tx: Transaction, now: float, message: Request | Response | None) -> None:
    _send_response(tx, now, message)
    tx._arm("J", now, 0.0 if tx.reliable else tx.config.timeout)


class NonInviteServerTransaction(_Server):
    """Non-INVITE server transaction (RFC 3261 §17.2.2)."""

    KIND = "NIST"
    TABLE: ClassVar[Table] = {
        # Trying: retransmissions are discarded (no response to repeat yet).
        (TxState.TRYING, Input.RECV_REQUEST): (TxState.TRYING, _noop),
        (TxState.TRYING, Input.TU_1XX): (TxState.PROCEEDING, _send_response),
        (TxState.TRYING, Input.TU_2XX): (TxState.COMPLETED, _nist_complete),
        (TxState.TRYING, Input.TU_FAILURE): (TxState.COMPLETED, _nist_complete),
        (TxState.PROCEEDING, Input.RECV_REQUEST): (TxState.PROCEEDING, _resend_last_response),
        (TxState.PROCEEDING, Input.TU_1XX): (TxState.PROCEEDING, _send_response),
        (TxState.PROCEEDING, Input.TU_2XX): (TxState.COMPLETED, _nist_complete),
        (TxState.PROCEEDING, Input.TU_FAILURE): (TxState.COMPLETED, _nist_complete),
        (TxState.PROCEEDING, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.COMPLETED, Input.RECV_REQUEST): (TxState.COMPLETED, _resend_last_response),
        (TxState.COMPLETED, Input.TRANSPORT_ERROR): (TxState.TERMINATED, _transport_error),
        (TxState.COMPLETED, Input.TIMER_J): (TxState.TERMINATED, _noop),
    }

    def __init__(self, request: Request, *, now: float, reliable: bool = False,
                 timers: TimerConfig = DEFAULT_TIMERS, key: TransactionKey | None = None
                 ) -> None:
        """Create the transaction for a received non-INVITE request (state Trying).

        ``key`` is the request's :func:`server_key` when the caller has it already.
        """
        if request.method in ("INVITE", "ACK"):
            raise ValueError(f"a non-INVITE server transaction cannot serve {request.method}")
        super().__init__(request, reliable=reliable, initial=TxState.TRYING, timers=timers,
                         key=key)


# ---------------------------------------------------------------------------------------------
# Wait states


class Waiting(enum.Enum):
    """What a server transaction that only waits out its last timer still does (UDP).

    In both states the table leaves three rows: the deadline (:meth:`Transaction.get_timer`)
    terminates the transaction, a retransmitted request is answered as below, and an ACK
    (INVITE only) goes to the TU.  Nothing is sent unprompted, so no transport error can occur.
    """

    #: Non-INVITE in Completed (Timer J): a retransmitted request gets the last response again.
    RESEND = "resend"
    #: INVITE in Accepted (Timer L, RFC 6026): a retransmitted INVITE is absorbed, an ACK goes
    #: to the TU (2xx retransmissions are the TU's, RFC 3261 §13.3.1.4).
    ABSORB = "absorb"


def waiting(tx: Transaction) -> Waiting | None:
    """How ``tx`` waits, when all that is left to it is a wait (see :class:`Waiting`).

    Over reliable transports the wait timers are zero, so there is nothing to compact: None.
    """
    if tx.reliable:
        return None
    if isinstance(tx, NonInviteServerTransaction) and tx.state is TxState.COMPLETED:
        return Waiting.RESEND
    if isinstance(tx, InviteServerTransaction) and tx.state is TxState.ACCEPTED:
        return Waiting.ABSORB
    return None
