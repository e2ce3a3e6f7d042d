"""Request checks a UAS or proxy makes before processing (RFC 3261 §8.2, §16.3).

These are pure functions from a parsed request and a policy to either None (go ahead) or a
:class:`Rejection` naming the status code, the reason and the headers the response must carry
(``Unsupported`` for 420, ``Accept`` for 415, ...).  They encode the answers RFC 4475 §3.3 expects
of well-formed requests that an element nevertheless refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ParseError
from .headers import ACCEPT, PROXY_REQUIRE, REQUIRE
from .message import REASON_PHRASES, Request
from .uri import SipURI

__all__ = ["Policy", "Rejection", "check_as_proxy", "check_as_uas", "check_register"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """Why a request is refused and how to answer it."""

    #: The response status code.
    status_code: int
    #: A precise explanation (for a Warning header or the log).
    message: str
    #: Header fields the response must carry, in order.
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def reason(self) -> str:
        """The default reason phrase of ``status_code``."""
        return REASON_PHRASES.get(self.status_code, "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """What this element supports."""

    #: Request-URI schemes it can serve (RFC 3261 §8.2.2.1).
    uri_schemes: frozenset[str] = frozenset({"sip", "sips", "tel"})
    #: Option tags it supports (Require / Proxy-Require, §8.2.2.3, §16.3 step 5).
    extensions: frozenset[str] = frozenset()
    #: Body types it understands (§8.2.3), lower case "type/subtype".
    content_types: frozenset[str] = frozenset({"application/sdp"})
    #: Body type it would answer INVITE / OPTIONS with, for the Accept check.
    answer_type: str = "application/sdp"
    #: Methods whose response carries a body of ``answer_type``.
    methods_answering_with_body: frozenset[str] = field(
        default_factory=lambda: frozenset({"INVITE", "OPTIONS"})
    )


def _scheme_rejection(request: Request, policy: Policy) -> Rejection | None:
    scheme = request.uri.scheme.lower()
    if scheme not in policy.uri_schemes:
        return Rejection(
            status_code=416,
            message=f"Request-URI scheme {scheme!r} is not supported",
        )
    return None


def _unsupported(request: Request, values: list[str], policy: Policy) -> Rejection | None:
    unknown = [tag for tag in values if tag not in policy.extensions]
    if not unknown:
        return None
    return Rejection(
        status_code=420,
        message=f"unsupported extensions required: {', '.join(unknown)}",
        headers=tuple(("Unsupported", tag) for tag in unknown),
    )


def check_as_uas(request: Request, policy: Policy) -> Rejection | None:
    """The checks of RFC 3261 §8.2.2 - §8.2.3, in the RFC's order.

    1. Request-URI scheme (§8.2.2.1) -> 416.
    2. Require (§8.2.2.3; not for ACK or CANCEL) -> 420 with Unsupported.
    3. Body type (§8.2.3) -> 415 with Accept.
    4. Accept excluding what the answer would carry (RFC 4475 §3.3.15) -> 406.

    Malformed lazily-parsed headers encountered here (Require, Accept) give 400.
    """
    try:
        rejection = _scheme_rejection(request, policy)
        if rejection is not None:
            return rejection
        if request.method not in ("ACK", "CANCEL"):
            rejection = _unsupported(request, request.headers.parsed(REQUIRE), policy)
            if rejection is not None:
                return rejection
        content_type = request.content_type
        if request.body and (
            content_type is None or content_type.mime not in policy.content_types
        ):
            mime = content_type.mime if content_type is not None else "(none)"
            return Rejection(
                status_code=415,
                message=f"body of type {mime} is not understood",
                headers=(("Accept", ", ".join(sorted(policy.content_types))),),
            )
        accept = request.headers.parsed(ACCEPT)
        if (
            accept
            and request.method in policy.methods_answering_with_body
            and not any(r.matches(policy.answer_type) for r in accept)
        ):
            return Rejection(
                status_code=406,
                message=f"the answer would be {policy.answer_type}, which Accept excludes",
                headers=(("Warning", '399 - "Accept excludes ' + policy.answer_type + '"'),),
            )
    except ParseError as exc:
        return Rejection(status_code=exc.status_code, message=exc.message)
    return None


def check_as_proxy(request: Request, policy: Policy) -> Rejection | None:
    """The request validation of RFC 3261 §16.3 (steps 2, 3 and 5).

    2. Request-URI scheme -> 416.
    3. Max-Forwards of zero -> 483 (RFC 4475 §3.3.11; a missing Max-Forwards is fine).
    5. Proxy-Require -> 420 with Unsupported.
    """
    try:
        rejection = _scheme_rejection(request, policy)
        if rejection is not None:
            return rejection
        if request.max_forwards == 0:
            return Rejection(status_code=483, message="Max-Forwards is zero")
        return _unsupported(request, request.headers.parsed(PROXY_REQUIRE), policy)
    except ParseError as exc:
        return Rejection(status_code=exc.status_code, message=exc.message)


def check_register(request: Request) -> Rejection | None:
    """Registrar check: the To header must hold a SIP or SIPS address of record.

    RFC 3261 §10.3 step 3 extracts the AOR from To; RFC 4475 §3.3.4 expects 400 when it is not a
    SIP or SIPS URI.
    """
    if request.method != "REGISTER":
        raise ValueError(f"check_register applies to REGISTER, not {request.method}")
    if not isinstance(request.to.uri, SipURI):
        return Rejection(
            status_code=400,
            message=f"To URI {request.to.uri.serialize()!r} is not a SIP or SIPS address of "
            "record",
        )
    return None
