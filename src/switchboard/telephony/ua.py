"""The user-agent core: transaction tables and timers around :mod:`switchboard.sip`.

Theory of operation
-------------------
:class:`UserAgent` sits between the transport and the application (registrar, calls). Every
incoming request is matched to a server transaction by its server key (a retransmission is
absorbed by its transaction); a new one creates an INVITE or non-INVITE transaction and is
handed to the application with a :class:`ServerTx` handle to answer through. A CANCEL is
answered here (200, or 481 when nothing matches) and reported to the application, which ends
the INVITE with 487. An ACK that matches no transaction is the ACK for a
2xx and goes to the application directly (RFC 3261 §13.3.1.4, RFC 6026).

Outgoing requests get a Via with a fresh branch and ``rport`` (RFC 3581) and a client
transaction; its events come back to the callback given with the request. Whenever a
transaction is touched, the UA's pump sends what it queued, delivers its events and files the
transaction at its next deadline in a :class:`~switchboard.sip.timers.TimerWheel` (20 ms
ticks): every call leaves two transactions waiting 32 s (Timers J and L), and one loop timer
per tick instead of one per transaction keeps the loop's heap small. A server transaction that
has reached such a wait (:func:`~switchboard.sip.transaction.waiting`) is reduced to a tuple of
immutable values (its answer as bytes, where to resend it) until its deadline: tens of thousands
of them then cost the garbage collector nothing, where full transactions with their messages
made each full collection pause the server for up to a second. The 2xx to an INVITE is
retransmitted by the UA until its ACK (RFC 3261 §13.3.1.4), on the same wheel. Responses are
sent back to where the request came from (symmetric response routing), which is what phones
behind NAT need; the top Via gets ``received``/``rport`` as RFC 3581 says.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from switchboard.sip import ParseError, Request, Response, make_response
from switchboard.sip.timers import DEFAULT_TIMERS, TimerConfig, TimerWheel
from switchboard.sip.transaction import (
    AckReceived,
    Event,
    InviteClientTransaction,
    InviteServerTransaction,
    NonInviteClientTransaction,
    NonInviteServerTransaction,
    Terminated,
    TransactionKey,
    Waiting,
    client_key,
    server_key,
    waiting,
)
from switchboard.telephony.dispatch import Dispatch
from switchboard.telephony.entropy import entropy
from switchboard.telephony.transport import SipTransport
from switchboard.telephony.udp import Peer

log = logging.getLogger(__name__)

_tags = itertools.count(1)


def new_tag() -> str:
    """A fresh From/To tag: 32 random bits (RFC 3261 §19.3) and a counter."""
    return f"{entropy.hex(4)}{next(_tags):x}"


def new_branch() -> str:
    """A fresh RFC 3261 branch (magic cookie first)."""
    return "z9hG4bK" + entropy.hex(8)


@dataclass(eq=False, init=False)
class ServerTx:
    """The application's handle on a server transaction: the request and how to answer it."""

    ua: UserAgent
    tx: InviteServerTransaction | NonInviteServerTransaction
    request: Request
    peer: Peer
    _to_tag: str | None
    final: bool
    counted: bool
    """Whether this transaction counts against its source's cap (until its final response)."""
    on_ack: Callable[[Request], None] | None
    on_cancel: Callable[[], None] | None
    on_no_ack: Callable[[], None] | None
    """Our 2xx went unacknowledged for 64*T1: the session should end (RFC 3261 §13.3.1.4)."""

    # An explicit __init__: mypyc compiles it, where a dataclass-generated one stays
    # interpreted (docs/sip-bench.md).
    def __init__(self, ua: UserAgent,
                 tx: InviteServerTransaction | NonInviteServerTransaction,
                 request: Request, peer: Peer) -> None:
        self.ua = ua
        self.tx = tx
        self.request = request
        self.peer = peer
        self._to_tag = None
        self.final = False
        self.counted = False
        self.on_ack = None
        self.on_cancel = None
        self.on_no_ack = None

    @property
    def to_tag(self) -> str:
        """The To tag of every response we send to this request (one dialog, one tag), made
        when first needed (a request inside a dialog already has its tag)."""
        if self._to_tag is None:
            self._to_tag = new_tag()
        return self._to_tag

    def respond(self, status_code: int, reason: str | None = None, *, body: bytes = b"",
                content_type: str | None = None,
                headers: tuple[tuple[str, str], ...] = ()) -> Response:
        """Build and send a response; returns it (a 2xx to INVITE is retransmitted by the UA)."""
        tagged = status_code != 100 and self.request.to.tag is None
        response = make_response(self.request, status_code, reason,
                                 to_tag=self.to_tag if tagged else None)
        for name, value in headers:
            response.headers.add(name, value)
        if body:
            response.headers.set("Content-Type", content_type or "application/sdp")
            response.body = body
        self.send(response)
        return response

    def send(self, response: Response) -> None:
        """Send a prepared response through the transaction."""
        if self.final and not (200 <= response.status_code < 300):
            log.debug("ignoring %d after a final response", response.status_code)
            return
        if response.status_code >= 200:
            self.final = True
        self.ua._respond(self, response)


@dataclass(eq=False)
class ClientTx:
    """An outgoing request's transaction and where its events go."""

    tx: InviteClientTransaction | NonInviteClientTransaction
    peer: Peer
    on_event: Callable[[Event], None]


#: A waiting server transaction by (branch, sent-by, method): the bytes to resend to a
#: retransmission (None: absorb it; for an INVITE an ACK goes to the TU), and the peer's host
#: and port.  Only immutable atoms: the garbage collector stops looking at them.
_WaitKey = tuple[str, tuple[str, int | None] | None, str]
_Wait = tuple[bytes | None, str, int]


class _Unacked:
    """A 2xx to an INVITE that the UA core retransmits until the ACK (RFC 3261 §13.3.1.4)."""

    __slots__ = ("data", "interval", "key", "started", "stx")

    def __init__(self, stx: ServerTx, data: bytes, key: tuple[str, int], started: float,
                 interval: float) -> None:
        self.stx = stx
        self.data = data
        """The 2xx, serialized once."""
        self.key = key
        """Call-ID and CSeq number, which the ACK repeats."""
        self.started = started
        self.interval = interval


class UserAgent:
    """Transaction layer plus dispatch to the application."""

    def __init__(self, transport: SipTransport, *, timers: TimerConfig = DEFAULT_TIMERS,
                 allow: tuple[str, ...] = ("INVITE", "ACK", "CANCEL", "BYE", "OPTIONS",
                                           "REGISTER", "INFO", "REFER", "NOTIFY", "UPDATE"),
                 max_transactions_per_source: int = 500) -> None:
        self.transport = transport
        self.timers = timers
        self.allow = allow
        self.allow_header = ", ".join(allow)
        """The ``Allow`` value we send."""
        self.server: dict[TransactionKey, ServerTx] = {}
        self.client: dict[TransactionKey, ClientTx] = {}
        self.wheel: TimerWheel[ServerTx | ClientTx | _Unacked | _WaitKey] = TimerWheel(0.02)
        """Every pending transaction timer and 2xx retransmission."""
        self.waiting: dict[_WaitKey, _Wait] = {}
        """Server transactions that only wait out Timer J or L, reduced to what that needs."""
        self._handles: dict[int, asyncio.TimerHandle] = {}
        """One loop timer per wheel slot in use."""
        self.on_request: Callable[[ServerTx], None] = self._not_implemented
        """The application: receives each new request (not ACK or CANCEL)."""
        self.on_stray_ack: Callable[[Request, Peer], None] = lambda ack, peer: None
        """ACKs for 2xx responses (no transaction): routed to the dialog by the application."""
        self.stray_responses = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self.max_transactions_per_source = max_transactions_per_source
        self.per_source: dict[str, int] = {}
        """Server transactions per source host still waiting for our final response."""
        self.refused_overload = 0
        self._2xx: dict[tuple[str, int], list[_Unacked]] = {}
        """2xx responses awaiting their ACK, by Call-ID and CSeq number."""
        self.wire: Dispatch = transport.dispatch
        """Where messages are sent (the transport's compiled core)."""
        self.wire.handler = self.receive

    # ------------------------------------------------------------------ helpers

    def now(self) -> float:
        """The loop's clock (transactions run on it); readable from other threads too."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop.time()

    def local_via(self, transport: str) -> str:
        """``SIP/2.0/UDP host:port`` for our listener of that transport."""
        host, port = self.transport.addresses.get(transport, ("127.0.0.1", 5060))
        return f"SIP/2.0/{transport.upper()} {host}:{port}"

    def contact_uri(self, user: str, transport: str = "udp") -> str:
        """A Contact URI pointing at us."""
        host, port = self.transport.addresses.get(transport, ("127.0.0.1", 5060))
        suffix = "" if transport == "udp" else f";transport={transport}"
        return f"sip:{user}@{host}:{port}{suffix}"

    def _not_implemented(self, stx: ServerTx) -> None:
        stx.respond(501)

    # ------------------------------------------------------------------ receiving

    def receive(self, message: Request | Response, peer: Peer) -> None:
        """Transport handler: dispatch one parsed message."""
        if isinstance(message, Response):
            self._receive_response(message, peer)
        else:
            self._receive_request(message, peer)

    def _receive_request(self, request: Request, peer: Peer) -> None:
        try:
            self._stamp_via(request, peer)
            key = server_key(request)
        except ParseError as exc:
            self.wire.malformed(request.serialize(), exc, peer)
            return
        now = self.now()
        existing = self.server.get(key)
        method = request.method
        if existing is None and self.waiting:
            wait = self.waiting.get((key.branch, key.sent_by, key.method))
            if wait is not None:
                self._wake(wait, request)
                return
        if method == "ACK":
            if existing is not None and isinstance(existing.tx, InviteServerTransaction):
                existing.tx.receive_request(request, now)
                self._pump_server(existing)
            else:
                self._ack_2xx(request)
                self.on_stray_ack(request, peer)
            return
        if existing is not None:
            existing.tx.receive_request(request, now)
            self._pump_server(existing)
            return
        if self.per_source.get(peer.host, 0) >= self.max_transactions_per_source:
            # One source may not hold more than its share of transaction state.
            self.refused_overload += 1
            if self.refused_overload % 100 == 1:
                log.warning("%s has %d open transactions: refusing more (503)", peer.host,
                            self.per_source[peer.host])
            response = make_response(request, 503)
            response.headers.add("Retry-After", "5")
            self.wire.send(response, peer)
            return
        if method == "INVITE":
            tx: InviteServerTransaction | NonInviteServerTransaction = InviteServerTransaction(
                request, now=now, reliable=peer.reliable, timers=self.timers, key=key)
        else:
            tx = NonInviteServerTransaction(request, now=now, reliable=peer.reliable,
                                            timers=self.timers, key=key)
        stx = ServerTx(self, tx, request, peer)
        self.server[key] = stx
        self.per_source[peer.host] = self.per_source.get(peer.host, 0) + 1
        stx.counted = True
        if method == "CANCEL":
            self._cancel(stx, key)
            return
        if method not in self.allow:
            stx.respond(405, headers=(("Allow", self.allow_header),))
            return
        try:
            self.on_request(stx)
        except ParseError as exc:
            if not stx.final:
                stx.respond(exc.status_code, headers=(("Warning", exc.warning),))
        self._pump_server(stx)

    def _stamp_via(self, request: Request, peer: Peer) -> None:
        """RFC 3581 §4 / RFC 3261 §18.2.1: note where the request really came from."""
        via = request.top_via
        host, port = via.sent_by
        if via.has_rport or host != peer.host:
            params = [(n, v) for n, v in via.params if n.lower() not in ("received", "rport")]
            params.append(("received", peer.host))
            if via.has_rport:
                params.append(("rport", str(peer.port)))
            text = f"{via.protocol}/{via.version}/{via.transport} {host}"
            if port is not None:
                text += f":{port}"
            text += "".join(f";{n}" if v is None else f";{n}={v}" for n, v in params)
            rest = request.headers.get_all("Via")[1:]  # one entry per Via value
            request.headers.set("Via", text)
            for value in rest:
                request.headers.add("Via", value)

    def _cancel(self, stx: ServerTx, key: TransactionKey) -> None:
        invite = self.server.get(TransactionKey(key.branch, key.sent_by, "INVITE"))
        if invite is None or invite.final:
            stx.respond(481)
            return
        stx.respond(200)
        if invite.on_cancel is not None:
            invite.on_cancel()
        elif not invite.final:
            invite.respond(487)

    def _receive_response(self, response: Response, peer: Peer) -> None:
        try:
            key = client_key(response)
        except ParseError:
            self.stray_responses += 1
            return
        ctx = self.client.get(key)
        if ctx is None:
            self.stray_responses += 1
            log.debug("stray %d response for %s", response.status_code, key.branch)
            return
        ctx.tx.receive_response(response, self.now())
        self._pump_client(ctx)

    # ------------------------------------------------------------------ server side

    def _uncount(self, stx: ServerTx) -> None:
        """The transaction no longer counts against its source (answered, or gone)."""
        if not stx.counted:
            return
        stx.counted = False
        left = self.per_source.get(stx.peer.host, 1) - 1
        if left > 0:
            self.per_source[stx.peer.host] = left
        else:
            self.per_source.pop(stx.peer.host, None)

    def _respond(self, stx: ServerTx, response: Response) -> None:
        if response.status_code >= 200:
            self._uncount(stx)  # a finished transaction holds no application state
        stx.tx.send_response(response, self.now())
        sent = self._pump_server(stx)
        if (isinstance(stx.tx, InviteServerTransaction) and 200 <= response.status_code < 300):
            self._retransmit_2xx(stx, response, sent)

    def _retransmit_2xx(self, stx: ServerTx, response: Response,
                        sent: bytes | None = None) -> None:
        """RFC 3261 §13.3.1.4: the UAS core resends a 2xx until the ACK, T1 doubling to T2."""
        if stx.peer.reliable:
            return
        key = (stx.request.call_id, stx.request.cseq.number)
        pending = self._2xx.setdefault(key, [])
        for old in [entry for entry in pending if entry.stx is stx]:
            pending.remove(old)  # a new 2xx from the TU replaces the one being repeated
            self.wheel.cancel(old)
        now = self.now()
        data = response.serialize() if sent is None else sent  # the bytes just sent
        entry = _Unacked(stx, data, key, now, self.timers.t1)
        pending.append(entry)
        self._schedule(entry, now + entry.interval)

    def _resend_2xx(self, entry: _Unacked, now: float) -> None:
        if now - entry.started >= 64 * self.timers.t1:
            self._forget_2xx(entry)
            log.info("no ACK for 2xx to %s", entry.key[0])
            if entry.stx.on_no_ack is not None:
                entry.stx.on_no_ack()
            return
        self.wire.send_bytes(entry.data, entry.stx.peer)
        entry.interval = min(2 * entry.interval, self.timers.t2)
        self._schedule(entry, now + entry.interval)

    def _forget_2xx(self, entry: _Unacked) -> None:
        self.wheel.cancel(entry)
        pending = self._2xx.get(entry.key)
        if pending is not None:
            if entry in pending:
                pending.remove(entry)
            if not pending:
                del self._2xx[entry.key]

    def _ack_2xx(self, ack: Request) -> None:
        pending = self._2xx.pop((ack.call_id, ack.cseq.number), None)
        for entry in pending or ():
            self.wheel.cancel(entry)
            if entry.stx.on_ack is not None:
                entry.stx.on_ack(ack)

    def _pump_server(self, stx: ServerTx) -> bytes | None:
        """Send what the transaction queued, handle its events, file its next deadline; the
        bytes sent last, if any."""
        tx = stx.tx
        sent: bytes | None = None
        for message in tx.take_outgoing():
            sent = message.serialize()
            self.wire.send_bytes(sent, stx.peer)
        while (event := tx.next_event()) is not None:
            if isinstance(event, AckReceived):
                self._ack_2xx(event.request)
            elif isinstance(event, Terminated):
                self.server.pop(tx.key, None)
                self._uncount(stx)
        how = waiting(tx)
        if how is not None and tx.key not in self.server:
            return sent  # parked already (the application pumped it once more)
        if how is Waiting.ABSORB or (how is Waiting.RESEND and sent is not None):
            # RESEND: what was just sent in Completed is the final response (or a resend of it).
            self._park(stx, sent if how is Waiting.RESEND else None)
            return sent
        self._rearm(stx)
        return sent

    def _park(self, stx: ServerTx, resend: bytes | None) -> None:
        """Keep only what the wait needs (see :class:`~switchboard.sip.transaction.Waiting`)."""
        tx = stx.tx
        deadline = tx.get_timer()
        if deadline is None:  # pragma: no cover - both wait states run a timer
            self._rearm(stx)
            return
        key = tx.key
        self.server.pop(key, None)
        self._uncount(stx)
        self.wheel.cancel(stx)
        # A plain tuple of atoms (not the named tuple): the collector can untrack it.
        wait_key = (key.branch, key.sent_by, key.method)
        self.waiting[wait_key] = (resend, stx.peer.host, stx.peer.port)
        self._schedule(wait_key, deadline)

    def _wake(self, wait: _Wait, request: Request) -> None:
        """A request for a waiting transaction: what its state's table row would do."""
        resend, host, port = wait
        if request.method == "ACK":
            self._ack_2xx(request)  # Accepted: the ACK goes to the TU (RFC 6026 §8.7)
        elif resend is not None:
            self.wire.send_bytes(resend, Peer("udp", host, port))

    # ------------------------------------------------------------------ client side

    def send_request(self, request: Request, peer: Peer,
                     on_event: Callable[[Event], None]) -> ClientTx:
        """Send a request statefully: add our Via, make its client transaction."""
        request.headers.prepend("Via", f"{self.local_via(peer.transport)};branch={new_branch()}"
                                       ";rport")
        if "Max-Forwards" not in request.headers:
            request.headers.add("Max-Forwards", "70")
        now = self.now()
        if request.method == "INVITE":
            tx: InviteClientTransaction | NonInviteClientTransaction = InviteClientTransaction(
                request, now=now, reliable=peer.reliable, timers=self.timers)
        else:
            tx = NonInviteClientTransaction(request, now=now, reliable=peer.reliable,
                                            timers=self.timers)
        ctx = ClientTx(tx, peer, on_event)
        self.client[tx.key] = ctx
        self._pump_client(ctx)
        return ctx

    def send_cancel(self, invite: ClientTx) -> ClientTx | None:
        """CANCEL a pending INVITE (RFC 3261 §9.1): same Via branch, R-URI, Call-ID, From, To."""
        request = invite.tx.request
        cancel = Request(method="CANCEL", uri=request.uri)
        cancel.headers.add("Via", request.headers.get_all("Via")[0])
        for name in ("From", "To", "Call-ID"):
            value = request.headers.get(name)
            if value is not None:
                cancel.headers.add(name, value)
        cancel.headers.add("CSeq", f"{request.cseq.number} CANCEL")
        cancel.headers.add("Max-Forwards", "70")
        for route in request.headers.get_all("Route"):
            cancel.headers.add("Route", route)
        tx = NonInviteClientTransaction(cancel, now=self.now(), reliable=invite.peer.reliable,
                                        timers=self.timers)
        ctx = ClientTx(tx, invite.peer, lambda event: None)
        self.client[tx.key] = ctx
        self._pump_client(ctx)
        return ctx

    def send_ack(self, ack: Request, peer: Peer) -> None:
        """Send an ACK for a 2xx: outside any transaction, with its own branch."""
        ack.headers.prepend("Via", f"{self.local_via(peer.transport)};branch={new_branch()}"
                                   ";rport")
        if "Max-Forwards" not in ack.headers:
            ack.headers.add("Max-Forwards", "70")
        self.wire.send(ack, peer)

    def _pump_client(self, ctx: ClientTx) -> None:
        tx = ctx.tx
        for message in tx.take_outgoing():
            self.wire.send(message, ctx.peer)
        while (event := tx.next_event()) is not None:
            if isinstance(event, Terminated):
                self.client.pop(tx.key, None)
            try:
                ctx.on_event(event)
            except Exception:
                log.exception("error handling %s", type(event).__name__)
        self._rearm(ctx)

    def close(self) -> None:
        """Cancel every timer (before the transport closes)."""
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        self.wheel.clear()
        self.waiting.clear()
        self._2xx.clear()

    # ------------------------------------------------------------------ timers

    def _rearm(self, owner: ServerTx | ClientTx) -> None:
        tx = owner.tx
        deadline = None if tx.terminated else tx.get_timer()
        if deadline is None:
            self.wheel.cancel(owner)
        else:
            self._schedule(owner, deadline)

    def _schedule(self, item: ServerTx | ClientTx | _Unacked | _WaitKey, deadline: float
                  ) -> None:
        slot = self.wheel.schedule(item, deadline)
        if slot is not None:
            loop = self._loop or asyncio.get_running_loop()
            self._handles[slot] = loop.call_at(slot * self.wheel.tick, self._tick, slot)

    def _tick(self, slot: int) -> None:
        self._handles.pop(slot, None)
        now = self.now()
        for item in self.wheel.due(slot):
            try:
                if isinstance(item, tuple):
                    self.waiting.pop(item, None)  # Timer J or L: the transaction is over
                elif isinstance(item, ServerTx):
                    item.tx.handle_timer(now)
                    self._pump_server(item)
                elif isinstance(item, ClientTx):
                    item.tx.handle_timer(now)
                    self._pump_client(item)
                else:
                    self._resend_2xx(item, now)
            except Exception:
                log.exception("error handling a timer of %s", type(item).__name__)


__all__ = ["ClientTx", "ServerTx", "UserAgent", "new_branch", "new_tag"]
