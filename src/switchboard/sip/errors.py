"""The one error hierarchy of :mod:`switchboard.sip`.

Every error this package raises on bad input from the network is a :class:`ParseError` (or a
subclass) carrying the SIP status code the transport should answer with and a precise message fit
for a ``Warning`` header (RFC 3261 §20.43).  The transport translates these into responses at
exactly one boundary; nothing else in the package knows about sockets.

Misuse of the API by local code (an illegal state-machine input, an unrepresentable value) raises
:class:`ProtocolError` or :class:`ValueError`, never :class:`ParseError`.
"""

from __future__ import annotations

__all__ = [
    "NegotiationError",
    "ParseError",
    "ProtocolError",
    "SipError",
]


class SipError(Exception):
    """Base class of every error raised by :mod:`switchboard.sip`."""


class ParseError(SipError):
    """Bytes or text from a peer do not follow the grammar the RFCs give them.

    ``status_code`` is the response a UAS or proxy should send when this error is raised while
    parsing a request (400 unless stated otherwise: 505 for an unsupported SIP version, 513 for a
    message over the size limit).  For a response from the network the right action is to drop it
    (RFC 3261 §18.1.2); the status code is then only informative.
    """

    def __init__(self, message: str, *, status_code: int = 400) -> None:
        if not 400 <= status_code <= 699:
            raise ValueError(f"status_code must be a 4xx-6xx code, got {status_code}")
        super().__init__(message)
        #: The SIP status code to answer a request with (400, 505, 513, ...).
        self.status_code = status_code
        #: The human-readable explanation, without the status code.
        self.message = message

    @property
    def warning(self) -> str:
        """The message as a ``Warning`` header value (code 399, miscellaneous warning).

        RFC 3261 §20.43: ``warn-code SP warn-agent SP warn-text``; the agent is ``-`` here and
        the caller may substitute its own host name.
        """
        text = self.message.replace("\\", "\\\\").replace('"', '\\"')
        text = "".join(ch if ch >= " " and ch != "\x7f" else "?" for ch in text)
        return f'399 - "{text}"'

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code})"


class ProtocolError(SipError):
    """Local code drove a state machine through a transition the RFC does not allow.

    This is a bug in the caller (for example sending a provisional response after a final one),
    never a reaction to something a peer sent.
    """


class NegotiationError(SipError):
    """SDP offer/answer found nothing acceptable (RFC 3264 §6).

    ``status_code`` is 488 (Not Acceptable Here, RFC 3261 §21.4.26), the response to an INVITE
    whose offer cannot be answered.
    """

    def __init__(self, message: str, *, status_code: int = 488) -> None:
        super().__init__(message)
        #: The SIP status code to reject the offer with.
        self.status_code = status_code
        #: The human-readable explanation.
        self.message = message
