"""REFER (RFC 3515), Referred-By (RFC 3892) and Replaces (RFC 3891), sans I/O.

A transfer is a REFER whose ``Refer-To`` names where the referee should send an INVITE.  For an
attended transfer that URI carries an embedded ``Replaces`` header (``?Replaces=...``,
percent-encoded), which the referee copies into its INVITE so that the target swaps the new
dialog for the old one.  The referee reports progress in NOTIFY requests of the implicit ``refer``
subscription, each with a ``message/sipfrag`` body holding the status line of the INVITE's latest
response (RFC 3515 §2.4.4-2.4.7).

The codecs here are ``parse_*`` / ``serialize()`` pairs; :func:`refer_request` and
:func:`refer_notify` build the in-dialog requests through
:meth:`~switchboard.sip.dialog.Dialog.create_request`, so they carry no Via either.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._grammar import HEADERCHAR, Scanner, find_param, parse_params
from ._grammar import escape as _escape
from .dialog import Dialog
from .errors import ParseError
from .message import Request
from .replaces import Replaces, parse_replaces
from .uri import URI, NameAddress, SipURI, parse_name_addr

__all__ = [
    "SIPFRAG",
    "ReferProgress",
    "Replaces",
    "make_refer_to",
    "parse_refer_notify",
    "parse_refer_to",
    "parse_referred_by",
    "parse_replaces",
    "parse_sipfrag_status",
    "refer_notify",
    "refer_request",
    "replaces_from_refer_to",
    "split_refer_to",
]

#: Content-Type of a NOTIFY body for REFER (RFC 3420, RFC 3515 §2.4.5).
SIPFRAG = "message/sipfrag;version=2.0"


# ---------------------------------------------------------------------------------------------
# Refer-To (RFC 3515 §2.1) and Referred-By (RFC 3892 §3)


#: Characters kept as they are when escaping a lenient ``?headers`` part ("%" included).
_LENIENT = HEADERCHAR | frozenset("%")


def _escape_headers_leniently(text: str) -> str:
    """Percent-encode what the ``?headers`` part of a bracketed URI may not hold literally.

    Some agents put ``?Replaces=call@host;to-tag=a;from-tag=b`` into Refer-To unescaped.  ``%``
    is left alone (escapes stay escapes, broken ones still fail); the first ``=`` of each
    ``&``-separated header separates name and value.
    """
    lt = text.find("<")
    gt = text.find(">", lt) if lt >= 0 else -1
    qmark = text.find("?", lt, gt) if 0 <= lt < gt else -1
    if qmark < 0:
        return text
    out: list[str] = []
    for item in text[qmark + 1 : gt].split("&"):
        name, eq, value = item.partition("=")
        out.append(_escape(name, _LENIENT) + eq + _escape(value, _LENIENT))
    return text[: qmark + 1] + "&".join(out) + text[gt:]


def parse_refer_to(text: str) -> NameAddress:
    """Parse Refer-To: ``(name-addr / addr-spec) *(SEMI generic-param)``.

    URI headers (``?Replaces=...``) are decoded into ``uri.headers``.  Embedded headers that a
    careless agent left unescaped are accepted (escaped, then parsed); anything else malformed
    raises ParseError naming Refer-To.
    """
    try:
        return parse_name_addr(text, "Refer-To")
    except ParseError as first:
        lenient = _escape_headers_leniently(text)
        if lenient == text:
            raise
        try:
            return parse_name_addr(lenient, "Refer-To")
        except ParseError:
            raise first from None


def parse_referred_by(text: str) -> NameAddress:
    """Parse Referred-By (RFC 3892): ``referrer-uri *(SEMI (referredby-id-param / generic))``."""
    return parse_name_addr(text, "Referred-By")


def make_refer_to(target: URI, *, replaces: Replaces | None = None,
                  display_name: str | None = None) -> NameAddress:
    """The Refer-To value for ``target``, with ``replaces`` embedded as a URI header.

    ``serialize()`` of the result percent-encodes the Replaces value (``@`` ``;`` ``=``), as
    RFC 3515 §2.1 requires of a URI inside a header.
    """
    if replaces is not None:
        if not isinstance(target, SipURI):
            raise ValueError("only a SIP or SIPS URI can carry an embedded Replaces")
        kept = tuple((n, v) for n, v in target.headers if n.lower() != "replaces")
        target = SipURI(host=target.host, user=target.user, password=target.password,
                        port=target.port, params=target.params, scheme=target.scheme,
                        headers=(*kept, ("Replaces", replaces.serialize())))
    return NameAddress(target, display_name)


def replaces_from_refer_to(refer_to: NameAddress) -> Replaces | None:
    """The Replaces embedded in a Refer-To URI, None when there is none.

    Raises ParseError when there are several or the value is malformed.
    """
    uri = refer_to.uri
    if not isinstance(uri, SipURI):
        return None
    found = [v for n, v in uri.headers if n.lower() == "replaces"]
    if not found:
        return None
    if len(found) > 1:
        raise ParseError("Refer-To: more than one embedded Replaces")
    return parse_replaces(found[0])


def split_refer_to(refer_to: NameAddress) -> tuple[URI, tuple[tuple[str, str], ...]]:
    """What the referee's INVITE needs: the Request-URI and the headers to add (RFC 3515 §2.1).

    The URI loses its ``?headers`` and ``method`` parameter (not allowed in a Request-URI,
    RFC 3261 table 1); the headers (Replaces, ...) come back as ``(name, value)`` pairs.
    """
    uri = refer_to.uri
    if not isinstance(uri, SipURI):
        return uri, ()
    params = tuple((n, v) for n, v in uri.params if n.lower() != "method")
    bare = SipURI(host=uri.host, user=uri.user, password=uri.password, port=uri.port,
                  params=params, scheme=uri.scheme)
    return bare, uri.headers


def refer_request(dialog: Dialog, refer_to: NameAddress, *,
                  referred_by: NameAddress | None = None) -> Request:
    """A REFER within ``dialog`` (RFC 3515 §2.4.1) with Refer-To and, if given, Referred-By."""
    headers: list[tuple[str, str]] = [("Refer-To", refer_to.serialize())]
    if referred_by is not None:
        headers.append(("Referred-By", referred_by.serialize()))
    return dialog.create_request("REFER", extra_headers=headers)


# ---------------------------------------------------------------------------------------------
# NOTIFY with message/sipfrag (RFC 3515 §2.4.4-2.4.7, RFC 3420)


def refer_notify(dialog: Dialog, status_code: int, reason: str, *, final: bool,
                 refer_cseq: int | None = None, expires: int = 60) -> Request:
    """A NOTIFY reporting the referred INVITE's progress, built with ``dialog.create_request``.

    Body ``SIP/2.0 <code> <reason>`` CRLF as ``message/sipfrag;version=2.0``; ``Event: refer``
    (``;id=<refer_cseq>`` for a REFER other than the first in the dialog, RFC 3515 §2.4.6);
    ``Subscription-State: active;expires=<expires>`` while ``final`` is False,
    ``terminated;reason=noresource`` once it is True.  ``final`` must agree with the code: a
    1xx is never final and a final response always ends the subscription (§2.4.7).
    """
    if not 100 <= status_code <= 699:
        raise ValueError(f"status code {status_code} is outside 100-699")
    if final != (status_code >= 200):
        raise ValueError(f"final={final} does not fit status {status_code}: only 200-699 end "
                         "the refer subscription")
    if any(ch in reason for ch in "\r\n"):
        raise ValueError(f"reason phrase contains CR or LF: {reason!r}")
    event = "refer" if refer_cseq is None else f"refer;id={refer_cseq}"
    state = "terminated;reason=noresource" if final else f"active;expires={expires}"
    body = f"SIP/2.0 {status_code} {reason}\r\n".encode()
    return dialog.create_request(
        "NOTIFY", body=body, content_type=SIPFRAG,
        extra_headers=(("Event", event), ("Subscription-State", state)),
    )


def parse_sipfrag_status(body: bytes) -> tuple[int, str]:
    """The status code and reason of a ``message/sipfrag`` body's Status-Line."""
    line = body.split(b"\r\n", 1)[0].split(b"\n", 1)[0].decode("utf-8", "replace")
    version, _, rest = line.partition(" ")
    code, _, reason = rest.partition(" ")
    if version != "SIP/2.0" or len(code) != 3 or not code.isdigit() or not (
        100 <= int(code) <= 699
    ):
        raise ParseError(f"sipfrag does not start with a SIP/2.0 Status-Line: {line!r}")
    return int(code), reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferProgress:
    """What a refer NOTIFY says (for the referrer)."""

    #: The status code of the referred request's latest response.
    status_code: int
    #: Its reason phrase.
    reason: str
    #: True when the subscription is terminated (no more NOTIFYs).
    final: bool
    #: The ``id`` of the Event header (the REFER's CSeq), None when absent.
    refer_id: int | None = None


def parse_refer_notify(request: Request) -> ReferProgress:
    """Read a refer NOTIFY: Event must be ``refer``, the body a sipfrag; ParseError otherwise."""
    event = request.headers.get("Event")
    if event is None:
        raise ParseError("NOTIFY has no Event header", status_code=489)
    s = Scanner(event, "Event")
    s.skip_ws()
    package = s.token("event package")
    params = parse_params(s)
    if package.lower() != "refer":
        raise ParseError(f"Event package {package!r} is not refer", status_code=489)
    raw_id = find_param(params, "id")[1]
    refer_id = int(raw_id) if raw_id is not None and raw_id.isdigit() else None
    state = (request.headers.get("Subscription-State") or "").split(";", 1)[0].strip().lower()
    code, reason = parse_sipfrag_status(request.body)
    return ReferProgress(status_code=code, reason=reason, final=state == "terminated",
                         refer_id=refer_id)
