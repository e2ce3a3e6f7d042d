"""The media engine: one UDP port per call leg, RTP in and out, on the asyncio loop.

A :class:`MediaPort` receives RTP for one leg. What it does with it depends on its mode:

* ``echo``: every audio packet goes back to the sender, re-stamped with our own SSRC, sequence
  and timestamp (the PBX echo test), after an optional test tone;
* ``relay``: audio goes out through the partner port to the other leg (a bridged call, with the
  media anchored here so that it can be recorded, held or moved to another agent);
* ``idle``: packets are counted and dropped (a caller waiting, on hold without music).

The remote address comes from the SDP and is then latched to where packets really come from
(symmetric RTP, for phones behind NAT). RFC 4733 telephone-events are decoded into digits.

Ports are pooled: opening a UDP socket and registering it with the loop costs more than the
rest of an echo call's signalling, so a released port is parked (bound and read, every packet
dropped) and handed to a later call once it has been quiet for ``quarantine`` seconds, with a
fresh SSRC, sequence number and timestamp (RFC 3550 §8: a new stream). The quarantine keeps
late packets of the previous call from being taken for the new one; should one still arrive,
symmetric latching follows the new peer's first packet. At most ``pool`` ports are parked: by
default enough for 8,192 calls a second to reuse ports (half the file-descriptor limit, which
``switchboard serve`` raises to the hard limit).

A port's socket is a plain non-blocking UDP socket read from the loop's selector
(:class:`RtpSocket`), opened synchronously: a call that finds the pool empty still gets its
port at once, without a task, as the SIP transport reads its socket.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
import socket
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from switchboard.rtp.dtmf import DtmfReceiver
from switchboard.rtp.errors import RtpError
from switchboard.rtp.g711 import alaw_encode, ulaw_encode
from switchboard.rtp.packet import RtpPacket, is_rtcp, serialize_rtp
from switchboard.telephony.entropy import entropy
from switchboard.telephony.udp import read_batch

log = logging.getLogger(__name__)

FRAME = 160  # samples per 20 ms at 8 kHz
FRAME_SECONDS = 0.02


@functools.lru_cache(maxsize=2)
def _ringback_frames(alaw: bool) -> tuple[bytes, ...]:
    """The ringback cadence (440 + 480 Hz, 2 s on, 4 s off) as encoded 20 ms frames."""
    t = np.arange(16000) / 8000.0
    on = (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t)) * 0.15 * 32767
    pcm = np.concatenate([on, np.zeros(32000)]).astype(np.int16)
    encode = alaw_encode if alaw else ulaw_encode
    return tuple(encode(pcm[i:i + FRAME]) for i in range(0, len(pcm) - FRAME + 1, FRAME))


@functools.lru_cache(maxsize=32)
def _tone_frames(frequency: float, seconds: float, level: float, alaw: bool) -> tuple[bytes, ...]:
    """A sine tone as encoded 20 ms frames (computed once per tone, not once per call)."""
    t = np.arange(int(8000 * seconds)) / 8000.0
    pcm = (np.sin(2 * np.pi * frequency * t) * level * 32767).astype(np.int16)
    encode = alaw_encode if alaw else ulaw_encode
    return tuple(encode(pcm[i:i + FRAME]) for i in range(0, len(pcm) - FRAME + 1, FRAME))


class RtpSocket:
    """A media port's UDP socket, read straight from the loop's selector (a whole burst per
    wake-up) and written with a plain non-blocking ``sendto``; opened without awaiting."""

    BATCH: ClassVar[int] = 32
    MAX_DATAGRAM: ClassVar[int] = 4096

    def __init__(self, port: MediaPort, host: str, loop: asyncio.AbstractEventLoop) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            sock.bind((host, 0))
            loop.add_reader(sock.fileno(), self._readable)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.port: MediaPort | None = port
        """The port packets go to (None once closed: no cycle left behind)."""
        self._loop = loop
        self._closing = False
        self.local: tuple[str, int] = sock.getsockname()[:2]

    def _readable(self) -> None:
        read_batch(self.sock, self.BATCH, self.MAX_DATAGRAM, self._deliver, "RTP")

    def _deliver(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if self.port is not None:
            self.port.datagram_received(data, addr)

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        """Send one datagram; one the kernel refuses (buffer full, unreachable) is lost."""
        if self._closing:
            return
        try:
            self.sock.sendto(data, addr)
        except OSError as exc:
            log.debug("RTP send from %s to %s failed: %s", self.local, addr, exc)

    def is_closing(self) -> bool:
        """True once closed."""
        return self._closing

    def close(self) -> None:
        """Stop reading and close the socket."""
        if self._closing:
            return
        self._closing = True
        self.port = None
        self._loop.remove_reader(self.sock.fileno())
        self.sock.close()


class MediaPort:
    """RTP for one call leg."""

    def __init__(self, engine: MediaEngine) -> None:
        self.engine = engine
        self.transport: RtpSocket | None = None
        self.local: tuple[str, int] = ("127.0.0.1", 0)
        self._reset()

    def _reset(self) -> None:
        """The state of a new stream (a new port, or a parked one handed out again)."""
        self.remote: tuple[str, int] | None = None
        self.latched = False
        self.mode = "idle"
        self.partner: MediaPort | None = None
        self.payload_type = 0
        self.te_payload_type: int | None = 101
        bits = entropy.bits(80)
        self.ssrc = bits & 0xFFFF_FFFF
        self.seq = (bits >> 32) & 0xFFFF
        self.timestamp = bits >> 48
        self.received = 0
        self.sent = 0
        self.dropped = 0
        self.dtmf: DtmfReceiver | None = None
        """Made on the first telephone-event packet (most calls carry none)."""
        self.on_dtmf: Callable[[str], None] | None = None
        self._tone: list[bytes] = []
        self._loop: list[bytes] = []
        self.parked = False
        """True while the port waits in the pool: every packet is dropped."""

    # receiving --------------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if self.parked or is_rtcp(data):
            return
        try:
            packet = RtpPacket.parse(data)
        except RtpError:
            self.dropped += 1
            return
        self.received += 1
        if not self.latched or self.remote != (addr[0], addr[1]):
            self.remote = (addr[0], addr[1])
            self.latched = True
        if packet.payload_type == self.te_payload_type:
            try:
                if self.dtmf is None:
                    self.dtmf = DtmfReceiver()
                presses = self.dtmf.receive(packet.timestamp, packet.payload,
                                            self.engine.now())
            except RtpError:
                self.dropped += 1
                return
            for press in presses:
                if self.on_dtmf is not None:
                    self.on_dtmf(press.digit)
            return
        if self.mode == "echo" and not self._tone:
            self.send_payload(packet.payload, packet.payload_type)
        elif self.mode == "relay" and self.partner is not None:
            self.partner.send_payload(packet.payload, packet.payload_type)

    # sending ----------------------------------------------------------------------------

    def send_payload(self, payload: bytes, payload_type: int | None = None,
                     samples: int = FRAME) -> None:
        """Send one frame of audio to the remote, with our own stream's header."""
        if self.transport is None or self.remote is None:
            return
        self.seq = (self.seq + 1) & 0xFFFF
        self.timestamp = (self.timestamp + samples) & 0xFFFF_FFFF
        data = serialize_rtp(self.payload_type if payload_type is None else payload_type,
                             self.seq, self.timestamp, self.ssrc, payload)
        self.transport.sendto(data, self.remote)
        self.sent += 1

    def play_tone(self, frequency: float = 1000.0, seconds: float = 1.0,
                  level: float = 0.3) -> None:
        """Send a sine tone, paced in real time (20 ms frames), then go back to the mode."""
        self._play_frames(_tone_frames(frequency, seconds, level, self.payload_type == 8))

    def play_ringback(self) -> None:
        """Loop the ringback tone (440 + 480 Hz, 2 s on, 4 s off) until stopped."""
        self._play_frames(_ringback_frames(self.payload_type == 8), loop=True)

    def play_pcm(self, pcm: npt.NDArray[np.int16], *, loop: bool = False) -> None:
        """Send 8 kHz PCM in 20 ms frames at real-time pace (optionally looping)."""
        encode = alaw_encode if self.payload_type == 8 else ulaw_encode
        self._play_frames([encode(pcm[i:i + FRAME])
                           for i in range(0, len(pcm) - FRAME + 1, FRAME)], loop=loop)

    def _play_frames(self, frames: Sequence[bytes], *, loop: bool = False) -> None:
        """Replace what is playing with ``frames``, sent from the engine's next clock tick."""
        self.stop_playing()
        self._tone = list(frames)
        self._loop = list(frames) if loop else []
        self.engine._play(self)

    def stop_playing(self) -> None:
        """Stop a tone or loop."""
        self.engine._playing.pop(self, None)
        self._tone = []
        self._loop = []

    @property
    def playing(self) -> bool:
        """True while a tone or loop is being sent."""
        return self in self.engine._playing

    def _next_tone_frame(self) -> None:
        """Send the next frame (on the engine's clock)."""
        if not self._tone and self._loop:
            self._tone = list(self._loop)
        if not self._tone:
            self.engine._playing.pop(self, None)
            return
        self.send_payload(self._tone.pop(0))

    def close(self) -> None:
        """Release the port (to the engine's pool, or to the system when the pool is full)."""
        if self.parked:
            return
        self.stop_playing()
        if self.partner is not None and self.partner.partner is self:
            self.partner.partner = None
        self.partner = None
        self.on_dtmf = None
        self.engine.ports.discard(self)
        self.engine._release(self)

    def _close_socket(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _default_pool() -> int:
    """Parked ports allowed: 8192, or half the file-descriptor limit if lower."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 8192 if soft == resource.RLIM_INFINITY else max(0, min(8192, soft // 2))


def raise_open_file_limit(most: int = 1 << 20) -> int:
    """Raise this process's file-descriptor limit to its hard limit (at most ``most``), as
    telephony servers do: every call holds a media socket, and the pool keeps released ones
    for a while. Returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = most if hard == resource.RLIM_INFINITY else min(hard, most)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d to %d: %s", soft,
                        target, exc)
            return soft
        return target
    return soft


class MediaEngine:
    """Allocates media ports on one address, from a pool of released ones when it can."""

    def __init__(self, host: str = "127.0.0.1", *, pool: int | None = None,
                 quarantine: float = 1.0) -> None:
        self.host = host
        self.ports: set[MediaPort] = set()
        """Ports in use."""
        self.pool = _default_pool() if pool is None else pool
        """How many released ports may be parked for reuse."""
        self.quarantine = quarantine
        """Seconds a released port stays parked before another call may have it."""
        self._parked: deque[tuple[float, MediaPort]] = deque()
        self.opened = 0
        """Sockets opened so far (the rest of the ports handed out came from the pool)."""
        self._playing: dict[MediaPort, None] = {}
        self._clock: asyncio.TimerHandle | None = None
        self._next_tick = 0.0

    def _play(self, port: MediaPort) -> None:
        """Send ``port``'s next frame on the next tick of the engine's 20 ms clock.

        One loop timer for every port playing a tone or a loop, not one per port per frame:
        a port's first frame goes out on the next shared tick, within 20 ms (not at once: a
        call that ends within its first milliseconds, as in a load test, sends no audio), the
        next ones 20 ms apart.
        """
        if port in self._playing:
            return
        self._playing[port] = None
        if self._clock is None:
            loop = asyncio.get_running_loop()
            self._next_tick = loop.time() + FRAME_SECONDS
            self._clock = loop.call_at(self._next_tick, self._tick)

    def _tick(self) -> None:
        self._clock = None
        for port in list(self._playing):
            try:
                port._next_tone_frame()
            except Exception:
                log.exception("media clock: port %s", port.local)
                self._playing.pop(port, None)
        if self._playing:
            loop = asyncio.get_running_loop()
            self._next_tick = max(self._next_tick + FRAME_SECONDS, loop.time())
            self._clock = loop.call_at(self._next_tick, self._tick)

    def now(self) -> float:
        """The loop's clock."""
        return asyncio.get_running_loop().time()

    @property
    def parked(self) -> int:
        """Released ports waiting in the pool."""
        return len(self._parked)

    def open_pooled(self) -> MediaPort | None:
        """A parked port past its quarantine, ready for a new call leg; None if there is none
        (then :meth:`open` opens a socket)."""
        parked = self._parked
        if parked and parked[0][0] <= self.now():
            port = parked.popleft()[1]
            port._reset()
            self.ports.add(port)
            return port
        return None

    def open_now(self) -> MediaPort:
        """A port for a new call leg: a parked one past its quarantine, or a new UDP port
        (OSError when no socket can be opened: out of file descriptors or ports)."""
        port = self.open_pooled()
        if port is None:
            port = MediaPort(self)
            port.transport = RtpSocket(port, self.host, asyncio.get_running_loop())
            port.local = port.transport.local
            self.opened += 1
            self.ports.add(port)
        return port

    async def open(self) -> MediaPort:
        """:meth:`open_now`, for callers that await their port."""
        return self.open_now()

    def _release(self, port: MediaPort) -> None:
        port.parked = True
        transport = port.transport
        try:
            now = self.now()
        except RuntimeError:  # no loop running: nothing will reuse it
            now = None
        if (now is None or len(self._parked) >= self.pool or transport is None
                or transport.is_closing()):
            port._close_socket()
            return
        self._parked.append((now + self.quarantine, port))

    @staticmethod
    def bridge(a: MediaPort, b: MediaPort) -> None:
        """Relay audio between two legs."""
        a.partner, b.partner = b, a
        a.mode = b.mode = "relay"

    def close_all(self) -> None:
        """Release every port and close every socket, parked ones included."""
        for port in list(self.ports):
            port.close()
        if self._clock is not None:
            self._clock.cancel()
            self._clock = None
        self._playing.clear()
        while self._parked:
            self._parked.popleft()[1]._close_socket()
