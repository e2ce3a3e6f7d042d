"""What every SIP message goes through between the sockets and the user agent.

The source guard's admission, the answer to a malformed request, the hand-over of a parsed
message to the handler (the user agent), sending back over the connection a peer came on, and
the counters of all of it. :class:`~switchboard.telephony.transport.SipTransport` owns the
listeners (UDP, TCP, TLS, WebSocket) and one :class:`Dispatch` they all feed; the UDP endpoint
and the user agent call it directly, so that in the mypyc build a datagram goes from the
socket to the user agent and back without leaving compiled code.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from switchboard.sip import ParseError, ParserLimits, Request, Response
from switchboard.sip import parse_message as parse_sip
from switchboard.telephony.guard import SourceGuard
from switchboard.telephony.udp import Peer, UdpEndpoint

log = logging.getLogger(__name__)

Message = Request | Response
Handler = Callable[[Message, Peer], None]


@dataclass(slots=True)
class TransportStats:
    """Counters of the transport layer (exported as Prometheus metrics by the server)."""

    received: int = 0
    sent: int = 0
    rejected: int = 0
    """Malformed requests answered with 4xx/5xx."""
    dropped_malformed: int = 0
    """Malformed messages that could not be answered (garbage, or a malformed response)."""
    dropped_flood: int = 0
    dropped_blocked: int = 0
    closed_connections: int = 0
    send_errors: int = 0


_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id"}
_REQUEST_LINE = re.compile(rb"^([A-Za-z0-9.!%*_+`'~-]+) \S+ SIP/[0-9]+\.[0-9]+$")


def reject_malformed(data: bytes, error: ParseError) -> bytes | None:
    """Build the error response to unparseable request bytes, or None if it cannot be answered.

    RFC 3261 §8.2 asks a UAS to answer a malformed request when it can; it can when the start
    line is a request line and the five headers a response copies are present as text.
    """
    head = data.lstrip(b"\r\n").split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    match = _REQUEST_LINE.match(lines[0])
    if match is None or match.group(1) == b"ACK":
        return None  # not a request (or an ACK, which is never answered)
    kept: dict[str, list[str]] = {"via": [], "from": [], "to": [], "call-id": [], "cseq": []}
    for raw in lines[1:]:
        if raw[:1] in (b" ", b"\t"):
            continue
        name, colon, value = raw.partition(b":")
        if not colon:
            continue
        key = name.strip().decode("latin-1").lower()
        key = _COMPACT.get(key, key)
        if key in kept:
            kept[key].append(value.strip().decode("utf-8", "replace"))
    if not all(kept.values()):
        return None
    to = kept["to"][0]
    if ";tag=" not in to.lower():
        to += ";tag=sb-err"
    code = error.status_code
    reason = {505: "Version Not Supported", 513: "Message Too Large"}.get(code, "Bad Request")
    out = [f"SIP/2.0 {code} {reason}"]
    out += [f"Via: {v}" for v in kept["via"]]
    out += [f"From: {kept['from'][0]}", f"To: {to}", f"Call-ID: {kept['call-id'][0]}",
            f"CSeq: {kept['cseq'][0]}", f"Warning: {error.warning}", "Content-Length: 0", "", ""]
    return "\r\n".join(out).encode("utf-8", "replace")


class Dispatch:
    """Admission, parse errors, delivery and sending, shared by every listener."""

    def __init__(self, handler: Handler, limits: ParserLimits, guard: SourceGuard) -> None:
        self.handler = handler
        """Receives each parsed message with its peer (the user agent sets itself here)."""
        self.limits = limits
        self.guard = guard
        self.stats = TransportStats()
        self.udp: UdpEndpoint | None = None
        """The UDP listener, for UDP peers known only by address."""
        self.loop: asyncio.AbstractEventLoop | None = None

    def now(self) -> float:
        """The loop's clock."""
        return self.loop.time() if self.loop is not None else 0.0

    def admit(self, host: str) -> bool:
        """Per-source flood and block check."""
        now = self.now()
        guard = self.guard
        if guard.admit(host, now):
            return True
        if guard.blocked(host, now):
            self.stats.dropped_blocked += 1
        else:
            self.stats.dropped_flood += 1
        return False

    def receive(self, data: bytes, peer: Peer) -> None:
        """One whole message (a UDP datagram, a WebSocket frame): parse it, then answer or
        count it if malformed, else deliver it. Admission is the caller's (it precedes
        finding the peer)."""
        try:
            message = parse_sip(data, limits=self.limits)
        except ParseError as exc:
            self.malformed(data, exc, peer)
            return
        self.deliver(message, peer)

    def deliver(self, message: Message, peer: Peer) -> None:
        """Hand a parsed message to the handler; a handler error is logged, never fatal."""
        self.stats.received += 1
        try:
            self.handler(message, peer)
        except Exception:
            log.exception("error handling %s from %s:%s", _describe(message), peer.host,
                          peer.port)

    def malformed(self, data: bytes, error: ParseError, peer: Peer) -> None:
        """Answer a malformed request if it can be answered; count the drop otherwise."""
        reply = reject_malformed(data, error)
        if reply is None:
            self.stats.dropped_malformed += 1
            log.debug("dropped malformed message from %s:%s: %s", peer.host, peer.port,
                      error.message)
            return
        self.stats.rejected += 1
        self.send_bytes(reply, peer)

    def send(self, message: Message, peer: Peer) -> None:
        """Serialize and send ``message`` to ``peer`` (over the connection it came on)."""
        self.send_bytes(message.serialize(), peer)

    def send_bytes(self, data: bytes, peer: Peer) -> None:
        """Send raw bytes to ``peer``."""
        ok = False
        conn = peer.conn
        if peer.transport == "udp":
            udp = conn if isinstance(conn, UdpEndpoint) else self.udp
            ok = udp is not None and udp.sendto(data, (peer.host, peer.port))
        elif conn is not None:
            ok = bool(conn.send(data))
        if ok:
            self.stats.sent += 1
        else:
            self.stats.send_errors += 1
            log.debug("cannot send to %s:%s over %s", peer.host, peer.port, peer.transport)


def _describe(message: Message) -> str:
    if isinstance(message, Request):
        return f"{message.method} request"
    return f"{message.status_code} response"
