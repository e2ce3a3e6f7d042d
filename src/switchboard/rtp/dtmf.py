"""DTMF: RFC 4733 telephone-events (payload, sender, receiver) and in-band tones (Goertzel).

Out-of-band, a key press travels as a series of RTP packets with the same timestamp (the start of
the press) and a growing duration; the last three carry the E bit (RFC 4733 §2.5.1).  The
:func:`event_packets` sender produces that series and :class:`DtmfReceiver` turns any order,
loss or duplication of it back into exactly one :class:`~switchboard.rtp.events.DtmfReceived`.

In-band, the key press is a pair of sine waves in the audio (ITU-T Q.23): :func:`dtmf_tone`
generates them and :class:`InbandDtmfDetector` finds them with the Goertzel algorithm.
"""

from __future__ import annotations

import enum
import logging
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from .errors import ParseError
from .events import DIGITS, DtmfReceived
from .g711 import check_pcm

__all__ = [
    "DIGITS",
    "DtmfReceiver",
    "InbandDtmfDetector",
    "TelephoneEvent",
    "digit_event",
    "dtmf_sequence",
    "dtmf_tone",
    "event_digit",
    "event_packets",
    "parse_events",
]

logger = logging.getLogger(__name__)

SAMPLE_RATE: Final = 8000
#: Default time between two packets of one event: 20 ms at 8 kHz (RFC 4733 §2.5.1.2 allows
#: 50 ms; most PBXs use the audio ptime).
DEFAULT_INTERVAL: Final = 160
#: Default volume of generated events, in -dBm0 (RFC 4733 §2.3.4 and §2.5.1.2).
DEFAULT_VOLUME: Final = 10

_EVENT = struct.Struct("!BBH")


def digit_event(digit: str) -> int:
    """The RFC 4733 event code of a DTMF key (``"0"`` -> 0, ``"*"`` -> 10, ``"D"`` -> 15)."""
    index = DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if index < 0:
        raise ValueError(f"not a DTMF digit: {digit!r} (expected one of {DIGITS!r})")
    return index


def event_digit(event: int) -> str | None:
    """The DTMF key of an RFC 4733 event code, or ``None`` for non-DTMF events (flash, tones)."""
    return DIGITS[event] if 0 <= event < len(DIGITS) else None


# --------------------------------------------------------------------------------------------
# The telephone-event payload (RFC 4733 §2.3)


@dataclass(frozen=True, slots=True, kw_only=True)
class TelephoneEvent:
    """One 4-octet telephone-event block (RFC 4733 §2.3, Figure 1)."""

    #: Event code, 0-255 (0-15 are DTMF keys, 16 is flash).
    event: int
    #: The E bit: this is (a retransmission of) the last packet of the event.
    end: bool = False
    #: Power level in -dBm0, 0-63 (only meaningful for DTMF events).
    volume: int = DEFAULT_VOLUME
    #: Duration so far, in RTP timestamp units, 0-65535.
    duration: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.event <= 255:
            raise ValueError(f"event must be 0-255, got {self.event}")
        if not 0 <= self.volume <= 63:
            raise ValueError(f"volume must be 0-63, got {self.volume}")
        if not 0 <= self.duration <= 0xFFFF:
            raise ValueError(f"duration must be 0-65535, got {self.duration}")

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview) -> TelephoneEvent:
        """Parse exactly one 4-octet block; the R bit is ignored as §2.3.3 requires."""
        if len(data) != 4:
            raise ParseError(f"telephone-event payload must be 4 octets, got {len(data)}")
        event, flags, duration = _EVENT.unpack(bytes(data))
        return cls(event=event, end=bool(flags & 0x80), volume=flags & 0x3F, duration=duration)

    def serialize(self) -> bytes:
        """The 4 payload octets (R bit zero)."""
        return _EVENT.pack(self.event, (0x80 if self.end else 0) | self.volume, self.duration)


def parse_events(payload: bytes | bytearray | memoryview) -> list[TelephoneEvent]:
    """Parse a payload of one or more 4-octet blocks (RFC 4733 §2.5.1.5 packs several)."""
    if not payload or len(payload) % 4:
        raise ParseError(
            f"telephone-event payload must be a non-empty multiple of 4 octets, got {len(payload)}"
        )
    return [TelephoneEvent.parse(payload[i : i + 4]) for i in range(0, len(payload), 4)]


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPacket:
    """One packet of an outgoing event, before RTP framing."""

    #: Set on the first packet of the event only (RFC 4733 §2.5.1.3).
    marker: bool
    #: The payload block.
    event: TelephoneEvent
    #: Offset from the start of the press at which to send it, in timestamp units.
    send_offset: int


def event_packets(
    digit: str,
    duration: int,
    *,
    interval: int = DEFAULT_INTERVAL,
    volume: int = DEFAULT_VOLUME,
) -> list[EventPacket]:
    """The packets that signal ``digit`` held for ``duration`` timestamp units.

    One update every ``interval`` units carrying the duration so far (the first one, sent
    ``interval`` after the key went down, carries the marker), then the final duration three
    times with the E bit set (RFC 4733 §2.5.1.4), all to be sent with the same RTP timestamp.
    The three end packets are spaced one ``interval`` apart.  Durations are limited to 65535
    units (8.19 s at 8 kHz); longer presses need the segmentation of §2.5.2.3, which this
    sender does not implement.
    """
    event = digit_event(digit)
    if not 0 < duration <= 0xFFFF:
        raise ValueError(f"duration must be 1-65535 timestamp units, got {duration}")
    if interval <= 0:
        raise ValueError(f"interval must be positive, got {interval}")
    packets: list[EventPacket] = []
    elapsed = interval
    while elapsed < duration:
        packets.append(
            EventPacket(
                marker=not packets,
                event=TelephoneEvent(event=event, volume=volume, duration=elapsed),
                send_offset=elapsed,
            )
        )
        elapsed += interval
    final = TelephoneEvent(event=event, end=True, volume=volume, duration=duration)
    for repeat in range(3):
        packets.append(
            EventPacket(marker=not packets, event=final, send_offset=duration + repeat * interval)
        )
    return packets


# --------------------------------------------------------------------------------------------
# The receiver
#
# Theory of operation.  Every packet of one key press carries the same RTP timestamp, so the
# timestamp is the identity of a press.  The receiver is IDLE or ACTIVE (tracking one press).
# A packet is classified against that state:
#
#   STALE       its timestamp belongs to a press already reported (late update, duplicate or
#               second/third end packet): dropped.
#   UPDATE      no E bit, the current press: extend its duration.
#   NEW_UPDATE  no E bit, a timestamp newer than the current press (or any, when IDLE): start
#               tracking it; if another press was ACTIVE, its end packets were all lost, so it
#               is reported now with its last known duration.
#   OLD_UPDATE  no E bit, older than the current press but never reported: its packets were
#               reordered behind a later press that is already being tracked.  It is reported
#               at once with the duration it carries (its end packets would be STALE), so that
#               even a press whose only surviving packet is such an update is reported.
#   END         E bit: report the press now (whether or not it was tracked) and remember it;
#               if it is newer than the press being tracked, that one is reported first.
#   TIMEOUT     (from handle_timer) no packet for ``timeout`` seconds: report what we have.
#
# Reported timestamps are remembered (the last 32) so that each press is reported once.


class ReceiverState(enum.Enum):
    """States of :class:`DtmfReceiver`."""

    IDLE = "idle"
    ACTIVE = "active"


class _Input(enum.Enum):
    STALE = "stale"
    UPDATE = "update"
    NEW_UPDATE = "new-update"
    OLD_UPDATE = "old-update"
    END = "end"
    TIMEOUT = "timeout"


@dataclass(slots=True)
class _Press:
    timestamp: int
    event: int
    duration: int
    last_seen: float


def _newer(a: int, b: int) -> bool:
    """True if 32-bit timestamp ``a`` is after ``b`` (serial number arithmetic, RFC 1982)."""
    return a != b and ((a - b) & 0xFFFF_FFFF) < 0x8000_0000


_Handler = Callable[["DtmfReceiver", _Press | None], list[DtmfReceived]]


class DtmfReceiver:
    """Turn received telephone-event packets into one :class:`DtmfReceived` per key press.

    Feed every telephone-event packet to :meth:`receive` (in arrival order, with duplicates,
    loss and reordering as they come); call :meth:`handle_timer` when :meth:`get_timer` says so,
    to report a press whose end packets were all lost.
    """

    def __init__(self, *, timeout: float = 0.5, ssrc: int = 0) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        #: Seconds without a packet after which an unfinished press is reported.
        self.timeout = timeout
        self.ssrc = ssrc
        self.state = ReceiverState.IDLE
        self._current: _Press | None = None
        self._reported: deque[int] = deque(maxlen=32)
        #: Non-DTMF events (flash, tones) seen and ignored.
        self.ignored_events = 0

    # -- transitions: (state, input) -> handler; a missing entry is an impossible input ----

    def _start(self, press: _Press | None) -> list[DtmfReceived]:
        assert press is not None
        self._current = press
        self._set_state(ReceiverState.ACTIVE)
        return []

    def _extend(self, press: _Press | None) -> list[DtmfReceived]:
        assert press is not None and self._current is not None
        self._current.duration = max(self._current.duration, press.duration)
        self._current.last_seen = press.last_seen
        return []

    def _flush_and_start(self, press: _Press | None) -> list[DtmfReceived]:
        flushed = self._time_out(None)
        return flushed + self._start(press)

    def _report_other(self, press: _Press | None) -> list[DtmfReceived]:
        assert press is not None
        return [self._report(press)]

    def _end_active(self, press: _Press | None) -> list[DtmfReceived]:
        assert press is not None and self._current is not None
        if press.timestamp == self._current.timestamp:
            self._current = None
            self._set_state(ReceiverState.IDLE)
            return [self._report(press)]
        if _newer(press.timestamp, self._current.timestamp):
            # A later press ended before the current one did: the current one's end was lost.
            return [*self._time_out(None), self._report(press)]
        # The end of an earlier press, reordered behind the current one.
        return [self._report(press)]

    def _time_out(self, press: _Press | None) -> list[DtmfReceived]:
        assert self._current is not None
        current, self._current = self._current, None
        self._set_state(ReceiverState.IDLE)
        return [self._report(current)]

    def _drop(self, press: _Press | None) -> list[DtmfReceived]:
        return []

    _TRANSITIONS: Final[dict[tuple[ReceiverState, _Input], _Handler]] = {
        (ReceiverState.IDLE, _Input.STALE): _drop,
        (ReceiverState.IDLE, _Input.NEW_UPDATE): _start,
        (ReceiverState.IDLE, _Input.END): _report_other,
        (ReceiverState.ACTIVE, _Input.STALE): _drop,
        (ReceiverState.ACTIVE, _Input.UPDATE): _extend,
        (ReceiverState.ACTIVE, _Input.NEW_UPDATE): _flush_and_start,
        (ReceiverState.ACTIVE, _Input.OLD_UPDATE): _report_other,
        (ReceiverState.ACTIVE, _Input.END): _end_active,
        (ReceiverState.ACTIVE, _Input.TIMEOUT): _time_out,
    }

    def _set_state(self, state: ReceiverState) -> None:
        if state is not self.state:
            logger.debug("dtmf receiver %s -> %s", self.state.value, state.value)
            self.state = state

    def _report(self, press: _Press) -> DtmfReceived:
        self._reported.append(press.timestamp)
        digit = event_digit(press.event)
        assert digit is not None
        logger.debug("dtmf %s duration %d at ts %d", digit, press.duration, press.timestamp)
        return DtmfReceived(
            digit=digit, duration=press.duration, timestamp=press.timestamp, ssrc=self.ssrc
        )

    def _classify(self, timestamp: int, end: bool) -> _Input:
        if timestamp in self._reported:
            return _Input.STALE
        if end:
            return _Input.END
        current = self._current
        if current is None or _newer(timestamp, current.timestamp):
            return _Input.NEW_UPDATE
        if timestamp == current.timestamp:
            return _Input.UPDATE
        return _Input.OLD_UPDATE

    def _dispatch(self, kind: _Input, press: _Press | None) -> list[DtmfReceived]:
        handler = self._TRANSITIONS[(self.state, kind)]
        return handler(self, press)

    # -- public API ----------------------------------------------------------------------------

    def receive(
        self, timestamp: int, payload: bytes | bytearray | memoryview, now: float
    ) -> list[DtmfReceived]:
        """Take one telephone-event RTP packet's timestamp and payload; return finished presses.

        Raise :class:`ParseError` if the payload is not telephone-event blocks.  With several
        blocks in one payload (§2.5.1.5), block ``i`` starts at the packet timestamp plus the
        durations of the blocks before it.
        """
        out: list[DtmfReceived] = []
        start = timestamp
        for block in parse_events(payload):
            if event_digit(block.event) is None:
                self.ignored_events += 1
            else:
                press = _Press(
                    timestamp=start, event=block.event, duration=block.duration, last_seen=now
                )
                out += self._dispatch(self._classify(start, block.end), press)
            start = (start + block.duration) & 0xFFFF_FFFF
        return out

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called, or ``None``."""
        if self._current is None:
            return None
        return self._current.last_seen + self.timeout

    def handle_timer(self, now: float) -> list[DtmfReceived]:
        """Report a press whose packets stopped ``timeout`` seconds ago (all end packets lost)."""
        deadline = self.get_timer()
        if deadline is None or now < deadline:
            return []
        return self._dispatch(_Input.TIMEOUT, None)


# --------------------------------------------------------------------------------------------
# In-band tones (ITU-T Q.23 frequencies, Q.24-style acceptance checks)

ROW_FREQUENCIES: Final = (697.0, 770.0, 852.0, 941.0)
COLUMN_FREQUENCIES: Final = (1209.0, 1336.0, 1477.0, 1633.0)
_KEYPAD: Final = ("123A", "456B", "789C", "*0#D")


def _digit_frequencies(digit: str) -> tuple[float, float]:
    digit_event(digit)  # validates
    for row, keys in enumerate(_KEYPAD):
        column = keys.find(digit.upper())
        if column >= 0:
            return ROW_FREQUENCIES[row], COLUMN_FREQUENCIES[column]
    raise AssertionError("unreachable: every DTMF digit is on the keypad")  # pragma: no cover


def dtmf_tone(
    digit: str, samples: int, *, amplitude: float = 8000.0, twist_db: float = 0.0,
    phase: float = 0.0,
) -> npt.NDArray[np.int16]:
    """``samples`` of the two-tone signal of ``digit`` at 8 kHz.

    ``amplitude`` is the peak of the low (row) tone; the high (column) tone is ``twist_db``
    louder (negative: quieter).  The sum is clipped to int16.
    """
    if samples < 0:
        raise ValueError(f"samples must be >= 0, got {samples}")
    low, high = _digit_frequencies(digit)
    t = np.arange(samples) / SAMPLE_RATE
    high_amplitude = amplitude * 10 ** (twist_db / 20)
    signal = amplitude * np.sin(2 * np.pi * low * t + phase) + high_amplitude * np.sin(
        2 * np.pi * high * t + phase
    )
    return np.clip(np.round(signal), -32768, 32767).astype(np.int16)


def dtmf_sequence(
    digits: str, *, tone_ms: int = 100, gap_ms: int = 100, amplitude: float = 8000.0
) -> npt.NDArray[np.int16]:
    """Digits as tones of ``tone_ms`` separated by ``gap_ms`` of silence (8 kHz int16)."""
    tone = tone_ms * SAMPLE_RATE // 1000
    gap = np.zeros(gap_ms * SAMPLE_RATE // 1000, dtype=np.int16)
    parts: list[npt.NDArray[np.int16]] = []
    for digit in digits:
        parts += [dtmf_tone(digit, tone, amplitude=amplitude), gap]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorSettings:
    """Acceptance thresholds of :class:`InbandDtmfDetector`."""

    #: Goertzel block length; 205 samples (25.6 ms) puts all eight tones near a bin centre.
    block: int = 205
    #: Smallest accepted peak amplitude of each tone (int16 units; 100 is about -50 dBFS).
    min_amplitude: float = 100.0
    #: Column tone weaker than row tone by at most this (normal twist).
    max_normal_twist_db: float = 8.0
    #: Column tone stronger than row tone by at most this (reverse twist).
    max_reverse_twist_db: float = 4.0
    #: The strongest tone of a group must exceed the others of that group by this much.
    min_peak_ratio_db: float = 8.0
    #: Share of the block's energy the two tones must hold (rejects speech and noise).
    min_energy_share: float = 0.6
    #: Neither half of a block may hold less than this share of the other half's energy: a
    #: block only partly covered by a tone does not count (0.25: the tone covers >= 62.5%).
    min_half_energy_ratio: float = 0.25
    #: Consecutive blocks needed to accept a digit.  With 205-sample blocks and the half-energy
    #: check, every tone of 58 ms or more is accepted and none under 32 ms is, whatever its
    #: alignment to the blocks (Q.24 asks for acceptance from 40 ms: not guaranteed here).
    min_blocks: int = 2


def _goertzel_power(
    blocks: npt.NDArray[np.float64], frequencies: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Goertzel power of each block (rows) at each frequency (columns): |X(f)|^2."""
    coeff = 2.0 * np.cos(2.0 * np.pi * frequencies / SAMPLE_RATE)
    s1 = np.zeros((blocks.shape[0], frequencies.size))
    s2 = np.zeros_like(s1)
    for n in range(blocks.shape[1]):
        s0 = blocks[:, n : n + 1] + coeff * s1 - s2
        s2 = s1
        s1 = s0
    power: npt.NDArray[np.float64] = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return power


_ALL_FREQUENCIES: Final = np.array(ROW_FREQUENCIES + COLUMN_FREQUENCIES)


class InbandDtmfDetector:
    """Find DTMF digits in 8 kHz int16 audio, streaming.

    Theory of operation: the audio is cut into blocks of ``settings.block`` samples; in each
    block the Goertzel power at the eight DTMF frequencies gives the strongest row and column
    tone.  A block *shows* a digit when both tones are loud enough, the twist between them is
    within limits, each dominates its group, and together they hold most of the block's energy.
    A digit is reported once, when ``min_blocks`` consecutive blocks show it; the detector then
    waits for a block that shows something else (silence or another digit) before it can report
    again, so a held key is one digit and a pause between two equal keys makes two.
    """

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self._pending = np.zeros(0, dtype=np.int16)
        self._candidate: str | None = None
        self._run = 0
        self._reported = False
        self._samples_seen = 0
        self._first_sample = 0

    def feed(self, pcm: npt.ArrayLike) -> list[DtmfReceived]:
        """Add samples; return the digits completed in them.

        ``timestamp`` of each result is the sample index (from the first sample fed) at which
        the tone was first seen, and ``duration`` the samples it had lasted when reported.
        """
        samples = np.concatenate([self._pending, check_pcm(pcm)])
        size = self.settings.block
        count = samples.size // size
        self._pending = samples[count * size :]
        if count == 0:
            return []
        blocks = samples[: count * size].reshape(count, size).astype(np.float64)
        shown = self._classify(blocks)
        out: list[DtmfReceived] = []
        for digit in shown:
            start = self._samples_seen
            self._samples_seen += size
            if digit is None or digit != self._candidate:
                self._candidate, self._run, self._reported = digit, 0, False
                self._first_sample = start
            if digit is None:
                continue
            self._run += 1
            if self._run >= self.settings.min_blocks and not self._reported:
                self._reported = True
                out.append(
                    DtmfReceived(
                        digit=digit,
                        duration=self._run * size,
                        timestamp=self._first_sample & 0xFFFF_FFFF,
                    )
                )
        return out

    def _classify(self, blocks: npt.NDArray[np.float64]) -> list[str | None]:
        s = self.settings
        power = _goertzel_power(blocks, _ALL_FREQUENCIES)
        # A sine of peak A over N samples has Goertzel power (A N / 2)^2.
        amplitude = 2.0 * np.sqrt(np.maximum(power, 0.0)) / s.block
        rows, columns = amplitude[:, :4], amplitude[:, 4:]
        row = rows.argmax(axis=1)
        column = columns.argmax(axis=1)
        index = np.arange(blocks.shape[0])
        row_peak = rows[index, row]
        column_peak = columns[index, column]
        tone_energy = (row_peak**2 + column_peak**2) * s.block / 2.0
        total_energy = np.sum(blocks * blocks, axis=1)
        half = s.block // 2
        first_half = np.sum(blocks[:, :half] ** 2, axis=1)
        second_half = np.sum(blocks[:, half : 2 * half] ** 2, axis=1)
        steady = (first_half >= s.min_half_energy_ratio * second_half) & (
            second_half >= s.min_half_energy_ratio * first_half
        )
        ratio = 10 ** (s.min_peak_ratio_db / 20)
        rows_other = np.sort(rows, axis=1)[:, -2]
        columns_other = np.sort(columns, axis=1)[:, -2]
        twist_db = 20 * np.log10(np.maximum(column_peak, 1e-9) / np.maximum(row_peak, 1e-9))
        ok = (
            (row_peak >= s.min_amplitude)
            & (column_peak >= s.min_amplitude)
            & (twist_db >= -s.max_normal_twist_db)
            & (twist_db <= s.max_reverse_twist_db)
            & (row_peak >= ratio * rows_other)
            & (column_peak >= ratio * columns_other)
            & (tone_energy >= s.min_energy_share * np.maximum(total_energy, 1e-9))
            & steady
        )
        return [
            _KEYPAD[int(r)][int(c)] if good else None
            for r, c, good in zip(row, column, ok, strict=True)
        ]
