"""SIP dialogs (RFC 3261 §12, with RFC 6026) and session timers (RFC 4028), sans I/O.

Theory of operation
-------------------
A :class:`Dialog` is the state two user agents share for the length of a call (or of a
subscription): the Call-ID, both tags, both sequence numbers, the remote target (from the peer's
Contact) and the route set (from Record-Route).  It is created from the request and response
that establish it — :meth:`Dialog.from_uac` on the caller's side when a 1xx with a To tag or a
2xx arrives, :meth:`Dialog.from_uas` on the callee's side when it sends one — and is afterwards
fed every in-dialog message:

* :meth:`Dialog.receive_request` checks the remote CSeq (lower than the last one: 500,
  §12.2.2), refreshes the remote target from the Contact of a target refresh request, and
  terminates on BYE;
* :meth:`Dialog.receive_response` confirms an early dialog on a 2xx (recomputing the route set,
  §13.2.2.4), refreshes the target on a 2xx to a re-INVITE / UPDATE, and terminates on a
  non-2xx final response to the dialog-creating request or on 481 / 408 to an in-dialog request
  (§12.2.1.2);
* :meth:`Dialog.send_response` tells a UAS dialog that its 2xx (or failure) to the creating
  request went out;
* :meth:`Dialog.create_request` / :meth:`Dialog.create_ack` build in-dialog requests
  (§12.2.1.1), loose or strict routing alike.  They do **not** add a Via: the UA prepends its own
  Via with a fresh branch (and the transport decides sent-by), exactly as for any request.

The state machine is the table :data:`TRANSITIONS`, ``(state, input) -> next state``, over
:class:`DialogState` (EARLY, CONFIRMED, TERMINATED); every transition is logged at DEBUG on
``switchboard.sip.dialog``.  As in :mod:`~switchboard.sip.transaction`, a local input with no
entry (sending a 1xx after the 2xx, a BYE on a terminated dialog, ...) raises
:class:`~switchboard.sip.errors.ProtocolError`, while a network input with no entry (a 1xx that
arrives after the 2xx, the 200 to our BYE) is absorbed and logged.  A request for a terminated
dialog raises :class:`DialogError` with status 481.

Errors caused by what a peer sent are :class:`DialogError`, a subclass of
:class:`~switchboard.sip.errors.ParseError`, so that the transport's one translation boundary
answers them with their ``status_code`` (500 for an out-of-order CSeq, 481, 400) without knowing
about dialogs.

RFC 6026 is why a CONFIRMED dialog accepts further 2xx for its INVITE (retransmissions reach the
TU through the Accepted state; each must be ACKed again with :meth:`Dialog.create_ack`, also
after the dialog has terminated).  Forked 2xx carry other To tags and make other dialogs.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from ._grammar import Params, Scanner, find_param, format_params, parse_params, parse_uint
from .errors import ParseError, ProtocolError
from .headers import SUPPORTED, Headers
from .message import Request, Response, make_response
from .uri import URI, NameAddress, SipURI
from .values import UINT32_MAX, ContactWildcard, CSeq

__all__ = [
    "DIALOG_CREATING_METHODS",
    "MIN_SESSION_EXPIRES",
    "TARGET_REFRESH_METHODS",
    "TRANSITIONS",
    "Dialog",
    "DialogError",
    "DialogId",
    "DialogInput",
    "DialogState",
    "SessionExpires",
    "dialog_id_of",
    "parse_min_se",
    "parse_session_expires",
    "session_timer_answer",
]

logger = logging.getLogger(__name__)

#: Methods whose 1xx-with-tag / 2xx create a dialog (RFC 3261 §12.1, RFC 6665, RFC 3515).
DIALOG_CREATING_METHODS = frozenset({"INVITE", "SUBSCRIBE", "REFER"})
#: Target refresh requests: their Contact replaces the remote target (RFC 3261 §12.2, RFC 3311
#: for UPDATE, RFC 6665 §4.1.2.2 / §4.2.2 for SUBSCRIBE and NOTIFY).
TARGET_REFRESH_METHODS = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY"})
#: Requests that must carry a Contact (RFC 3261 table 3, RFC 3311, RFC 6665, RFC 3515).
_CONTACT_REQUIRED = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})
#: Requests that never carry our Contact (RFC 3261 table 3: "-" for BYE and CANCEL).
_CONTACT_OMITTED = frozenset({"BYE", "CANCEL", "ACK"})
#: uri-parameters not allowed in a Request-URI (RFC 3261 §19.1.1, table 1).
_NOT_IN_REQUEST_URI = frozenset({"method"})

#: The smallest Session-Expires / Min-SE anyone may use, in seconds (RFC 4028 §4, §5).
MIN_SESSION_EXPIRES = 90


class DialogError(ParseError):
    """A peer's in-dialog message cannot be accepted; answer it with ``status_code``.

    500 for a CSeq lower than the remote sequence number (RFC 3261 §12.2.2), 481 for a request
    to a dialog that has terminated, 400 for a target refresh whose Contact is unusable.  Being
    a :class:`~switchboard.sip.errors.ParseError`, it is translated into a response at the same
    boundary as a malformed message.  Raised while handling a *response*, it only explains why
    the response was dropped.
    """

    def __init__(self, message: str, *, status_code: int = 500) -> None:
        super().__init__(message, status_code=status_code)


class DialogState(enum.Enum):
    """Dialog states (RFC 3261 §12: early and confirmed; terminated once it is over)."""

    EARLY = "Early"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


class DialogInput(enum.Enum):
    """What moves a dialog."""

    PROVISIONAL = "1xx with a To tag to the dialog-creating request"
    SUCCESS = "2xx to the dialog-creating request"
    FAILURE = "300-699 to the dialog-creating request"
    BYE = "BYE sent or received"
    ENDED = "481/408 to an in-dialog request, or local termination"


_S = DialogState
_I = DialogInput

#: ``(state, input) -> next state``.  Pairs not listed are illegal for local inputs
#: (:class:`ProtocolError`) and absorbed for network inputs.
TRANSITIONS: dict[tuple[DialogState, DialogInput], DialogState] = {
    (_S.EARLY, _I.PROVISIONAL): _S.EARLY,
    (_S.EARLY, _I.SUCCESS): _S.CONFIRMED,
    (_S.EARLY, _I.FAILURE): _S.TERMINATED,
    (_S.EARLY, _I.BYE): _S.TERMINATED,
    (_S.EARLY, _I.ENDED): _S.TERMINATED,
    # RFC 6026: retransmitted 2xx to the INVITE still reach the TU (and are ACKed again).
    (_S.CONFIRMED, _I.SUCCESS): _S.CONFIRMED,
    (_S.CONFIRMED, _I.BYE): _S.TERMINATED,
    (_S.CONFIRMED, _I.ENDED): _S.TERMINATED,
}


class DialogId(NamedTuple):
    """What identifies a dialog at one end (RFC 3261 §12): Call-ID, local tag, remote tag.

    A missing From tag (RFC 2543 peers) is the empty string.
    """

    call_id: str
    local_tag: str
    remote_tag: str


def dialog_id_of(message: Request | Response, *, uas: bool) -> DialogId | None:
    """The id of the dialog ``message`` belongs to, seen from this end; None without a To tag.

    ``uas`` is this element's role in the *transaction* the message belongs to: True for a
    request it received (or a response it sends) — the local tag is then the To tag —, False for
    a response it received (or a request it sends) — the local tag is the From tag.  A request
    without a To tag is outside any dialog (RFC 3261 §12.2.2 vs §8.2).
    """
    to_tag = message.to.tag
    if to_tag is None:
        return None
    from_tag = message.from_.tag or ""
    if uas:
        return DialogId(message.call_id, to_tag, from_tag)
    return DialogId(message.call_id, from_tag, to_tag)


def _without_tag(address: NameAddress) -> NameAddress:
    kept = tuple((n, v) for n, v in address.params if n.lower() != "tag")
    return NameAddress(address.uri, address.display_name, kept)


def _request_uri(uri: URI) -> URI:
    """``uri`` with what a Request-URI may not hold removed (method param, headers; table 1)."""
    if not isinstance(uri, SipURI):
        return uri
    params = tuple((n, v) for n, v in uri.params if n.lower() not in _NOT_IN_REQUEST_URI)
    if params == uri.params and not uri.headers:
        return uri
    return SipURI(host=uri.host, user=uri.user, password=uri.password, port=uri.port,
                  params=params, headers=(), scheme=uri.scheme)


def _is_loose(route: NameAddress) -> bool:
    return isinstance(route.uri, SipURI) and route.uri.lr


def _first_contact(message: Request | Response, what: str) -> NameAddress | None:
    """The first Contact of ``message`` (None when absent); ``*`` is refused with 400."""
    contacts = message.contacts
    if not contacts:
        return None
    contact = contacts[0]
    if isinstance(contact, ContactWildcard):
        raise DialogError(f"{what}: Contact '*' cannot be a remote target", status_code=400)
    return contact


def _is_sips(request: Request) -> bool:
    return request.uri.scheme == "sips"


class Dialog:
    """One end of a dialog (RFC 3261 §12.1): identifiers, sequence numbers, target and route set.

    Build it with :meth:`from_uac` / :meth:`from_uas`; the keyword constructor exists for tests
    and for restoring a dialog.  The UA must set :attr:`local_contact` (our Contact) before it
    builds a target refresh request (INVITE, UPDATE, SUBSCRIBE, NOTIFY, REFER); the constructors
    take it from the dialog-creating exchange when present.
    """

    def __init__(
        self,
        *,
        call_id: str,
        local_tag: str,
        remote_tag: str,
        local_uri: NameAddress,
        remote_uri: NameAddress,
        remote_target: URI,
        route_set: Iterable[NameAddress] = (),
        local_seq: int | None = None,
        remote_seq: int | None = None,
        secure: bool = False,
        uac: bool = True,
        state: DialogState = DialogState.CONFIRMED,
        local_contact: NameAddress | None = None,
        initial_cseq: CSeq | None = None,
    ) -> None:
        #: The Call-ID.
        self.call_id = call_id
        #: Our tag (From tag of the requests we send).
        self.local_tag = local_tag
        #: The peer's tag; "" when an RFC 2543 peer sent no From tag.
        self.remote_tag = remote_tag
        #: Our address (From of the requests we send), without its tag.
        self.local_uri = _without_tag(local_uri)
        #: The peer's address (To of the requests we send), without its tag.
        self.remote_uri = _without_tag(remote_uri)
        #: Where requests go: the peer's Contact URI (refreshed by target refresh requests).
        self.remote_target = remote_target
        #: Route set in the order it is used: Record-Route reversed (UAC) or as is (UAS).
        self.route_set = list(route_set)
        #: The CSeq number of the last request we sent; None until we send one (UAS).
        self.local_seq = local_seq
        #: The CSeq number of the last request the peer sent; None until it sends one (UAC).
        self.remote_seq = remote_seq
        #: True when the dialog was created over TLS with a SIPS Request-URI (§12.1.1).
        self.secure = secure
        #: True on the side that sent the dialog-creating request.
        self.uac = uac
        #: Our Contact, put into the requests that need one (the UA sets it).
        self.local_contact = local_contact
        #: CSeq of the request that created the dialog (to recognise its responses, UAC side).
        self.initial_cseq = initial_cseq
        self._state = state
        self._id: DialogId | None = None

    # construction ----------------------------------------------------------------------------

    @classmethod
    def from_uac(cls, request: Request, response: Response, *,
                 secure: bool | None = None) -> Dialog:
        """The caller's dialog, from the request we sent and a 1xx-with-tag or 2xx to it (§12.1.2).

        Route set: the response's Record-Route reversed.  Remote target: the response's Contact
        (a 1xx without one leaves the Request-URI as the target until the 2xx).  ``secure``
        defaults to "the Request-URI is SIPS" (a SIPS request is only ever sent over TLS).
        Raises :class:`DialogError` when the response cannot create a dialog (no To tag, a 2xx
        without Contact) and :class:`ValueError` when the arguments do not belong together.
        """
        _check_pair(request, response)
        local_tag = request.from_.tag
        if local_tag is None:
            raise ValueError("the request we sent has no From tag")
        remote_tag = response.to.tag
        if remote_tag is None:
            raise DialogError(f"{response.status_code} response has no To tag: no dialog",
                              status_code=400)
        contact = _first_contact(response, f"{response.status_code} response")
        if contact is None and response.is_success:
            raise DialogError(f"{response.status_code} response to {request.method} has no "
                              "Contact: no remote target", status_code=400)
        local_contact = _first_contact(request, request.method)
        dialog = cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=remote_tag,
            local_uri=request.from_,
            remote_uri=request.to,
            remote_target=contact.uri if contact is not None else request.uri,
            route_set=reversed(response.record_routes),
            local_seq=request.cseq.number,
            remote_seq=None,
            secure=_is_sips(request) if secure is None else secure,
            uac=True,
            state=DialogState.CONFIRMED if response.is_success else DialogState.EARLY,
            local_contact=local_contact,
            initial_cseq=request.cseq,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("dialog %s created as UAC in %s", dialog.dialog_id, dialog.state.value)
        return dialog

    @classmethod
    def from_uas(cls, request: Request, response: Response, *,
                 secure: bool | None = None) -> Dialog:
        """The callee's dialog, once it sends a 1xx-with-tag or 2xx to ``request`` (§12.1.1).

        Route set: the request's Record-Route as is.  Remote target: the request's Contact
        (missing: :class:`DialogError` 400).  ``secure`` defaults to "the Request-URI is SIPS";
        pass it explicitly when the transport knows whether the request came over TLS.
        """
        _check_pair(request, response)
        local_tag = response.to.tag
        if local_tag is None:
            raise ValueError("a response that creates a dialog needs a To tag (make_response "
                             "to_tag=...)")
        contact = _first_contact(request, request.method)
        if contact is None:
            raise DialogError(f"{request.method} has no Contact: no remote target",
                              status_code=400)
        dialog = cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=request.from_.tag or "",
            local_uri=request.to,
            remote_uri=request.from_,
            remote_target=contact.uri,
            route_set=request.record_routes,
            local_seq=None,
            remote_seq=request.cseq.number,
            secure=_is_sips(request) if secure is None else secure,
            uac=False,
            state=DialogState.CONFIRMED if response.is_success else DialogState.EARLY,
            local_contact=_first_contact(response, f"{response.status_code} response"),
            initial_cseq=request.cseq,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("dialog %s created as UAS in %s", dialog.dialog_id, dialog.state.value)
        return dialog

    # state -----------------------------------------------------------------------------------

    @property
    def state(self) -> DialogState:
        """The current state."""
        return self._state

    @property
    def dialog_id(self) -> DialogId:
        """``(call_id, local_tag, remote_tag)`` (made once: a dialog's identifiers are fixed
        when it is created)."""
        ident = self._id
        if ident is None:
            ident = self._id = DialogId(self.call_id, self.local_tag, self.remote_tag)
        return ident

    @property
    def terminated(self) -> bool:
        """True once the dialog is over."""
        return self._state is DialogState.TERMINATED

    def terminate(self) -> None:
        """End the dialog locally (session timer expired, 487 sent to the INVITE, ...)."""
        self._fire(DialogInput.ENDED, local=True)

    def _fire(self, event: DialogInput, *, local: bool) -> bool:
        """Apply ``event``; return True when the table had an entry."""
        new_state = TRANSITIONS.get((self._state, event))
        if new_state is None:
            if local:
                raise ProtocolError(
                    f"dialog {self.call_id}: {event.value} is not allowed in state "
                    f"{self._state.value}"
                )
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("dialog %s: %s absorbed in %s", self.dialog_id, event.value,
                             self._state.value)
            return False
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("dialog %s: %s -> %s on %s", self.dialog_id, self._state.value,
                          new_state.value, event.value)
        self._state = new_state
        return True

    def __repr__(self) -> str:
        role = "UAC" if self.uac else "UAS"
        return f"<Dialog {role} {self.dialog_id} {self._state.value}>"

    # building requests -----------------------------------------------------------------------

    def _target_and_routes(self) -> tuple[URI, list[str]]:
        """Request-URI and Route values per RFC 3261 §12.2.1.1."""
        if not self.route_set:
            return _request_uri(self.remote_target), []
        first = self.route_set[0]
        if _is_loose(first):
            return _request_uri(self.remote_target), [r.serialize() for r in self.route_set]
        # Strict routing: the first route becomes the Request-URI (stripped of what a
        # Request-URI may not hold); the rest follow, then the remote target as the last Route.
        routes = [r.serialize() for r in self.route_set[1:]]
        routes.append(NameAddress(self.remote_target).serialize())
        return _request_uri(first.uri), routes

    def _build(self, method: str, cseq: int, body: bytes, content_type: str | None,
               extra_headers: Iterable[tuple[str, str]]) -> Request:
        if body and content_type is None:
            raise ValueError(f"{method} has a body but no content_type")
        uri, routes = self._target_and_routes()
        headers = Headers()
        headers.add("Max-Forwards", "70")
        for route in routes:
            headers.add("Route", route)
        headers.add("From", self.local_uri.with_param("tag", self.local_tag).serialize())
        to = self.remote_uri
        if self.remote_tag:
            to = to.with_param("tag", self.remote_tag)
        headers.add("To", to.serialize())
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", CSeq(cseq, method).serialize())
        if method not in _CONTACT_OMITTED:
            if self.local_contact is not None:
                headers.add("Contact", self.local_contact.serialize())
            elif method in _CONTACT_REQUIRED:
                raise ProtocolError(f"{method} needs a Contact: set Dialog.local_contact first")
        for name, value in extra_headers:
            headers.add(name, value)
        if content_type is not None:
            headers.set("Content-Type", content_type)
        return Request(method=method, uri=uri, headers=headers, body=body)

    def create_request(self, method: str, *, body: bytes = b"", content_type: str | None = None,
                       extra_headers: Iterable[tuple[str, str]] = ()) -> Request:
        """A request within the dialog (RFC 3261 §12.2.1.1), CSeq = ``local_seq + 1``.

        From/To carry the tags, Call-ID the dialog's, Max-Forwards 70, Contact
        :attr:`local_contact` (required for target refresh requests and REFER, left out of BYE).
        Request-URI and Route: with an empty route set, the remote target and no Route; when the
        first route is a loose router (``lr``), the remote target and the route set; when it is a
        strict router, the first route's URI and the rest of the route set followed by the
        remote target.  No Via is added: the UA prepends one with a fresh branch.

        A UAS with no local sequence number yet starts at 1 (§8.1.1.5 allows any value below
        2**31).  Sending BYE terminates the dialog (§15.1.1); the callee may not send BYE on an
        early dialog (§15).  ACK: :meth:`create_ack`; CANCEL is built from the INVITE (§9.1).
        """
        if method in ("ACK", "CANCEL"):
            raise ValueError(f"{method} is not built with create_request (ACK: create_ack; "
                             "CANCEL: from the INVITE, RFC 3261 §9.1)")
        if self._state is DialogState.TERMINATED:
            raise ProtocolError(f"dialog {self.call_id} is terminated: cannot send {method}")
        if method == "BYE" and self._state is DialogState.EARLY and not self.uac:
            raise ProtocolError("the callee must not send BYE on an early dialog "
                                "(RFC 3261 §15); answer the INVITE with a final response")
        number = 1 if self.local_seq is None else self.local_seq + 1
        if number > UINT32_MAX:
            raise ProtocolError("local CSeq exhausted (2**32-1)")
        request = self._build(method, number, body, content_type, extra_headers)
        self.local_seq = number
        if method == "BYE":
            self._fire(DialogInput.BYE, local=True)
        return request

    def create_ack(self, invite_cseq: int, body: bytes = b"", content_type: str | None = None,
                   *, extra_headers: Iterable[tuple[str, str]] = ()) -> Request:
        """The ACK for a 2xx to the INVITE (or re-INVITE) whose CSeq number is ``invite_cseq``.

        Built like any in-dialog request (§13.2.2.4) but with the INVITE's CSeq number and method
        ACK; :attr:`local_seq` is not touched.  Allowed once confirmed, and after termination
        too: a retransmitted 2xx must be ACKed again (RFC 6026).  Credentials the INVITE carried
        go into ``extra_headers``.
        """
        if self._state is DialogState.EARLY:
            raise ProtocolError("no 2xx has confirmed this dialog: there is nothing to ACK")
        return self._build("ACK", invite_cseq, body, content_type, extra_headers)

    # processing messages ---------------------------------------------------------------------

    def _check_id(self, message: Request | Response, *, uas: bool) -> None:
        found = dialog_id_of(message, uas=uas)
        if found != self.dialog_id:
            raise ProtocolError(f"message of dialog {found} given to dialog {self.dialog_id}")

    def receive_request(self, request: Request) -> None:
        """Process a request the peer sent within this dialog (RFC 3261 §12.2.2).

        CSeq lower than the remote sequence number: :class:`DialogError` 500 and nothing changes;
        otherwise the remote sequence number becomes the request's.  ACK and CANCEL are not
        sequenced (they reuse the INVITE's number) and change nothing.  A target refresh request
        with a Contact replaces the remote target.  BYE terminates the dialog.  A request for a
        terminated dialog raises :class:`DialogError` 481.  A request of another dialog is a
        caller bug (:class:`ProtocolError`).
        """
        self._check_id(request, uas=True)
        if request.method in ("ACK", "CANCEL"):
            return
        if self._state is DialogState.TERMINATED:
            raise DialogError(f"dialog {self.call_id} has terminated", status_code=481)
        number = request.cseq.number
        if self.remote_seq is not None and number < self.remote_seq:
            raise DialogError(
                f"CSeq {number} is lower than the last one received in this dialog "
                f"({self.remote_seq}): out of order (RFC 3261 §12.2.2)",
                status_code=500,
            )
        contact = None
        if request.method in TARGET_REFRESH_METHODS:
            contact = _first_contact(request, request.method)
        self.remote_seq = number
        if contact is not None:
            self._refresh_target(contact.uri)
        if request.method == "BYE":
            self._fire(DialogInput.BYE, local=False)

    def receive_response(self, response: Response) -> None:
        """Process a response to a request this end sent within (or to create) the dialog.

        For the dialog-creating request (UAC): a 2xx confirms an early dialog, recomputes the
        route set from its Record-Route (§13.2.2.4) and takes its Contact as remote target; a
        300-699 terminates an early dialog.  For other requests: a 2xx to a target refresh
        request takes its Contact (§12.2.1.2); 481 and 408 terminate the dialog (§12.2.1.2).
        Anything else changes nothing.
        """
        self._check_id(response, uas=False)
        cseq = response.cseq
        if self.uac and cseq == self.initial_cseq:
            if response.is_provisional:
                self._fire(DialogInput.PROVISIONAL, local=False)
            elif response.is_success:
                was_early = self._state is DialogState.EARLY
                contact = _first_contact(response, f"{response.status_code} response")
                if self._fire(DialogInput.SUCCESS, local=False) and was_early:
                    self.route_set = list(reversed(response.record_routes))
                    if contact is not None:
                        self._refresh_target(contact.uri)
            else:
                self._fire(DialogInput.FAILURE, local=False)
            return
        if response.is_success and cseq.method in TARGET_REFRESH_METHODS:
            if self._state is not DialogState.TERMINATED:
                contact = _first_contact(response, f"{response.status_code} response")
                if contact is not None:
                    self._refresh_target(contact.uri)
        elif response.status_code in (408, 481):
            self._fire(DialogInput.ENDED, local=False)

    def send_response(self, response: Response) -> None:
        """Tell a UAS dialog that ``response`` to the dialog-creating request was sent.

        1xx keeps it early, 2xx confirms it, 300-699 terminates it; anything the table does not
        allow (a 1xx or a failure after the 2xx) is a :class:`ProtocolError`.  Responses to
        other requests need not be reported.
        """
        if self.uac:
            raise ProtocolError("send_response is for the UAS side of the dialog")
        if response.cseq != self.initial_cseq:
            return
        if response.is_provisional:
            event = DialogInput.PROVISIONAL
        elif response.is_success:
            event = DialogInput.SUCCESS
        else:
            event = DialogInput.FAILURE
        self._fire(event, local=True)

    def _refresh_target(self, target: URI) -> None:
        if target != self.remote_target:
            logger.debug("dialog %s: remote target %s -> %s", self.dialog_id,
                         self.remote_target, target)
            self.remote_target = target


def _check_pair(request: Request, response: Response) -> None:
    if request.method not in DIALOG_CREATING_METHODS:
        raise ValueError(f"{request.method} does not create dialogs")
    if not 101 <= response.status_code <= 299:
        raise ValueError(f"a {response.status_code} response does not create a dialog")
    if response.cseq != request.cseq or response.call_id != request.call_id:
        raise ValueError("the response does not answer this request (CSeq or Call-ID differ)")


# ---------------------------------------------------------------------------------------------
# Session timers (RFC 4028)

Refresher = Literal["uac", "uas"]


@dataclass(frozen=True, slots=True)
class SessionExpires:
    """A Session-Expires value (RFC 4028 §4): ``delta-seconds *(SEMI se-params)``."""

    #: The session interval in seconds.
    delta: int
    #: Who refreshes: "uac", "uas", or None when the parameter is absent.
    refresher: Refresher | None = None
    #: Other parameters, in order, values verbatim.
    params: Params = ()

    def serialize(self) -> str:
        """The canonical text: ``delta[;refresher=x][;params]``."""
        refresher = "" if self.refresher is None else f";refresher={self.refresher}"
        return f"{self.delta}{refresher}{format_params(self.params)}"


_DIGITS = frozenset("0123456789")


def parse_session_expires(text: str) -> SessionExpires:
    """Parse Session-Expires; ``refresher`` must be ``uac`` or ``uas`` (any case)."""
    s = Scanner(text, "Session-Expires")
    s.skip_ws()
    delta = parse_uint(s.take_while(_DIGITS), UINT32_MAX, "Session-Expires delta-seconds")
    params = parse_params(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r}")
    present, value = find_param(params, "refresher")
    refresher: Refresher | None = None
    if present:
        lowered = (value or "").lower()
        if lowered == "uac":
            refresher = "uac"
        elif lowered == "uas":
            refresher = "uas"
        else:
            raise s.error(f"refresher must be 'uac' or 'uas', got {value!r}")
    others = tuple((n, v) for n, v in params if n.lower() != "refresher")
    return SessionExpires(delta, refresher, others)


def parse_min_se(text: str) -> int:
    """Parse Min-SE (RFC 4028 §5): ``delta-seconds *(SEMI generic-param)``; the seconds."""
    s = Scanner(text, "Min-SE")
    s.skip_ws()
    delta = parse_uint(s.take_while(_DIGITS), UINT32_MAX, "Min-SE delta-seconds")
    parse_params(s)
    s.skip_ws()
    if not s.at_end():
        raise s.error(f"unexpected {s.text[s.pos:]!r}")
    return delta


def session_timer_answer(
    request: Request,
    *,
    min_se: int = MIN_SESSION_EXPIRES,
    session_expires: int | None = None,
    refresher: Refresher = "uac",
    to_tag: str | None = None,
) -> tuple[tuple[str, str], ...] | Response:
    """The UAS side of RFC 4028 §9 for an INVITE / UPDATE: headers for the 2xx, or a 422.

    ``min_se`` is the smallest interval we accept (RFC 4028 says at least 90; a smaller value
    is for tests, and then a request without Min-SE is held to ``min_se`` instead of 90);
    ``session_expires`` the
    interval we would like (None: take the UAC's, and use no timer when it asked for none);
    ``refresher`` who refreshes when the UAC leaves the choice to us.

    * The request's Session-Expires is below ``min_se``: if the UAC supports timers
      (``Supported: timer``), a 422 response with ``Min-SE: min_se`` (``to_tag`` is put into
      its To when the request has none); otherwise — a proxy inserted the header and the UAC
      would not understand a 422 — the interval is raised to ``min_se`` instead, as §8.1 has
      proxies do.
    * The interval is never below the request's Min-SE nor ours, and our preference may only
      shorten the UAC's.
    * Refresher (§9, table 2): the request's ``refresher`` when given; ``refresher`` when the
      UAC supports timers and gave none; ``uas`` when the UAC does not support them.
    * ``Require: timer`` goes into the 2xx only when the UAC supports timers.

    Returns the ``(name, value)`` pairs to add to the 2xx (empty when no timer is used), or the
    422 :class:`~switchboard.sip.message.Response`.  Malformed headers raise ParseError (400).
    """
    if min_se < 1:
        raise ValueError(f"min_se must be at least 1 second, got {min_se}")
    raw_se = request.headers.get("Session-Expires")
    requested = parse_session_expires(raw_se) if raw_se is not None else None
    raw_min = request.headers.get("Min-SE")
    request_min = parse_min_se(raw_min) if raw_min is not None else \
        min(MIN_SESSION_EXPIRES, min_se)
    supported = any(tag.lower() == "timer" for tag in request.headers.parsed(SUPPORTED))

    if requested is None and session_expires is None:
        return ()
    if requested is not None and requested.delta < min_se and supported:
        response = make_response(request, 422, "Session Interval Too Small", to_tag=to_tag)
        if response.to.tag is None:
            raise ValueError("a 422 to an out-of-dialog request needs to_tag")
        response.headers.add("Min-SE", str(min_se))
        return response

    floor = max(min_se, request_min)
    if requested is None:
        assert session_expires is not None
        interval = max(session_expires, floor)
    elif session_expires is None:
        interval = max(requested.delta, floor)
    else:
        interval = max(min(requested.delta, session_expires), floor)

    if not supported:
        chosen: Refresher = "uas"
    elif requested is not None and requested.refresher is not None:
        chosen = requested.refresher
    else:
        chosen = refresher
    headers: list[tuple[str, str]] = [
        ("Session-Expires", SessionExpires(interval, chosen).serialize())
    ]
    if supported:
        headers.append(("Require", "timer"))
    return tuple(headers)
