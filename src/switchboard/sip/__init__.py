"""Sans-I/O SIP for Switchboard: messages, URIs, SDP, digest auth, transactions, dialogs.

Nothing in this package opens a socket, starts a task or reads the clock: bytes and ``now`` go
in, messages, events, bytes and timer deadlines come out (in the manner of h11 and aioquic).  It
depends on the standard library only.  See ``docs/sip.md``.
"""

from .errors import NegotiationError, ParseError, ProtocolError, SipError
from .headers import Headers
from .message import Request, Response, make_response
from .parser import ParserLimits, StreamParser, parse_message
from .uri import AbsoluteURI, NameAddress, SipURI, TelURI, parse_name_addr, parse_uri

__all__ = [
    "AbsoluteURI",
    "Headers",
    "NameAddress",
    "NegotiationError",
    "ParseError",
    "ParserLimits",
    "ProtocolError",
    "Request",
    "Response",
    "SipError",
    "SipURI",
    "StreamParser",
    "TelURI",
    "make_response",
    "parse_message",
    "parse_name_addr",
    "parse_uri",
]
