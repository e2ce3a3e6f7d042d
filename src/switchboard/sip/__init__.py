"""Sans-I/O SIP for Switchboard: messages, URIs, SDP, digest auth, transactions, dialogs.

Nothing in this package opens a socket, starts a task or reads the clock: bytes and ``now`` go
in, messages, events, bytes and timer deadlines come out (in the manner of h11 and aioquic).  It
depends on the standard library only.  See ``docs/sip.md``.
"""

from .dialog import Dialog, DialogError, DialogId, DialogState, dialog_id_of, session_timer_answer
from .errors import NegotiationError, ParseError, ProtocolError, SipError
from .headers import Headers
from .message import Request, Response, make_response
from .parser import ParserLimits, StreamParser, parse_message
from .refer import Replaces, make_refer_to, parse_refer_to, refer_notify, replaces_from_refer_to
from .uri import AbsoluteURI, NameAddress, SipURI, TelURI, parse_name_addr, parse_uri

__all__ = [
    "AbsoluteURI",
    "Dialog",
    "DialogError",
    "DialogId",
    "DialogState",
    "Headers",
    "NameAddress",
    "NegotiationError",
    "ParseError",
    "ParserLimits",
    "ProtocolError",
    "Replaces",
    "Request",
    "Response",
    "SipError",
    "SipURI",
    "StreamParser",
    "TelURI",
    "dialog_id_of",
    "make_refer_to",
    "make_response",
    "parse_message",
    "parse_name_addr",
    "parse_refer_to",
    "parse_uri",
    "refer_notify",
    "replaces_from_refer_to",
    "session_timer_answer",
]
