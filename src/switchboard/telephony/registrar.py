"""Registrar and location service (RFC 3261 §10.3), without I/O.

:class:`LocationService` holds the bindings: for each address-of-record (the agent's extension)
the contacts where it can be reached, each with its expiry, the Call-ID/CSeq that last refreshed
it (§10.3 step 7 ordering) and the source it was registered from (so that calls reach a phone
behind NAT at the address its REGISTER came from, RFC 3581 style). :class:`Registrar` turns a
REGISTER into a response: it authenticates (through a callable given to it), applies adds,
refreshes, removals and ``Contact: *``, enforces a minimum expiry (423 with Min-Expires), and
answers 200 with every current binding. Time is a parameter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from switchboard.sip import NameAddress, ParseError, Request, Response, SipURI, make_response
from switchboard.sip.headers import CONTACT
from switchboard.sip.values import ContactWildcard

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Binding:
    """One contact of an address-of-record."""

    aor: str
    contact: str
    """The Contact URI, as text."""
    expires_at: float
    call_id: str
    cseq: int
    source: tuple[str, str, int]
    """(transport, host, port) the REGISTER came from: where requests are sent."""

    def remaining(self, now: float) -> int:
        """Seconds left, rounded down, at least 0."""
        return max(0, int(self.expires_at - now))


class LocationService:
    """Bindings per address-of-record."""

    def __init__(self) -> None:
        self._bindings: dict[str, dict[str, Binding]] = {}

    def lookup(self, aor: str, now: float) -> list[Binding]:
        """Live bindings of ``aor``, most recently registered first."""
        live = [b for b in self._bindings.get(aor, {}).values() if b.expires_at > now]
        return sorted(live, key=lambda b: b.expires_at, reverse=True)

    def put(self, binding: Binding) -> None:
        """Add or refresh a binding."""
        self._bindings.setdefault(binding.aor, {})[binding.contact] = binding

    def remove(self, aor: str, contact: str | None = None) -> None:
        """Remove one binding, or every binding of ``aor``."""
        if contact is None:
            self._bindings.pop(aor, None)
        else:
            self._bindings.get(aor, {}).pop(contact, None)

    def get(self, aor: str, contact: str) -> Binding | None:
        """The binding of ``aor`` for ``contact``, expired or not."""
        return self._bindings.get(aor, {}).get(contact)

    def sweep(self, now: float) -> int:
        """Drop expired bindings; return how many were dropped."""
        dropped = 0
        for aor in list(self._bindings):
            contacts = self._bindings[aor]
            for contact in [c for c, b in contacts.items() if b.expires_at <= now]:
                del contacts[contact]
                dropped += 1
            if not contacts:
                del self._bindings[aor]
        return dropped

    def aors(self) -> list[str]:
        """Every address-of-record with at least one binding (live or not yet swept)."""
        return sorted(self._bindings)


Authenticate = Callable[[Request, str], "Response | str"]
"""``(request, aor) -> username`` when authenticated, or the response to send (401/403)."""


class Registrar:
    """Answers REGISTER requests for the users it knows."""

    def __init__(self, location: LocationService, *, authenticate: Authenticate,
                 is_known: Callable[[str], bool], min_expires: int = 60,
                 max_expires: int = 3600, default_expires: int = 3600) -> None:
        self.location = location
        self.authenticate = authenticate
        self.is_known = is_known
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default_expires
        self.on_change: Callable[[str, bool], None] | None = None
        """Called with (aor, has_live_bindings) after each successful REGISTER."""

    def handle(self, request: Request, source: tuple[str, str, int], now: float,
               to_tag: str) -> Response:
        """Process one REGISTER; returns the response to send."""
        try:
            to_uri = request.to.uri
            if not isinstance(to_uri, SipURI) or to_uri.user is None:
                return _error(request, 404, "the To URI names no user", to_tag)
            aor = to_uri.user
            outcome = self.authenticate(request, aor)
            if isinstance(outcome, Response):
                return outcome
            if outcome != aor:
                # Authenticated as someone else: the same answer as an unknown user.
                return _error(request, 403, "not allowed to register this address", to_tag)
            contacts = request.headers.parsed(CONTACT)
            header_expires = request.headers.get("Expires")
            default = self.default_expires
            if header_expires is not None:
                default = int(header_expires.strip())
            call_id = request.call_id
            cseq = request.cseq.number
        except (ParseError, ValueError) as exc:
            return _error(request, 400, str(exc), to_tag)
        if any(isinstance(c, ContactWildcard) for c in contacts):
            # §10.3 step 6: "*" only alone and with Expires: 0.
            if len(contacts) != 1 or default != 0:
                return _error(request, 400, "Contact: * needs Expires: 0 and no other contact",
                              to_tag)
            for binding in self.location.lookup(aor, now):
                if binding.call_id == call_id and cseq <= binding.cseq:
                    return _error(request, 500, "out-of-order REGISTER", to_tag)
            self.location.remove(aor)
        else:
            for contact in contacts:
                assert isinstance(contact, NameAddress)
                expires = default
                value = contact.param("expires")
                if value is not None:
                    try:
                        expires = int(value)
                    except ValueError:
                        return _error(request, 400, f"bad expires parameter {value!r}", to_tag)
                uri = contact.uri.serialize()
                existing = self.location.get(aor, uri)
                if existing is not None and existing.call_id == call_id and \
                        cseq <= existing.cseq:
                    return _error(request, 500, "out-of-order REGISTER (CSeq not higher)",
                                  to_tag)
                if expires == 0:
                    self.location.remove(aor, uri)
                    continue
                if expires < self.min_expires:
                    response = make_response(request, 423, to_tag=to_tag)
                    response.headers.add("Min-Expires", str(self.min_expires))
                    return response
                expires = min(expires, self.max_expires)
                self.location.put(Binding(aor=aor, contact=uri, expires_at=now + expires,
                                          call_id=call_id, cseq=cseq, source=source))
        response = make_response(request, 200, to_tag=to_tag)
        for binding in self.location.lookup(aor, now):
            response.headers.add("Contact",
                                 f"<{binding.contact}>;expires={binding.remaining(now)}")
        if self.on_change is not None:
            self.on_change(aor, bool(self.location.lookup(aor, now)))
        return response


def _error(request: Request, code: int, text: str, to_tag: str) -> Response:
    response = make_response(request, code, to_tag=to_tag)
    response.headers.add("Warning", f'399 - "{text}"')
    return response
