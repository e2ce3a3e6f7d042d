"""SIP transports: the thin asyncio shell around :mod:`switchboard.sip`'s parser.

UDP, TCP, TLS and WebSocket (RFC 7118) listeners turn bytes into parsed messages and hand them,
with the :class:`Peer` they came from, to one handler; :meth:`SipTransport.send` writes a
message back. This is the one boundary where the SIP package's ``ParseError`` becomes a
response: a malformed request that still names its Via, From, To, Call-ID and CSeq is answered
``400`` (or the error's own status: 505, 513) with a ``Warning`` header saying what was wrong;
anything else is dropped. Over a stream, a framing error answers if it can and closes only that
connection. Every drop is counted in :class:`~switchboard.telephony.dispatch.TransportStats`.
What all listeners share (admission, the answer to a malformed request, delivery, sending) is
:class:`~switchboard.telephony.dispatch.Dispatch`, compiled in the mypyc build.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import ssl
from pathlib import Path
from typing import Any, cast

from switchboard.sip import ParseError, ParserLimits, StreamParser
from switchboard.telephony.dispatch import Dispatch, Handler, Message, TransportStats
from switchboard.telephony.guard import SourceGuard
from switchboard.telephony.udp import Peer, UdpEndpoint

__all__ = ["Handler", "SipTransport", "TransportStats", "self_signed_context"]

log = logging.getLogger(__name__)


class _Stream(asyncio.Protocol):
    def __init__(self, owner: SipTransport, kind: str) -> None:
        self.owner = owner
        self.kind = kind
        self.parser = StreamParser(limits=owner.limits)
        self.transport: asyncio.Transport | None = None
        self.peer: Peer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports are not registered as asyncio.Transport subclasses)
        self.transport = cast(asyncio.Transport, transport)
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = Peer(self.kind, host, port, self)
        self.owner.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        assert self.peer is not None and self.transport is not None
        owner = self.owner
        self.parser.receive_data(data)
        while True:
            if not owner.admit(self.peer.host):
                self.close()
                return
            try:
                message = self.parser.next_message()
            except ParseError as exc:
                owner.malformed(bytes(self.parser._buffer), exc, self.peer)
                owner.stats.closed_connections += 1
                self.close()
                return
            if message is None:
                if self.parser.keepalives:
                    self.parser.keepalives = 0
                    self.transport.write(b"\r\n")  # RFC 5626 §4.4.1 pong
                return
            owner.deliver(message, self.peer)

    def send(self, data: bytes) -> bool:
        if self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(data)
        return True

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _WebSocketConn:
    """One SIP-over-WebSocket connection: each WS text or binary message is one SIP message."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("websocket send failed: %s", task.exception())

    def send(self, data: bytes) -> bool:
        self._spawn(self.ws.send(data.decode("utf-8", "replace")))
        return True

    def close(self) -> None:
        self._spawn(self.ws.close())


class SipTransport:
    """All SIP listeners of one server, one handler for what they receive."""

    def __init__(self, handler: Handler, *, limits: ParserLimits | None = None,
                 guard: SourceGuard | None = None) -> None:
        self.dispatch = Dispatch(handler, limits or ParserLimits(), guard or SourceGuard())
        """Admission, parse errors, delivery, sending and their counters (compiled in the
        mypyc build): every listener feeds it, the user agent sends through it."""
        self.limits = self.dispatch.limits
        self.guard = self.dispatch.guard
        self.stats = self.dispatch.stats
        self.connections: set[_Stream] = set()
        self._servers: list[Any] = []
        self.addresses: dict[str, tuple[str, int]] = {}
        """Bound (host, port) per transport kind."""

    @property
    def handler(self) -> Handler:
        """Receives each parsed message with its peer."""
        return self.dispatch.handler

    @handler.setter
    def handler(self, handler: Handler) -> None:
        self.dispatch.handler = handler

    @property
    def udp(self) -> UdpEndpoint | None:
        """The UDP listener, if any."""
        return self.dispatch.udp

    # ------------------------------------------------------------------ listening

    async def listen_udp(self, host: str = "127.0.0.1", port: int = 5060) -> tuple[str, int]:
        """Listen on UDP; returns the bound address (port 0 picks a free port)."""
        loop = self.dispatch.loop = asyncio.get_running_loop()
        udp = self.dispatch.udp = UdpEndpoint.bind(self.dispatch, host, port, loop)
        self._servers.append(udp)
        self.addresses["udp"] = udp.address
        return self.addresses["udp"]

    async def listen_udp_and_tcp(self, host: str = "127.0.0.1", port: int = 5060,
                                 *, attempts: int = 50) -> int:
        """Listen on UDP and TCP on one port number; returns it. Port 0 picks a number free
        for both: the one UDP got may be taken for TCP (another listener, or a connection's
        local port), in which case that UDP socket is closed and another number tried."""
        for _ in range(attempts):
            await self.listen_udp(host, port)
            number: int = self.addresses["udp"][1]
            try:
                await self.listen_tcp(host, number)
                return number
            except OSError as exc:
                if port != 0 or exc.errno != errno.EADDRINUSE:
                    raise
                self._servers.pop().close()  # the UDP endpoint just opened
                self.dispatch.udp = None
                del self.addresses["udp"]
        raise OSError(errno.EADDRINUSE, f"no port free for both UDP and TCP on {host} after "
                                        f"{attempts} tries")

    async def listen_tcp(self, host: str = "127.0.0.1", port: int = 5060, *,
                         tls: ssl.SSLContext | None = None) -> tuple[str, int]:
        """Listen on TCP, or TLS when given a server context."""
        self.dispatch.loop = asyncio.get_running_loop()
        kind = "tls" if tls is not None else "tcp"
        server = await self.dispatch.loop.create_server(lambda: _Stream(self, kind), host, port,
                                                ssl=tls)
        self._servers.append(server)
        self.addresses[kind] = server.sockets[0].getsockname()[:2]
        return self.addresses[kind]

    async def listen_ws(self, host: str = "127.0.0.1", port: int = 8080) -> tuple[str, int]:
        """Listen for SIP over WebSocket (RFC 7118, subprotocol ``sip``)."""
        from websockets.asyncio.server import serve

        async def session(ws: Any) -> None:
            remote = ws.remote_address or ("?", 0)
            conn = _WebSocketConn(ws)
            peer = Peer("ws", remote[0], remote[1], conn)
            async for frame in ws:
                data = frame.encode("utf-8") if isinstance(frame, str) else frame
                if self.dispatch.admit(peer.host):
                    self.dispatch.receive(data, peer)

        server = await serve(session, host, port, subprotocols=["sip"])  # type: ignore[list-item]
        self._servers.append(server)
        self.addresses["ws"] = next(iter(server.sockets)).getsockname()[:2]
        return self.addresses["ws"]

    async def close(self) -> None:
        """Stop every listener and connection."""
        for conn in list(self.connections):
            conn.close()
        for server in self._servers:
            server.close()
            if hasattr(server, "wait_closed"):
                with contextlib.suppress(Exception):
                    await server.wait_closed()
        self._servers.clear()

    # ------------------------------------------------------------------ receiving, sending

    def now(self) -> float:
        """The loop's clock."""
        return self.dispatch.now()

    def admit(self, host: str) -> bool:
        """Per-source flood and block check."""
        return self.dispatch.admit(host)

    def deliver(self, message: Message, peer: Peer) -> None:
        """Hand a parsed message to the handler; a handler error is logged, never fatal."""
        self.dispatch.deliver(message, peer)

    def malformed(self, data: bytes, error: ParseError, peer: Peer) -> None:
        """Answer a malformed request if it can be answered; count the drop otherwise."""
        self.dispatch.malformed(data, error, peer)

    def send(self, message: Message, peer: Peer) -> None:
        """Serialize and send ``message`` to ``peer`` (over the connection it came on)."""
        self.dispatch.send_bytes(message.serialize(), peer)

    def send_bytes(self, data: bytes, peer: Peer) -> None:
        """Send raw bytes to ``peer``."""
        self.dispatch.send_bytes(data, peer)


def self_signed_context(directory: Path, host: str = "localhost") -> ssl.SSLContext:
    """A server TLS context from ``directory``'s cert.pem/key.pem, generated on first use."""
    cert_path, key_path = directory / "tls-cert.pem", directory / "tls-key.pem"
    if not cert_path.exists() or not key_path.exists():
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256())
        )
        directory.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
