"""The Replaces header (RFC 3891): its value, and which dialog an INVITE may replace.

An INVITE carrying ``Replaces: call-id;to-tag=..;from-tag=..[;early-only]`` asks the UA that
receives it to put the new dialog in the place of the one named, then end the old one with BYE
(or CANCEL / a final response while it is early).  The tags are given *as the receiver sees the
dialog*: ``to-tag`` is its own (local) tag, ``from-tag`` its peer's, so ``(call-id, to-tag,
from-tag)`` is directly the receiver's :class:`~switchboard.sip.dialog.DialogId`.

What the receiver answers (RFC 3891 §3), implemented by :func:`check_replaces`:

===========================================================  ========================
the named dialog                                              answer to the INVITE
===========================================================  ========================
none matches                                                  481
has terminated (still remembered)                             603 Declined
confirmed, but ``early-only`` was given                       486 Busy Here
early, and this UA did not initiate it (it is its UAS)        481
confirmed, or early and initiated by this UA                  accepted
===========================================================  ========================

A request with more than one Replaces, or Replaces on a method other than INVITE, is a 400
(:func:`replaces_of`).  All refusals are :class:`ReplacesError`, a
:class:`~switchboard.sip.errors.ParseError`, so they are answered at the same boundary as a
malformed message.  Authorization (RFC 3891 §6.1) is the application's business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._grammar import Params, Scanner, find_param, format_params, parse_params
from .dialog import DialogId, DialogState
from .errors import ParseError
from .message import Request
from .values import parse_call_id

if TYPE_CHECKING:
    from .dialog import Dialog

__all__ = [
    "Replaces",
    "ReplacesError",
    "check_replaces",
    "parse_replaces",
    "replaces_of",
]


@dataclass(frozen=True, slots=True)
class Replaces:
    """A Replaces value: ``callid *(SEMI (to-tag / from-tag / early-flag / generic-param))``.

    The tags are those of the dialog to replace *as seen by the UA that receives the INVITE
    with Replaces*: its local tag is ``to_tag``, its remote tag ``from_tag`` (RFC 3891 §3).
    """

    #: The Call-ID of the dialog to replace.
    call_id: str
    #: The tag of the UA receiving the INVITE with Replaces.
    to_tag: str
    #: The tag of its peer in that dialog.
    from_tag: str
    #: ``early-only``: replace only a dialog still early (RFC 3891 §3).
    early_only: bool = False
    #: Other parameters in order, values verbatim.
    params: Params = ()

    @classmethod
    def for_dialog(cls, dialog: Dialog, *, early_only: bool = False) -> Replaces:
        """Replaces naming ``dialog`` for the *other* party of it (the transferor's view).

        The peer of ``dialog`` receives the INVITE, so ``to_tag`` is our remote tag.
        """
        return cls(dialog.call_id, dialog.remote_tag, dialog.local_tag, early_only)

    @property
    def dialog_id(self) -> DialogId:
        """The id the receiving UA looks its dialog up with: (Call-ID, to-tag, from-tag)."""
        return DialogId(self.call_id, self.to_tag, self.from_tag)

    def serialize(self) -> str:
        """``call-id;to-tag=..;from-tag=..[;early-only][;params]``."""
        early = ";early-only" if self.early_only else ""
        return (f"{self.call_id};to-tag={self.to_tag};from-tag={self.from_tag}{early}"
                f"{format_params(self.params)}")


def parse_replaces(text: str) -> Replaces:
    """Parse a Replaces value; to-tag and from-tag must each appear exactly once."""
    value = text.strip(" \t")
    call_id, semi, rest = value.partition(";")
    call_id = call_id.rstrip(" \t")
    try:
        parse_call_id(call_id)
    except ParseError as exc:
        raise ParseError(f"Replaces: {exc.message}") from None
    s = Scanner(semi + rest, "Replaces")
    params = parse_params(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r}")
    tags: dict[str, str] = {}
    for name in ("to-tag", "from-tag"):
        found = [v for n, v in params if n.lower() == name]
        if len(found) != 1 or not found[0]:
            raise ParseError(f"Replaces: exactly one {name} with a value is required in "
                             f"{text!r}")
        tags[name] = found[0]
    early = find_param(params, "early-only")[0]
    others = tuple((n, v) for n, v in params
                   if n.lower() not in ("to-tag", "from-tag", "early-only"))
    return Replaces(call_id, tags["to-tag"], tags["from-tag"], early, others)


class ReplacesError(ParseError):
    """An INVITE with Replaces is refused; answer it with ``status_code`` (481, 486, 603, 400)."""


def replaces_of(request: Request) -> Replaces | None:
    """The Replaces of ``request``, None when it has none.

    400 (:class:`ReplacesError`) for several Replaces headers, for Replaces on a method other
    than INVITE (RFC 3891 §3) and for a malformed value.
    """
    values = request.headers.get_all("Replaces")
    if not values:
        return None
    if request.method != "INVITE":
        raise ReplacesError(f"Replaces is only allowed in INVITE, not {request.method}",
                            status_code=400)
    if len(values) > 1:
        raise ReplacesError("more than one Replaces header", status_code=400)
    try:
        return parse_replaces(values[0])
    except ParseError as exc:
        raise ReplacesError(exc.message, status_code=400) from None


def check_replaces(replaces: Replaces, dialog: Dialog | None, *,
                   ended: bool = False) -> None:
    """Raise :class:`ReplacesError` unless ``dialog`` may be replaced (RFC 3891 §3).

    ``dialog`` is what the receiver found under :attr:`Replaces.dialog_id` (None: nothing);
    ``ended`` says that the id belongs to a dialog that has terminated and is no longer kept.
    """
    name = f"{replaces.call_id} (to-tag {replaces.to_tag}, from-tag {replaces.from_tag})"
    if dialog is None or dialog.terminated:
        if ended or dialog is not None:
            raise ReplacesError(f"dialog {name} has terminated", status_code=603)
        raise ReplacesError(f"no dialog {name}", status_code=481)
    if dialog.dialog_id != replaces.dialog_id:
        raise ValueError(f"{dialog!r} is not the dialog named by Replaces {name}")
    if dialog.state is DialogState.CONFIRMED and replaces.early_only:
        raise ReplacesError(f"dialog {name} is confirmed and Replaces says early-only",
                            status_code=486)
    if dialog.state is DialogState.EARLY and not dialog.uac:
        raise ReplacesError(f"early dialog {name} was not initiated here", status_code=481)
