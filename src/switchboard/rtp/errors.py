"""The one error hierarchy of :mod:`switchboard.rtp`.

Bytes from the network that do not follow RFC 3550 / RFC 4733 raise :class:`ParseError` with a
precise message; the media engine drops such datagrams (RFC 3550 §A.1: invalid packets are
discarded, never answered) and counts them.  Nothing else in the package raises on network input.

Misuse by local code raises :class:`ValueError` (an unrepresentable field value, for example a
payload type of 200) or :class:`ProtocolError` (a call that the current state does not allow).
"""

from __future__ import annotations

__all__ = ["ParseError", "ProtocolError", "RtpError"]


class RtpError(Exception):
    """Base class of every error raised by :mod:`switchboard.rtp` on purpose."""


class ParseError(RtpError):
    """A datagram or payload from a peer does not follow its RFC.

    ``message`` is the explanation without any prefix, stable enough to be asserted on in tests.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        #: The human-readable explanation.
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ProtocolError(RtpError):
    """Local code asked a media state machine for something its state does not allow.

    This is a bug in the caller, never a reaction to something a peer sent.
    """
