"""A sans-I/O RTP session: datagrams and time in; events, datagrams and a timer out.

Theory of operation.

*Receiving.*  :meth:`RtpSession.receive_datagram` demultiplexes RTCP from RTP (RFC 5761), drops
what does not parse (returning :class:`PacketDropped`), and follows one remote source: a packet
from another SSRC switches to it (:class:`SsrcChanged`) and restarts the statistics.  Each RTP
packet updates the RFC 3550 A.1/A.8 statistics (:mod:`.stats`), then becomes
:class:`AudioReceived` (decoded when the payload type is G.711) or, for the negotiated
telephone-event payload type, goes through a :class:`DtmfReceiver` that reports each key press
once (:class:`DtmfReceived`).  Events come out in arrival order; a shell that wants playout
order puts audio through a :class:`~switchboard.rtp.jitter.JitterBuffer`.

*Sending.*  Outgoing packets share one sequence-number space and one timestamp clock.  The
timestamp runs with the media, and with wall time across pauses: ``_stream_time`` is the instant
at which the next sample is due.  When audio is sent after that instant has passed by more than
one packet time, the sender was silent: the timestamp jumps by the elapsed samples and the
first packet carries the marker bit (RFC 3551 §4.1).  :meth:`send_audio` packetises at once (the
shell paces); :meth:`play` queues a prompt that :meth:`handle_timer` releases one packet per
``ptime``; :meth:`send_dtmf` schedules an RFC 4733 event the same way.

*Timers.*  :meth:`get_timer` is the earliest of: the next prompt packet, the next DTMF packet,
and the DTMF receiver's timeout.  :meth:`handle_timer` does everything due at ``now`` (catching
up if called late, without changing timestamps) and returns the datagrams and events.
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Final, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .dtmf import DtmfReceiver, event_packets
from .errors import ParseError, ProtocolError
from .events import (
    AudioReceived,
    Event,
    PacketDropped,
    SsrcChanged,
    StreamEnded,
)
from .g711 import CODECS, Codec, check_pcm
from .packet import (
    SDES_CNAME,
    Goodbye,
    ReceiverReport,
    ReportBlock,
    RtcpPacket,
    RtpPacket,
    SdesChunk,
    SdesItem,
    SenderReport,
    SourceDescription,
    is_rtcp,
    parse_rtcp,
    serialize_rtcp,
)
from .stats import ReceptionStats

__all__ = ["EchoSession", "RtpSession", "SampleSource", "SessionConfig", "TimerOutput"]

logger = logging.getLogger(__name__)

#: Seconds between 1900-01-01 (NTP era 0) and 1970-01-01 (Unix epoch).
NTP_UNIX_OFFSET: Final = 2_208_988_800


@runtime_checkable
class SampleSource(Protocol):
    """Anything that yields 8 kHz int16 samples on demand (e.g. :class:`~.tone.ToneSource`)."""

    def read(self, count: int) -> npt.NDArray[np.int16]:
        """Up to ``count`` samples; fewer (or none) at the end."""
        ...


class _ArraySource:
    def __init__(self, pcm: npt.NDArray[np.int16]) -> None:
        self._pcm = pcm
        self._position = 0

    def read(self, count: int) -> npt.NDArray[np.int16]:
        out = self._pcm[self._position : self._position + count]
        self._position += out.size
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionConfig:
    """Negotiated parameters of one RTP session (what SDP offer/answer agreed on)."""

    #: Our synchronisation source identifier.
    ssrc: int
    #: Payload type of outgoing audio: 0 (PCMU) or 8 (PCMA).
    payload_type: int = 0
    #: Packet time in milliseconds (RFC 4566 ``a=ptime``): a multiple of 5 from 5 to 120.
    ptime_ms: int = 20
    #: Dynamic payload type of telephone-event (RFC 4733), ``None`` if not negotiated.
    telephone_event_pt: int | None = 101
    #: First sequence number (RFC 3550 says random; the shell draws it).
    initial_sequence: int = 0
    #: First timestamp (RFC 3550 says random; the shell draws it).
    initial_timestamp: int = 0
    #: Default key-press length for :meth:`RtpSession.send_dtmf`, in milliseconds.
    dtmf_duration_ms: int = 100
    #: Our CNAME for RTCP SDES (RFC 3550 §6.5.1).
    cname: bytes = b"switchboard"
    #: Seconds to add to ``now`` to get Unix time, for the NTP timestamp of our SRs.
    wallclock_offset: float = 0.0

    def __post_init__(self) -> None:
        if self.payload_type not in CODECS:
            raise ValueError(
                f"payload_type must be one of {sorted(CODECS)}, got {self.payload_type}"
            )
        if not 5 <= self.ptime_ms <= 120 or self.ptime_ms % 5:
            raise ValueError(f"ptime_ms must be a multiple of 5 in 5-120, got {self.ptime_ms}")
        if self.telephone_event_pt is not None and not 96 <= self.telephone_event_pt <= 127:
            raise ValueError(
                f"telephone_event_pt must be dynamic (96-127), got {self.telephone_event_pt}"
            )
        for name, value, bits in (
            ("ssrc", self.ssrc, 32),
            ("initial_sequence", self.initial_sequence, 16),
            ("initial_timestamp", self.initial_timestamp, 32),
        ):
            if not 0 <= value < 1 << bits:
                raise ValueError(f"{name} must fit in {bits} unsigned bits, got {value}")
        if self.dtmf_duration_ms <= 0:
            raise ValueError(f"dtmf_duration_ms must be positive, got {self.dtmf_duration_ms}")


@dataclass(frozen=True, slots=True)
class TimerOutput:
    """What :meth:`RtpSession.handle_timer` produced."""

    #: Datagrams to send now, in order.
    datagrams: list[bytes] = field(default_factory=list)
    #: Events to hand to the application (DTMF presses whose end packets were lost).
    events: list[Event] = field(default_factory=list)


@dataclass(order=True, slots=True)
class _Scheduled:
    due: float
    order: int
    packet: RtpPacket = field(compare=False)


class RtpSession:
    """One RTP session: our outgoing stream and the remote stream we receive.

    All methods take ``now`` in seconds on any monotonic scale; nothing reads a clock.
    """

    def __init__(self, config: SessionConfig) -> None:
        self.config = config
        self.codec: Codec = CODECS[config.payload_type]
        self.clock_rate = self.codec.clock_rate
        #: Samples per outgoing packet.
        self.frame = self.clock_rate * config.ptime_ms // 1000
        self._ptime = config.ptime_ms / 1000
        # Sending state.
        self._sequence = config.initial_sequence
        self._timestamp = config.initial_timestamp
        self._stream_time: float | None = None
        self._leftover = np.zeros(0, dtype=np.int16)
        self._marker_next = True
        self._prompts: deque[SampleSource] = deque()
        self._prompt_due: float | None = None
        self._dtmf_queue: list[_Scheduled] = []
        self._dtmf_order = 0
        self._dtmf_busy_until: float | None = None
        #: Packets and payload octets sent (for SR, 32-bit wrap applied on output).
        self.packets_sent = 0
        self.octets_sent = 0
        self._sent_since_report = False
        # Receiving state.
        self.remote_ssrc: int | None = None
        self.stats: ReceptionStats | None = None
        self._dtmf = DtmfReceiver()
        self._last_sr: tuple[int, float] | None = None
        #: Datagrams dropped because they did not parse.
        self.dropped = 0

    # -- receiving ------------------------------------------------------------------------------

    def receive_datagram(self, data: bytes, now: float) -> list[Event]:
        """Take one UDP payload from the peer; return the events it causes."""
        try:
            if is_rtcp(data):
                return self._receive_rtcp(parse_rtcp(data), now)
            return self._receive_rtp(RtpPacket.parse(data), now)
        except ParseError as exc:
            self.dropped += 1
            logger.debug("dropped datagram: %s", exc.message)
            return [PacketDropped(reason=exc.message)]

    def _receive_rtp(self, packet: RtpPacket, now: float) -> list[Event]:
        events: list[Event] = []
        if packet.ssrc != self.remote_ssrc:
            events.append(SsrcChanged(old_ssrc=self.remote_ssrc, new_ssrc=packet.ssrc))
            logger.info("remote SSRC %s -> %08x", self.remote_ssrc, packet.ssrc)
            self.remote_ssrc = packet.ssrc
            self.stats = ReceptionStats(packet.ssrc, packet.sequence_number)
            self._dtmf = DtmfReceiver(ssrc=packet.ssrc)
            self._last_sr = None
        assert self.stats is not None
        valid = self.stats.update_seq(packet.sequence_number)
        is_event = packet.payload_type == self.config.telephone_event_pt
        if valid and not is_event:
            # Telephone-event packets repeat one timestamp; their transit says nothing of jitter.
            self.stats.update_jitter(packet.timestamp, now)
        if is_event:
            events += self._dtmf.receive(packet.timestamp, packet.payload, now)
            return events
        codec = CODECS.get(packet.payload_type)
        events.append(
            AudioReceived(
                payload_type=packet.payload_type,
                pcm=codec.decode(packet.payload) if codec is not None else None,
                payload=packet.payload,
                timestamp=packet.timestamp,
                sequence_number=packet.sequence_number,
                marker=packet.marker,
                ssrc=packet.ssrc,
            )
        )
        return events

    def _receive_rtcp(self, packets: list[RtcpPacket], now: float) -> list[Event]:
        events: list[Event] = []
        for packet in packets:
            if isinstance(packet, SenderReport) and packet.ssrc == self.remote_ssrc:
                self._last_sr = ((packet.ntp_timestamp >> 16) & 0xFFFF_FFFF, now)
            elif isinstance(packet, Goodbye) and self.remote_ssrc in packet.sources:
                assert self.remote_ssrc is not None
                events.append(StreamEnded(ssrc=self.remote_ssrc, reason=packet.reason))
        return events

    # -- sending --------------------------------------------------------------------------------

    def _next_packet(
        self, payload_type: int, payload: bytes, timestamp: int, marker: bool
    ) -> RtpPacket:
        packet = RtpPacket(
            payload_type=payload_type,
            sequence_number=self._sequence,
            timestamp=timestamp,
            ssrc=self.config.ssrc,
            payload=payload,
            marker=marker,
        )
        self._sequence = (self._sequence + 1) % (1 << 16)
        self.packets_sent += 1
        self.octets_sent += len(payload)
        self._sent_since_report = True
        return packet

    def _align_clock(self, now: float) -> list[bytes]:
        """Start a talkspurt if the sender has been silent for more than one packet time.

        Return the datagram that flushes a partial packet left from before the pause, if any.
        """
        flushed: list[bytes] = []
        if self._stream_time is None:
            self._stream_time = now
            self._marker_next = True
        elif now - self._stream_time > self._ptime + 1e-9:
            if self._leftover.size:
                pad = np.zeros(self.frame - self._leftover.size, dtype=np.int16)
                frame, self._leftover = np.concatenate([self._leftover, pad]), pad[:0]
                flushed.append(self._frame_packet(frame))
            gap = round((now - self._stream_time) * self.clock_rate)
            self._timestamp = (self._timestamp + gap) % (1 << 32)
            self._stream_time = now
            self._marker_next = True
        return flushed

    def _frame_packet(self, frame: npt.NDArray[np.int16]) -> bytes:
        packet = self._next_packet(
            self.config.payload_type, self.codec.encode(frame), self._timestamp, self._marker_next
        )
        self._marker_next = False
        self._timestamp = (self._timestamp + frame.size) % (1 << 32)
        assert self._stream_time is not None
        self._stream_time += frame.size / self.clock_rate
        return packet.serialize()

    def send_audio(self, pcm: npt.ArrayLike, now: float) -> list[bytes]:
        """Packetise int16 samples into ``ptime`` packets; return the datagrams to send now.

        Samples that do not fill a packet wait for the next call (or are padded with silence
        and sent if the next call comes after a pause).
        """
        samples = check_pcm(pcm)
        out = self._align_clock(now)
        samples = np.concatenate([self._leftover, samples])
        whole = samples.size // self.frame * self.frame
        for start in range(0, whole, self.frame):
            out.append(self._frame_packet(samples[start : start + self.frame]))
        self._leftover = samples[whole:]
        return out

    def play(self, source: npt.ArrayLike | SampleSource, now: float) -> None:
        """Queue a prompt (samples or a :class:`SampleSource`) to be sent at real-time pace."""
        prompt = source if isinstance(source, SampleSource) else _ArraySource(check_pcm(source))
        self._prompts.append(prompt)
        if self._prompt_due is None:
            self._prompt_due = now

    def stop_playback(self) -> None:
        """Drop every queued prompt (barge-in)."""
        self._prompts.clear()
        self._prompt_due = None

    @property
    def playing(self) -> bool:
        """True while a prompt is queued."""
        return self._prompt_due is not None

    def send_dtmf(self, digit: str, now: float, *, duration_ms: int | None = None) -> list[bytes]:
        """Start an RFC 4733 key press; return the first packet, schedule the rest.

        Raise :class:`ProtocolError` if telephone-event was not negotiated or another key press
        is still being sent.
        """
        pt = self.config.telephone_event_pt
        if pt is None:
            raise ProtocolError("telephone-event was not negotiated for this session")
        if self._dtmf_busy_until is not None and now < self._dtmf_busy_until:
            raise ProtocolError(f"a DTMF event is being sent until t={self._dtmf_busy_until:.3f}")
        duration = (duration_ms or self.config.dtmf_duration_ms) * self.clock_rate // 1000
        packets = event_packets(digit, duration, interval=self.frame)
        flushed = self._align_clock(now)
        timestamp = self._timestamp
        first_offset = packets[0].send_offset
        for item in packets:
            due = now + (item.send_offset - first_offset) / self.clock_rate
            packet = self._next_packet(pt, item.event.serialize(), timestamp, item.marker)
            self._dtmf_order += 1
            heapq.heappush(self._dtmf_queue, _Scheduled(due, self._dtmf_order, packet))
        self._dtmf_busy_until = max(item.due for item in self._dtmf_queue)
        # The media clock moves on by the event's length; audio resumes after it, and a prompt
        # being played waits (RFC 4733 §2.5.1.2: no audio for the duration of the event).
        assert self._stream_time is not None
        self._timestamp = (self._timestamp + duration) % (1 << 32)
        self._stream_time += duration / self.clock_rate
        self._marker_next = True
        if self._prompt_due is not None:
            self._prompt_due = max(self._prompt_due, self._stream_time)
        while self._dtmf_queue and self._dtmf_queue[0].due <= now:
            flushed.append(heapq.heappop(self._dtmf_queue).packet.serialize())
        return flushed

    # -- timers ---------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """The next instant :meth:`handle_timer` has work, or ``None``."""
        candidates = [
            t
            for t in (
                self._prompt_due,
                self._dtmf_queue[0].due if self._dtmf_queue else None,
                self._dtmf.get_timer(),
            )
            if t is not None
        ]
        return min(candidates) if candidates else None

    def handle_timer(self, now: float) -> TimerOutput:
        """Send what is due at ``now``: prompt packets (one per ``ptime``, catching up if late),
        scheduled DTMF packets; report DTMF presses that timed out."""
        output = TimerOutput()
        while self._dtmf_queue and self._dtmf_queue[0].due <= now:
            output.datagrams.append(heapq.heappop(self._dtmf_queue).packet.serialize())
        while self._prompt_due is not None and self._prompt_due <= now:
            due = self._prompt_due
            frame = self._read_prompt()
            if frame is None:
                self._prompt_due = None
                break
            output.datagrams.extend(self._align_clock(due))
            output.datagrams.append(self._frame_packet(frame))
            self._prompt_due = due + frame.size / self.clock_rate
        output.events.extend(self._dtmf.handle_timer(now))
        return output

    def _read_prompt(self) -> npt.NDArray[np.int16] | None:
        parts: list[npt.NDArray[np.int16]] = []
        need = self.frame
        while need and self._prompts:
            chunk = self._prompts[0].read(need)
            if chunk.size < need:
                self._prompts.popleft()
            if chunk.size:
                parts.append(chunk)
                need -= chunk.size
        if not parts:
            return None
        frame = np.concatenate(parts)
        if frame.size < self.frame:  # the last prompt ended mid-packet: pad with silence
            frame = np.concatenate([frame, np.zeros(self.frame - frame.size, dtype=np.int16)])
        return frame

    # -- RTCP -----------------------------------------------------------------------------------

    def rtcp_report(self, now: float) -> bytes:
        """A compound RTCP packet: SR if we sent since the last report, else RR; then SDES."""
        blocks: tuple[ReportBlock, ...] = ()
        if self.stats is not None and self.stats.probation == 0:
            last_sr, delay = 0, 0
            if self._last_sr is not None:
                last_sr = self._last_sr[0]
                delay = min(0xFFFF_FFFF, max(0, round((now - self._last_sr[1]) * 65536)))
            blocks = (self.stats.report_block(last_sr=last_sr, delay_since_last_sr=delay),)
        report: RtcpPacket
        if self._sent_since_report:
            unix = now + self.config.wallclock_offset + NTP_UNIX_OFFSET
            ntp = round(unix * (1 << 32)) & 0xFFFF_FFFF_FFFF_FFFF
            elapsed = now - (self._stream_time if self._stream_time is not None else now)
            rtp_ts = (self._timestamp + round(elapsed * self.clock_rate)) % (1 << 32)
            report = SenderReport(
                ssrc=self.config.ssrc, ntp_timestamp=ntp, rtp_timestamp=rtp_ts,
                packet_count=self.packets_sent & 0xFFFF_FFFF,
                octet_count=self.octets_sent & 0xFFFF_FFFF, reports=blocks,
            )
        else:
            report = ReceiverReport(ssrc=self.config.ssrc, reports=blocks)
        self._sent_since_report = False
        return serialize_rtcp([report, self._sdes()])

    def _sdes(self) -> SourceDescription:
        cname = SdesItem(type=SDES_CNAME, value=self.config.cname)
        return SourceDescription(chunks=(SdesChunk(ssrc=self.config.ssrc, items=(cname,)),))

    def bye(self, reason: bytes | None = None) -> bytes:
        """The RTCP BYE that ends our stream (RFC 3550 §6.6), after an RR and SDES."""
        return serialize_rtcp(
            [ReceiverReport(ssrc=self.config.ssrc), self._sdes(),
             Goodbye(sources=(self.config.ssrc,), reason=reason)]
        )


class EchoSession:
    """The PBX echo test: every received audio packet comes back with our SSRC, sequence and
    timestamp.

    Our timestamps follow the remote ones offset by a constant, so gaps (silence suppression,
    loss) are preserved; sequence numbers are our own and contiguous.  DTMF and other events are
    reported, not echoed.
    """

    def __init__(self, config: SessionConfig) -> None:
        self.session = RtpSession(config)
        self._offset: int | None = None

    def receive_datagram(self, data: bytes, now: float) -> tuple[list[Event], list[bytes]]:
        """Take one datagram; return its events and the echo datagrams to send back."""
        events = self.session.receive_datagram(data, now)
        out: list[bytes] = []
        for event in events:
            if isinstance(event, SsrcChanged):
                self._offset = None
            if not isinstance(event, AudioReceived):
                continue
            if self._offset is None:
                self._offset = (self.session._timestamp - event.timestamp) % (1 << 32)
            packet = self.session._next_packet(
                event.payload_type, event.payload, (event.timestamp + self._offset) % (1 << 32),
                event.marker,
            )
            out.append(packet.serialize())
        return events, out
