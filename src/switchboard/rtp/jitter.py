"""An adaptive jitter buffer for 8 kHz audio frames (sans-I/O, pull model).

Theory of operation.  The network side calls :meth:`JitterBuffer.put` for every audio packet
with its arrival time; the playout side calls :meth:`JitterBuffer.pop` once per frame time (the
shell's 20 ms tick) and always gets exactly one frame back.

Sequence numbers are unwrapped to a 64-bit "extended" number against the next one to play, so
wrap-around at 65536 is invisible.  A packet whose slot has already been played (or concealed or
skipped) is *late* and dropped; one already buffered is a *duplicate* and dropped.

The buffer is in one of two states:

    BUFFERING --(depth >= target)--> PLAYING --(empty for more than max_concealed pops)-->
    BUFFERING

While BUFFERING every pop returns silence.  While PLAYING a pop returns the next frame in
sequence; if that packet is missing while later ones are buffered, the slot is lost and it
returns a *concealed* frame, the last good frame repeated
at half the amplitude each time (packet-loss concealment by repetition, as G.711 Appendix I
does in its simplest form), up to ``max_concealed`` in a row, then silence.  An empty buffer
while PLAYING is concealed the same way but the slot is kept (the packet may only be slow, or
the talker paused); after ``max_concealed`` such pops the buffer goes back to BUFFERING and
refills to the target depth (this is how a talkspurt gap is absorbed).

The target depth adapts to the measured jitter: the RFC 3550 A.8 estimator (gain 1/16) of the
variation in transit time, in seconds, gives ``target = 1 + ceil(3 * jitter / frame_time)``
frames, clamped to ``[min_depth, max_depth]``; ``initial_depth`` holds until 16 transit
differences have been measured.  When PLAYING with more than ``target + 2`` frames
buffered (jitter fell, or a burst arrived), the oldest frame is discarded to cut latency.
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .g711 import check_pcm

__all__ = ["BufferState", "FrameKind", "JitterBuffer", "JitterStats", "PlayoutFrame"]

logger = logging.getLogger(__name__)


class BufferState(enum.Enum):
    """States of :class:`JitterBuffer`."""

    BUFFERING = "buffering"
    PLAYING = "playing"


class FrameKind(enum.Enum):
    """Where a played-out frame came from."""

    AUDIO = "audio"
    CONCEALED = "concealed"
    SILENCE = "silence"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayoutFrame:
    """One frame handed to the playout side."""

    #: Real audio, a concealment of a missing packet, or silence.
    kind: FrameKind
    #: The samples (always ``frame_samples`` long).
    pcm: npt.NDArray[np.int16] = field(compare=False)
    #: The packet's sequence number for AUDIO, else ``None``.
    sequence_number: int | None = None


@dataclass(slots=True)
class JitterStats:
    """Counters of a :class:`JitterBuffer`."""

    received: int = 0
    late: int = 0
    duplicates: int = 0
    played: int = 0
    concealed: int = 0
    silence: int = 0
    discarded: int = 0


class JitterBuffer:
    """Reorder, de-duplicate and pace audio frames; conceal losses; adapt depth to jitter."""

    def __init__(
        self,
        *,
        frame_samples: int = 160,
        clock_rate: int = 8000,
        min_depth: int = 1,
        max_depth: int = 12,
        initial_depth: int = 3,
        max_concealed: int = 3,
    ) -> None:
        if frame_samples <= 0 or clock_rate <= 0:
            raise ValueError("frame_samples and clock_rate must be positive")
        if not 1 <= min_depth <= initial_depth <= max_depth:
            raise ValueError(
                f"need 1 <= min_depth <= initial_depth <= max_depth, got "
                f"{min_depth}, {initial_depth}, {max_depth}"
            )
        if max_concealed < 0:
            raise ValueError(f"max_concealed must be >= 0, got {max_concealed}")
        self.frame_samples = frame_samples
        self.clock_rate = clock_rate
        self.min_depth = min_depth
        self.max_depth = max_depth
        self.max_concealed = max_concealed
        #: Frames to hold before playing; adapts to jitter.
        self.target_depth = initial_depth
        self.state = BufferState.BUFFERING
        self.stats = JitterStats()
        self._frames: dict[int, npt.NDArray[np.int16]] = {}
        self._next: int | None = None  # extended sequence number of the next slot to play
        self._last_good: npt.NDArray[np.int16] | None = None
        self._concealed_run = 0
        self._transit: float | None = None
        self._jitter_samples = 0
        #: Interarrival jitter estimate in seconds (RFC 3550 A.8, gain 1/16).
        self.jitter = 0.0
        self._silence = np.zeros(frame_samples, dtype=np.int16)

    @property
    def depth(self) -> int:
        """Frames currently buffered."""
        return len(self._frames)

    def _extend(self, sequence_number: int) -> int:
        reference = self._next if self._next is not None else sequence_number
        delta = (sequence_number - reference) % 65536
        if delta >= 32768:
            delta -= 65536
        return reference + delta

    def put(self, sequence_number: int, timestamp: int, pcm: npt.ArrayLike, now: float) -> bool:
        """Buffer one packet's samples; False if it was late or a duplicate (and dropped)."""
        samples = check_pcm(pcm)
        if samples.size != self.frame_samples:
            raise ValueError(f"frames must be {self.frame_samples} samples, got {samples.size}")
        self._update_jitter(timestamp, now)
        extended = self._extend(sequence_number)
        if self._next is not None and extended < self._next:
            self.stats.late += 1
            return False
        if extended in self._frames:
            self.stats.duplicates += 1
            return False
        if self._next is None:
            self._next = extended
        self._frames[extended] = samples
        self.stats.received += 1
        if self.depth > 2 * self.max_depth:  # runaway sender: keep latency bounded
            self._discard_oldest()
        return True

    def _update_jitter(self, timestamp: int, now: float) -> None:
        transit = now - timestamp / self.clock_rate
        if self._transit is not None:
            d = abs(transit - self._transit)
            if d < 2**31 / self.clock_rate:  # ignore timestamp wrap and sender restarts
                self.jitter += (d - self.jitter) / 16
                self._jitter_samples += 1
        self._transit = transit
        if self._jitter_samples < 16:
            return  # keep the initial depth until the estimator has settled (gain 1/16)
        frame_time = self.frame_samples / self.clock_rate
        wanted = 1 + math.ceil(3 * self.jitter / frame_time - 1e-9)
        self.target_depth = max(self.min_depth, min(self.max_depth, wanted))

    def _discard_oldest(self) -> None:
        oldest = min(self._frames)
        del self._frames[oldest]
        self.stats.discarded += 1
        if self._next is not None and oldest >= self._next:
            self._next = oldest + 1

    def _set_state(self, state: BufferState) -> None:
        if state is not self.state:
            logger.debug("jitter buffer %s -> %s (depth %d, target %d)", self.state.value,
                         state.value, self.depth, self.target_depth)
            self.state = state

    def pop(self) -> PlayoutFrame:
        """The frame to play now; call exactly once per frame time."""
        if self.state is BufferState.BUFFERING:
            if self.depth < self.target_depth:
                self.stats.silence += 1
                return PlayoutFrame(kind=FrameKind.SILENCE, pcm=self._silence)
            self._next = min(self._frames)
            self._concealed_run = 0
            self._set_state(BufferState.PLAYING)
        assert self._next is not None
        while self.depth > self.target_depth + 2:
            self._discard_oldest()
            self._next = max(self._next, min(self._frames))
        slot = self._next
        frame = self._frames.pop(slot, None)
        if frame is not None or self._frames:
            # Played, or lost for good (a later packet is here): the slot is consumed.  With an
            # empty buffer the packet may just be slow (or the talker paused): keep the slot.
            self._next += 1
        if frame is not None:
            self._last_good = frame
            self._concealed_run = 0
            self.stats.played += 1
            return PlayoutFrame(kind=FrameKind.AUDIO, pcm=frame, sequence_number=slot % 65536)
        self._concealed_run += 1
        if not self._frames and self._concealed_run > self.max_concealed:
            self._set_state(BufferState.BUFFERING)
        if self._last_good is not None and self._concealed_run <= self.max_concealed:
            self.stats.concealed += 1
            pcm = (self._last_good.astype(np.int32) >> self._concealed_run).astype(np.int16)
            return PlayoutFrame(kind=FrameKind.CONCEALED, pcm=pcm)
        self.stats.silence += 1
        return PlayoutFrame(kind=FrameKind.SILENCE, pcm=self._silence)
