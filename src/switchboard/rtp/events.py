"""Events that the media state machines hand to the shell (frozen, keyword-only, validated)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "DIGITS",
    "AudioReceived",
    "DtmfReceived",
    "Event",
    "PacketDropped",
    "SsrcChanged",
    "StreamEnded",
]

#: The sixteen DTMF keys in RFC 4733 event order (events 0-15).
DIGITS = "0123456789*#ABCD"


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioReceived:
    """An audio packet arrived (in sequence order only if it came through a jitter buffer)."""

    #: The RTP payload type (0 PCMU, 8 PCMA, or a dynamic one).
    payload_type: int
    #: Decoded int16 samples for a known codec, else ``None`` (then see ``payload``).
    pcm: npt.NDArray[np.int16] | None = field(compare=False)
    #: The payload octets as received.
    payload: bytes
    #: RTP timestamp of the first sample.
    timestamp: int
    #: Sequence number of the packet.
    sequence_number: int
    #: The marker bit (start of a talkspurt).
    marker: bool
    #: The sender's SSRC.
    ssrc: int

    def __post_init__(self) -> None:
        if not 0 <= self.payload_type <= 127:
            raise ValueError(f"payload_type must be 0-127, got {self.payload_type}")
        if self.pcm is not None and self.pcm.dtype != np.int16:
            raise ValueError(f"pcm must be int16, got {self.pcm.dtype}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfReceived:
    """A key press ended, reported once however many packets carried it."""

    #: One of ``0123456789*#ABCD``.
    digit: str
    #: How long the key was held, in RTP timestamp units (1/8000 s for telephone-event/8000).
    duration: int
    #: RTP timestamp of the start of the event (identifies the press).
    timestamp: int
    #: The sender's SSRC (0 for in-band detection, which has no RTP context).
    ssrc: int = 0

    def __post_init__(self) -> None:
        if len(self.digit) != 1 or self.digit not in DIGITS:
            raise ValueError(f"digit must be one of {DIGITS!r}, got {self.digit!r}")
        if not 0 <= self.duration <= 0xFFFF_FFFF:
            raise ValueError(f"duration must be a non-negative 32-bit count, got {self.duration}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SsrcChanged:
    """The remote source changed SSRC (a re-INVITE, a transfer, a restarted phone)."""

    #: The previous SSRC, or ``None`` for the first packet of the session.
    old_ssrc: int | None
    #: The new SSRC.
    new_ssrc: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PacketDropped:
    """A datagram was discarded; the session keeps counting and carries on."""

    #: Why, e.g. the :class:`~switchboard.rtp.errors.ParseError` message.
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamEnded:
    """The peer sent RTCP BYE for the source we were receiving."""

    #: The source that left.
    ssrc: int
    #: The reason octets of the BYE, if any.
    reason: bytes | None = None


Event = AudioReceived | DtmfReceived | SsrcChanged | PacketDropped | StreamEnded
