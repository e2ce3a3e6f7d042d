"""The SIP UDP endpoint and :class:`Peer`: what every datagram goes through, compiled with
the SIP stack in the mypyc build (:mod:`switchboard.telephony.transport` keeps the stream
transports and owns the endpoint; each datagram goes to its
:class:`~switchboard.telephony.dispatch.Dispatch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from switchboard.telephony.dispatch import Dispatch

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a message came from, and how to answer it."""

    transport: str
    """``udp``, ``tcp``, ``tls`` or ``ws``."""
    host: str
    port: int
    conn: Any = field(default=None, compare=False, hash=False)
    """The connection (stream transports), or the UDP endpoint that received it."""

    @property
    def reliable(self) -> bool:
        """Stream transports need no retransmissions (RFC 3261 §17)."""
        return self.transport != "udp"


def read_batch(sock: socket.socket, batch: int, size: int,
               handle: Callable[[bytes, tuple[Any, ...]], None], what: str) -> None:
    """Read up to ``batch`` datagrams waiting on the non-blocking ``sock`` and hand each to
    ``handle``: an error the kernel queued on the socket is skipped, a handler's error logged
    (``what`` names the socket in the log)."""
    recvfrom = sock.recvfrom
    for _ in range(batch):
        try:
            data, addr = recvfrom(size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            log.debug("%s UDP receive error: %s", what, exc)
            continue
        try:
            handle(data, addr)
        except Exception:
            log.exception("%s UDP: error handling a datagram from %s", what, addr)


class UdpEndpoint:
    """The SIP UDP socket, read straight from the loop's selector.

    An asyncio datagram transport reads one datagram per pass of the event loop, so under load
    every datagram costs a whole pass (a poll of every socket, the ready handles). Here each
    wake-up reads what is waiting, up to ``BATCH`` datagrams, before the loop polls again.
    Sending is a plain non-blocking ``sendto``: a UDP socket does not queue in user space (a
    datagram the kernel cannot take is lost, as on the wire, and counted; SIP retransmits).
    """

    BATCH: ClassVar[int] = 64
    MAX_DATAGRAM: ClassVar[int] = 65536
    RECEIVE_BUFFER: ClassVar[int] = 4 << 20
    """Bytes asked for the socket's receive buffer (the kernel caps it at net.core.rmem_max):
    a burst of calls waits there while the server works."""

    def __init__(self, owner: Dispatch, sock: socket.socket,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.owner = owner
        self.sock = sock
        self._loop = loop
        self._closed = False
        self._peers: dict[tuple[Any, ...], Peer] = {}
        """One Peer per source address: the messages of a call (and their transactions, which
        linger 32 s) share it."""
        loop.add_reader(sock.fileno(), self._readable)

    @classmethod
    def bind(cls, owner: Dispatch, host: str, port: int,
             loop: asyncio.AbstractEventLoop) -> UdpEndpoint:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, cls.RECEIVE_BUFFER)
            sock.bind(address)
        except BaseException:
            sock.close()
            raise
        return cls(owner, sock, loop)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return host, port

    def _readable(self) -> None:
        read_batch(self.sock, self.BATCH, self.MAX_DATAGRAM, self.datagram_received, "SIP")

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        owner = self.owner
        host, port = addr[0], addr[1]
        if not owner.admit(host):
            return
        if data[:1] in (b"\r", b"\n") and data.strip(b"\r\n") == b"":
            return  # keep-alive
        peer = self._peers.get(addr)
        if peer is None:
            if len(self._peers) >= 4096:
                self._peers.clear()
            peer = self._peers[addr] = Peer("udp", host, port, self)
        owner.receive(data, peer)

    def sendto(self, data: bytes, addr: tuple[str, int]) -> bool:
        """Send one datagram; False when it could not be (closed, or refused by the kernel)."""
        if self._closed:
            return False
        try:
            self.sock.sendto(data, addr)
        except OSError as exc:  # a full socket buffer, an unreachable address
            log.debug("UDP send to %s failed: %s", addr, exc)
            return False
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
