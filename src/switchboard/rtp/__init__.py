"""Sans-I/O media for Switchboard: RTP/RTCP packets, G.711, RFC 4733 DTMF, tones, WAV, sessions,
jitter buffer and mixer.

Nothing here opens a socket, starts a task or reads a clock: bytes and ``now`` go in, events,
datagrams and timer deadlines come out.  The package imports nothing else of Switchboard's.
See ``docs/rtp.md``.
"""

from .errors import ParseError, ProtocolError, RtpError
from .events import AudioReceived, DtmfReceived, PacketDropped, SsrcChanged, StreamEnded
from .jitter import JitterBuffer
from .packet import RtpPacket, parse_rtcp, serialize_rtcp
from .session import EchoSession, RtpSession, SessionConfig

__all__ = [
    "AudioReceived",
    "DtmfReceived",
    "EchoSession",
    "JitterBuffer",
    "PacketDropped",
    "ParseError",
    "ProtocolError",
    "RtpError",
    "RtpPacket",
    "RtpSession",
    "SessionConfig",
    "SsrcChanged",
    "StreamEnded",
    "parse_rtcp",
    "serialize_rtcp",
]
