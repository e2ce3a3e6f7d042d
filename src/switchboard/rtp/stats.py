"""Reception statistics of one RTP source, exactly as RFC 3550 Appendix A.1, A.3 and A.8.

Theory of operation.  A new source is on *probation* until ``MIN_SEQUENTIAL`` packets arrive in
sequence (A.1); until then nothing counts.  Afterwards each sequence number either advances the
highest one seen (counting a new 65536 cycle when it wraps), is a duplicate or a late packet
(within ``MAX_MISORDER`` behind: counted as received, which is why the loss count can go
negative), or is a large jump.  A jump is believed only when the next packet follows it: the
sender restarted, and the statistics start over.  Interarrival jitter (A.8) is the running
average, with gain 1/16, of the change in transit time between consecutive packets, kept scaled
by 16 in an integer as the RFC's second implementation does, so results are bit-exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .packet import ReportBlock

__all__ = ["SEQ_MOD", "ReceptionStats"]

SEQ_MOD: Final = 1 << 16
MAX_DROPOUT: Final = 3000
MAX_MISORDER: Final = 100
MIN_SEQUENTIAL: Final = 2


@dataclass(slots=True)
class _Interval:
    expected_prior: int = 0
    received_prior: int = 0


class ReceptionStats:
    """Sequence, loss and jitter bookkeeping for one SSRC (RFC 3550 A.1, A.3, A.8)."""

    def __init__(self, ssrc: int, sequence_number: int, *, clock_rate: int = 8000) -> None:
        #: The source these statistics describe.
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self._init_seq(sequence_number)
        self.max_seq = (sequence_number - 1) % SEQ_MOD
        self.probation = MIN_SEQUENTIAL
        self._jitter16 = 0
        self._transit: int | None = None

    def _init_seq(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = SEQ_MOD + 1  # so seq == bad_seq is false
        self.cycles = 0
        self.received = 0
        self._interval = _Interval()

    def update_seq(self, seq: int) -> bool:
        """Account for a packet; False if it must be ignored (probation or an unconfirmed jump)."""
        udelta = (seq - self.max_seq) % SEQ_MOD
        if self.probation:
            if seq == (self.max_seq + 1) % SEQ_MOD:
                self.probation -= 1
                self.max_seq = seq
                if self.probation == 0:
                    self._init_seq(seq)
                    self.received += 1
                    return True
            else:
                self.probation = MIN_SEQUENTIAL - 1
                self.max_seq = seq
            return False
        if udelta < MAX_DROPOUT:
            if seq < self.max_seq:  # in order, with permissible gap, wrapped
                self.cycles += SEQ_MOD
            self.max_seq = seq
        elif udelta <= SEQ_MOD - MAX_MISORDER:
            if seq == self.bad_seq:
                # Two sequential packets after a big jump: the sender restarted.
                self._init_seq(seq)
            else:
                self.bad_seq = (seq + 1) % SEQ_MOD
                return False
        # else: a duplicate or reordered packet
        self.received += 1
        return True

    def update_jitter(self, timestamp: int, now: float) -> None:
        """RFC 3550 A.8 with the arrival time ``now`` (seconds) in timestamp units."""
        arrival = round(now * self.clock_rate)
        transit = arrival - timestamp
        if self._transit is not None:
            d = (transit - self._transit) % (1 << 32)
            if d >= 1 << 31:
                d = (1 << 32) - d  # |D| with 32-bit wrap
            self._jitter16 += d - ((self._jitter16 + 8) >> 4)
        self._transit = transit

    @property
    def extended_max(self) -> int:
        """Extended highest sequence number received (cycles + max_seq), 32 bits."""
        return (self.cycles + self.max_seq) & 0xFFFF_FFFF

    @property
    def expected(self) -> int:
        """Packets expected so far (A.3)."""
        return self.cycles + self.max_seq - self.base_seq + 1

    @property
    def lost(self) -> int:
        """Cumulative packets lost, clamped to the 24-bit signed field of a report block."""
        return max(-(1 << 23), min((1 << 23) - 1, self.expected - self.received))

    @property
    def jitter(self) -> int:
        """Interarrival jitter in timestamp units (the integer of A.8)."""
        return self._jitter16 >> 4

    def report_block(self, *, last_sr: int = 0, delay_since_last_sr: int = 0) -> ReportBlock:
        """A report block for this source; starts a new loss interval (A.3)."""
        expected = self.expected
        expected_interval = expected - self._interval.expected_prior
        received_interval = self.received - self._interval.received_prior
        self._interval = _Interval(expected_prior=expected, received_prior=self.received)
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = min(255, (lost_interval << 8) // expected_interval)
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=fraction,
            packets_lost=self.lost,
            highest_sequence=self.extended_max,
            jitter=self.jitter & 0xFFFF_FFFF,
            last_sr=last_sr,
            delay_since_last_sr=delay_since_last_sr,
        )
