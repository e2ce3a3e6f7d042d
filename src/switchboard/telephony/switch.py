"""The SIP application: registrar, echo test, B2BUA to agents' phones, transfers.

Theory of operation
-------------------
:class:`Switch` receives each new request from the :class:`~switchboard.telephony.ua.UserAgent`.

* REGISTER goes to the registrar after digest authentication.
* An INVITE to a public number (a DID: the echo test 9999, a number routed to an agent) needs
  no authentication; any other INVITE (a phone calling an extension) does, with a 407 challenge
  whatever the target, so that extensions cannot be enumerated.
* Every call leg has a :class:`Leg`: its dialog, where to send in-dialog requests, and a media
  port. A call to an agent is a back-to-back call: the caller's leg (A) is answered only when
  the agent's leg (B) answers, and the media of both is anchored on our ports and relayed.
* Digest challenges offer MD5 only by default: SIPp, sipvicious, baresip and many phones answer
  only the first challenge, or give up when any challenge names an algorithm they lack
  (baresip 1.0 fails the REGISTER on a SHA-256 challenge). SHA-256 (RFC 7616/8760) is offered
  when ``algorithms`` includes it, preferred first.
* Authentication failures are counted per source by the guard; after a few the source is
  blocked and gets no answer at all. Unknown users and wrong passwords look exactly the same.
* REFER (blind or attended) and INVITE with Replaces are :mod:`.transfer`'s; a malformed
  Replaces on an INVITE is answered 400 before any call work starts.
* Session timers (RFC 4028) negotiated by a caller are enforced by :mod:`.session_timers`:
  re-INVITE and UPDATE refresh them, and an expired session ends both legs of its call.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from switchboard.core.center import ContactCenter
from switchboard.sip import (
    NameAddress,
    NegotiationError,
    ParseError,
    Request,
    Response,
    SipURI,
    make_response,
)
from switchboard.sip.auth import DigestVerifier
from switchboard.sip.dialog import Dialog, DialogId, dialog_id_of, session_timer_answer
from switchboard.sip.headers import CONTACT
from switchboard.sip.replaces import Replaces, replaces_of
from switchboard.sip.sdp import (
    AudioConfig,
    Codec,
    NegotiatedAudio,
    SessionDescription,
    create_answer,
    create_offer,
    negotiated_from_answer,
)
from switchboard.sip.session_timer import SessionTimer
from switchboard.sip.transaction import Event, ResponseReceived, TimedOut, TransportError
from switchboard.sip.uri import parse_uri
from switchboard.telephony.center_port import CenterCall, TelephonyPort
from switchboard.telephony.directory import Directory, Route, Trunk
from switchboard.telephony.entropy import entropy
from switchboard.telephony.media import MediaEngine, MediaPort
from switchboard.telephony.registrar import LocationService, Registrar
from switchboard.telephony.session_timers import SessionTimers
from switchboard.telephony.transfer import Transfers
from switchboard.telephony.trunks import authorized_retry, trunk_peer
from switchboard.telephony.ua import ClientTx, ServerTx, UserAgent, new_tag
from switchboard.telephony.udp import Peer

log = logging.getLogger(__name__)

#: The Reason header (RFC 3326) of the BYE that ends a call whose 2xx got no ACK.
NO_ACK_REASON = 'SIP;cause=408;text="ACK timeout"'

#: How many ended dialogs are remembered, to answer Replaces naming one 603 (RFC 3891 §3).
ENDED_DIALOGS_KEPT = 1024


@dataclass(eq=False, init=False)
class Leg:
    """One side of a call."""

    name: str
    peer: Peer
    port: MediaPort
    dialog: Dialog | None
    partner: Leg | None
    invite: ServerTx | None
    """The INVITE we received (A legs), until answered."""
    outgoing: ClientTx | None
    """The INVITE we sent (B legs), until answered."""
    offer: SessionDescription | None
    sdp_version: int
    session_id: str
    ended: bool
    on_answer: Callable[[Leg], None] | None
    on_fail: Callable[[Leg | None, int], None] | None
    credentials: tuple[str, str] | None
    """Username and password for a carrier's challenge (trunk legs)."""
    timer_headers: tuple[tuple[str, str], ...]
    """Session-Timers (RFC 4028) headers for our 2xx."""
    digits: str
    """DTMF received on this leg (RFC 4733 events or SIP INFO)."""
    auth_tried: bool
    answer_sdp: bytes
    """The SDP we last sent on this leg (A legs): the 2xx's answer, a refresh's offer."""
    session_timer: SessionTimer | None
    """RFC 4028 deadline of the dialog, when it negotiated Session-Expires."""
    timer_handle: asyncio.TimerHandle | None
    peer_allows_update: bool
    """The caller's INVITE listed UPDATE in Allow: session refreshes use it."""
    end_reason: str | None
    """Why we ended the leg, when it was not an ordinary hang-up (session timer expired)."""
    offer_pending: bool
    """Our re-INVITE (a session refresh offering our SDP) awaits its final response: an
    offer from the peer meanwhile is glare, answered 491 (RFC 3261 §14.2, RFC 3311 §5.2)."""

    # An explicit __init__: mypyc compiles it, where a dataclass-generated one stays
    # interpreted (docs/sip-bench.md).
    def __init__(self, name: str, peer: Peer, port: MediaPort, *,
                 invite: ServerTx | None = None) -> None:
        self.name = name
        self.peer = peer
        self.port = port
        self.dialog = None
        self.partner = None
        self.invite = invite
        self.outgoing = None
        self.offer = None
        self.sdp_version = 0
        self.session_id = str(entropy.bits(31))
        self.ended = False
        self.on_answer = None
        self.on_fail = None
        self.credentials = None
        self.timer_headers = ()
        self.digits = ""
        self.auth_tried = False
        self.answer_sdp = b""
        self.session_timer = None
        self.timer_handle = None
        self.peer_allows_update = False
        self.end_reason = None
        self.offer_pending = False


@dataclass(slots=True)
class SwitchStats:
    """Counters for metrics and tests."""

    registrations: int = 0
    auth_challenges: int = 0
    auth_failures: int = 0
    calls: int = 0
    answered: int = 0
    failed: int = 0
    transfers: int = 0
    sessions_expired: int = 0
    unacknowledged: int = 0
    """Calls ended because our 2xx got no ACK (RFC 3261 §13.3.1.4)."""
    glare: int = 0
    """Offers refused with 491 because our own re-INVITE was pending (RFC 3261 §14.2)."""


class Switch:
    """The call-handling application on top of the user agent."""

    def __init__(self, ua: UserAgent, media: MediaEngine, directory: Directory, *,
                 secret: bytes | None = None,
                 algorithms: tuple[str, ...] = ("MD5",),
                 session_min_se: int = 90) -> None:
        self.ua = ua
        self.media = media
        self.directory = directory
        self.verifier = DigestVerifier(realm=directory.realm,
                                       secret=secret or secrets.token_bytes(32),
                                       algorithms=algorithms)
        self.location = LocationService()
        self.registrar = Registrar(self.location, authenticate=lambda request, aor: "",
                                   is_known=lambda aor: aor in directory.users)
        self.legs: dict[DialogId, Leg] = {}
        self.ended_dialogs: OrderedDict[DialogId, None] = OrderedDict()
        """The last ENDED_DIALOGS_KEPT dialogs that ended (Replaces naming one: 603)."""
        self.transfers = Transfers(self)
        self.timers = SessionTimers(self)
        if session_min_se < 1:
            raise ValueError(f"session Min-SE must be at least 1 second, got {session_min_se}")
        self.session_min_se = session_min_se
        """Smallest Session-Expires we accept (RFC 4028 Min-SE): 90 unless set
        (``serve --session-min-se``; the tests use a few seconds)."""
        self.stats = SwitchStats()
        self.guard = ua.transport.guard
        ua.on_request = self.on_request
        ua.on_stray_ack = self.on_ack
        self._tasks: set[asyncio.Task[None]] = set()
        self.port: TelephonyPort | None = None
        self.registrar.on_change = self._registration_changed

    def attach_center(self, center_factory: Callable[[TelephonyPort], ContactCenter]
                      ) -> ContactCenter:
        """Connect a contact center: queue numbers reach it, its commands reach the phones."""
        self.port = TelephonyPort(self)
        center = center_factory(self.port)
        self.port.attach(center)
        return center

    def _registration_changed(self, aor: str, live: bool) -> None:
        if self.port is not None:
            self.port.registered(self.directory.agent_of_extension(aor), live)

    # ------------------------------------------------------------------ dispatch

    def on_request(self, stx: ServerTx) -> None:
        """A new request (not ACK/CANCEL)."""
        request = stx.request
        if self.guard.blocked(stx.peer.host, self.ua.now()):
            return  # blocked sources get no answer
        method = request.method
        if method == "REGISTER":
            self._register(stx)
        elif method == "OPTIONS":
            stx.respond(200, headers=(("Allow", self.ua.allow_header),
                                      ("Accept", "application/sdp"),
                                      ("Supported", "replaces, timer")))
        elif method == "INVITE" and request.to.tag is None:
            replaces = replaces_of(request)  # ReplacesError (400): the UA answers it
            self._new_call(stx, replaces)
        else:
            self._in_dialog(stx)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine as a task, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task failed", exc_info=task.exception())

    # ------------------------------------------------------------------ authentication

    def _challenge(self, stx: ServerTx, *, proxy: bool, stale: bool = False) -> None:
        self.stats.auth_challenges += 1
        code = 407 if proxy else 401
        stx.respond(code, headers=tuple(self.verifier.challenge_headers(
            self.ua.now(), proxy=proxy, stale=stale)))

    def _verify(self, stx: ServerTx, *, proxy: bool) -> str | None:
        """The authenticated user, or None after answering (challenge, or silence if blocked)."""
        request = stx.request
        header = request.headers.get("Proxy-Authorization" if proxy else "Authorization")
        now = self.ua.now()
        if header is None:
            self._challenge(stx, proxy=proxy)
            return None
        uri = request.uri.serialize()
        try:
            from switchboard.sip.auth import parse_credentials

            credentials = parse_credentials(header)
            if parse_uri(credentials.uri) == request.uri:
                uri = credentials.uri  # the peer's spelling of the same Request-URI
        except ParseError:
            credentials = None
        result = self.verifier.verify(credentials or header, method=request.method, uri=uri,
                                      now=now, lookup_ha1=self.directory.ha1)
        if result.ok and result.username is not None:
            self.guard.auth_succeeded(stx.peer.host)
            return result.username
        if result.stale:
            self._challenge(stx, proxy=proxy, stale=True)
            return None
        self.stats.auth_failures += 1
        if self.guard.auth_failed(stx.peer.host, now):
            return None  # now blocked: no answer
        self._challenge(stx, proxy=proxy)
        return None

    def _register(self, stx: ServerTx) -> None:
        username = self._verify(stx, proxy=False)
        if username is None:
            return
        found = self.directory.user_by_username(username)
        user = found.extension if found is not None else username
        self.registrar.authenticate = lambda request, aor: user  # verified just above
        response = self.registrar.handle(stx.request, (stx.peer.transport, stx.peer.host,
                                                       stx.peer.port), self.ua.now(),
                                         stx.to_tag)
        if response.status_code == 200:
            self.stats.registrations += 1
            log.info("REGISTER %s from %s:%s %s: %d contact(s)", user, stx.peer.host,
                     stx.peer.port, stx.peer.transport,
                     len(self.location.lookup(user, self.ua.now())))
        stx.send(response)

    # ------------------------------------------------------------------ calls

    def _new_call(self, stx: ServerTx, replaces: Replaces | None = None) -> None:
        """A new INVITE: route it, take a media port and answer the SDP offer; a route served
        here (the echo test, a queue) is answered at once, an agent or a trunk is called by a
        task (a B2BUA leg to wait for)."""
        request = stx.request
        uri = request.uri
        number = uri.user if isinstance(uri, SipURI) else None
        route = self.directory.dids.get(number or "")
        if route is None and self.directory.trunk_for_source(stx.peer.host) is None:
            user = self._verify(stx, proxy=True)
            if user is None:
                return
            if number in self.directory.users:
                route = Route("agent", number)
            elif number and self.directory.outbound_trunk() is not None:
                route = Route("trunk", number)
        if replaces is not None:
            # Authorized as a call to its Request-URI would be (a public number, a trunk, or
            # digest); the dialog identifiers it names are the rest (RFC 3891 §6.1).
            self.stats.calls += 1
            self.spawn(self.transfers.replacing_call(stx, replaces))
            return
        if route is None:
            stx.respond(404)
            return
        self.stats.calls += 1
        try:
            port = self.media.open_now()
        except OSError as exc:  # out of file descriptors or ports
            log.error("no media port for a call from %s: %s", stx.peer.host, exc)
            self.stats.failed += 1
            stx.respond(503, headers=(("Retry-After", "5"),
                                      ("Warning", f'399 - "no media port: {exc.strerror}"')))
            return
        accepted = self._accept_leg(stx, port)
        if accepted is None:
            return
        if route.kind in ("agent", "trunk"):
            self.spawn(self._call_out(stx, route, *accepted))
        else:
            self._connect(stx, route, number, *accepted)

    async def _call_out(self, stx: ServerTx, route: Route, leg: Leg,
                        negotiated: NegotiatedAudio) -> None:
        """The caller's leg is accepted; call the agent's phone or the trunk (B2BUA)."""
        stx.on_cancel = lambda: self._cancel_a(leg)
        if route.kind == "agent":
            await self._call_agent(leg, route.target, leg.answer_sdp, negotiated)
        else:
            trunk = self.directory.outbound_trunk()
            assert trunk is not None
            await self._call_trunk(leg, trunk, route.target, leg.answer_sdp, negotiated)

    def _connect(self, stx: ServerTx, route: Route, number: str | None, leg: Leg,
                 negotiated: NegotiatedAudio) -> None:
        """Answer a caller's leg whose route is served here (echo test, queue), or refuse."""
        port = leg.port
        if route.kind == "echo":
            self.answer(leg)
            port.mode = "echo"
            # The tone starts when the caller's ACK confirms the call, so that a phone still
            # setting up its media does not miss its start (audio received before is echoed).
            stx.on_ack = lambda ack: None if leg.ended else port.play_tone(1000.0, 0.5)
        elif route.kind == "queue" and self.port is not None and self.port.center is not None \
                and route.target in self.port.center.queues:
            self.answer(leg)
            port.play_ringback()
            caller = stx.request.from_.uri
            assert leg.dialog is not None
            self.port.caller_queued(CenterCall(leg.dialog.call_id, leg),
                                    caller.user if isinstance(caller, SipURI) and caller.user
                                    else "", number or "", route.target)
        else:
            port.close()
            stx.respond(480, headers=(("Warning", f'399 - "route {route.kind} is not '
                                                  'available yet"'),))

    async def accept_leg(self, stx: ServerTx, codecs: tuple[Codec, ...] | None = None
                         ) -> tuple[Leg, NegotiatedAudio] | None:
        """The caller's leg of a new INVITE: a media port, our SDP answer (restricted to
        ``codecs`` when given) and the session timer; None after answering 488, 422 or 400."""
        return self._accept_leg(stx, await self.media.open(), codecs)

    def _accept_leg(self, stx: ServerTx, port: MediaPort,
                    codecs: tuple[Codec, ...] | None = None
                    ) -> tuple[Leg, NegotiatedAudio] | None:
        request = stx.request
        leg = Leg("A", stx.peer, port, invite=stx)
        try:
            offer = SessionDescription.parse(request.body) if request.body else None
            if offer is None:
                raise NegotiationError("an INVITE without an SDP offer is not supported")
            answer, negotiated = self._answer_sdp(leg, offer, codecs)
        except (ParseError, NegotiationError) as exc:
            port.close()
            self.stats.failed += 1
            stx.respond(488, headers=(("Warning", f'399 - "{exc}"'),))
            return None
        try:
            timer = session_timer_answer(request, min_se=self.session_min_se,
                                         to_tag=stx.to_tag)
        except ParseError as exc:
            timer = make_response(request, 400, to_tag=stx.to_tag)
            timer.headers.add("Warning", exc.warning)
        if isinstance(timer, Response):
            port.close()
            stx.send(timer)
            return None
        leg.timer_headers = timer
        leg.answer_sdp = answer.serialize()
        port.on_dtmf = lambda digit: self._dtmf(leg, digit)
        self._apply(port, negotiated)
        return leg, negotiated

    def _answer_sdp(self, leg: Leg, offer: SessionDescription,
                    codecs: tuple[Codec, ...] | None = None
                    ) -> tuple[SessionDescription, NegotiatedAudio]:
        config = AudioConfig(address=leg.port.local[0], port=leg.port.local[1])
        if codecs is not None:
            config = AudioConfig(address=config.address, port=config.port, codecs=codecs)
        leg.sdp_version += 1
        return create_answer(offer, config, session_id=leg.session_id,
                             session_version=leg.sdp_version)

    @staticmethod
    def _apply(port: MediaPort, negotiated: NegotiatedAudio) -> None:
        if negotiated.remote_address and negotiated.remote_port and not port.latched:
            port.remote = (negotiated.remote_address, negotiated.remote_port)
        port.payload_type = negotiated.codec.payload_type
        port.te_payload_type = negotiated.telephone_event_pt

    def answer(self, leg: Leg) -> None:
        """Answer a caller's leg with 200 and our SDP (``leg.answer_sdp``)."""
        self._answer_a(leg, leg.answer_sdp)

    def _answer_a(self, leg: Leg, sdp: bytes) -> None:
        stx = leg.invite
        assert stx is not None
        contact = self.ua.contact_uri("switchboard", stx.peer.transport)
        response = stx.respond(200, body=sdp, content_type="application/sdp",
                               headers=(("Contact", f"<{contact}>"),
                                        ("Allow", self.ua.allow_header),
                                        *leg.timer_headers))
        dialog = Dialog.from_uas(stx.request, response)
        leg.dialog = dialog
        leg.answer_sdp = sdp
        self.legs[dialog.dialog_id] = leg
        self.stats.answered += 1
        stx.on_no_ack = lambda: self._no_ack(leg)
        self.timers.start(leg)

    def _no_ack(self, leg: Leg) -> None:
        """RFC 3261 §13.3.1.4: a 2xx unacknowledged for 64*T1 confirms the dialog, but the
        session SHOULD end with a BYE: to the caller, and to its partner, if any."""
        if leg.ended:
            return
        self.stats.unacknowledged += 1
        log.warning("no ACK for our 200 on %s: BYE", leg.dialog.call_id if leg.dialog else "?")
        self.hang_up_call(leg, reason=NO_ACK_REASON, why="no ACK")

    def hang_up_call(self, leg: Leg, *, reason: str, why: str) -> None:
        """End a call from our side: BYE with a ``Reason`` header to ``leg`` and its partner,
        ``why`` kept in their ``end_reason``, the contact center told."""
        leg.end_reason = why
        partner = leg.partner
        self.bye(leg, reason=reason)
        if partner is not None and not partner.ended:
            partner.end_reason = why
            self.bye(partner, reason=reason)
        if self.port is not None:
            self.port.leg_ended(leg)

    def _cancel_a(self, leg: Leg) -> None:
        if leg.invite is not None and not leg.invite.final:
            leg.invite.respond(487)
        leg.ended = True
        partner = leg.partner
        if partner is not None and partner.outgoing is not None and partner.dialog is None:
            self.ua.send_cancel(partner.outgoing)
        self._close(leg)

    def _targets(self, extension: str) -> list[tuple[str, Peer]]:
        """Where an extension's phone can be reached: its fixed contact, its registrations."""
        user = self.directory.users.get(extension)
        targets: list[tuple[str, Peer]] = []
        if user is not None and user.static_contact is not None:
            contact = SipURI.parse(user.static_contact)
            targets.append((user.static_contact,
                            Peer("udp", contact.host, contact.port or 5060)))
        for binding in self.location.lookup(extension, self.ua.now()):
            kind, host, port = binding.source
            conn = None
            if kind != "udp":
                conn = next((c.peer.conn for c in self.ua.transport.connections
                             if c.peer is not None and (c.peer.host, c.peer.port) == (host, port)),
                            None)
            targets.append((binding.contact, Peer(kind, host, port, conn)))
        return targets

    async def originate(self, extension: str, codec: Codec, caller: NameAddress,
                        on_answer: Callable[[Leg], None],
                        on_fail: Callable[[Leg | None, int], None], *,
                        headers: tuple[tuple[str, str], ...] = ()) -> Leg | None:
        """INVITE an extension's phone; None (after ``on_fail(None, 480)``) if it has none.

        ``headers`` go into the INVITE as they are (a Replaces, for a transfer)."""
        targets = self._targets(extension)
        if not targets:
            on_fail(None, 480)
            return None
        target, peer = targets[0]
        return await self._originate_to(target, f"<sip:{extension}@{peer.host}>", peer, codec,
                                        caller, on_answer, on_fail, headers=headers)

    async def _originate_to(self, target: str, to: str, peer: Peer, codec: Codec,
                            caller: NameAddress, on_answer: Callable[[Leg], None],
                            on_fail: Callable[[Leg | None, int], None],
                            credentials: tuple[str, str] | None = None, *,
                            headers: tuple[tuple[str, str], ...] = ()) -> Leg:
        """Send the INVITE of an outgoing leg (our media port, the caller's identity)."""
        b_port = await self.media.open()
        b = Leg("B", peer, b_port)
        config = AudioConfig(address=b_port.local[0], port=b_port.local[1], codecs=(codec,))
        b.offer = create_offer(config, session_id=b.session_id, session_version=0)
        request = Request(method="INVITE", uri=parse_uri(target))
        local_host = self.ua.transport.addresses.get(peer.transport, ("127.0.0.1", 0))[0]
        user = caller.uri.user if isinstance(caller.uri, SipURI) else None
        request.headers.add("From", NameAddress(SipURI(host=local_host, user=user or "anonymous"),
                                                caller.display_name,
                                                (("tag", new_tag()),)).serialize())
        request.headers.add("To", to)
        request.headers.add("Call-ID", f"{secrets.token_hex(12)}@switchboard")
        request.headers.add("CSeq", "1 INVITE")
        request.headers.add("Contact", f"<{self.ua.contact_uri('switchboard', peer.transport)}>")
        for name, value in headers:
            request.headers.add(name, value)
        request.headers.add("Content-Type", "application/sdp")
        request.body = b.offer.serialize()
        b.on_answer = on_answer
        b.on_fail = on_fail
        b.credentials = credentials
        b.outgoing = self.ua.send_request(request, peer, lambda event: self._b_event(b, event))
        return b

    def _relay(self, a: Leg, answer_sdp: bytes
               ) -> tuple[Callable[[Leg], None], Callable[[Leg | None, int], None]]:
        """Hooks of a back-to-back leg: answer the caller when it answers, fail it when it
        fails (with the same code, or 480)."""

        def answered(b_leg: Leg) -> None:
            if a.ended:
                self.bye(b_leg)
                return
            self.media.bridge(a.port, b_leg.port)
            self._answer_a(a, answer_sdp)

        def failed(b_leg: Leg | None, code: int) -> None:
            if a.invite is not None and not a.invite.final:
                a.invite.respond(code if 400 <= code < 700 else 480)
            self.stats.failed += 1
            self._close(a)

        return answered, failed

    async def _call_agent(self, a: Leg, extension: str, answer_sdp: bytes,
                          negotiated: NegotiatedAudio) -> None:
        """A number routed to an agent: ring the phone, answer the caller when it answers."""
        assert a.invite is not None
        answered, failed = self._relay(a, answer_sdp)
        b = await self.originate(extension, negotiated.codec, a.invite.request.from_,
                                  answered, failed)
        if b is not None:
            a.partner, b.partner = b, a

    async def _call_trunk(self, a: Leg, trunk: Trunk, number: str, answer_sdp: bytes,
                          negotiated: NegotiatedAudio) -> None:
        """An outbound call through a carrier trunk (answering its digest challenge)."""
        assert a.invite is not None
        answered, failed = self._relay(a, answer_sdp)
        peer = trunk_peer(trunk)
        port = f":{trunk.port}" if trunk.port != 5060 else ""
        target = f"sip:{number}@{trunk.host}{port}"
        credentials = (trunk.username, trunk.password) if trunk.username and \
            trunk.password is not None else None
        b = await self._originate_to(target, f"<{target}>", peer, negotiated.codec,
                                     a.invite.request.from_, answered, failed, credentials)
        a.partner, b.partner = b, a

    async def ring_for_center(self, call: CenterCall, agent_id: str) -> None:
        """The center offers ``call`` to ``agent_id``: ring the agent's phone."""
        port = self.port
        assert port is not None and call.caller.invite is not None

        def answered(b_leg: Leg) -> None:
            if call.caller.ended or call.agent is not b_leg:
                self.bye(b_leg)
                return
            port.act("offer_answered", call.call_id, agent_id)

        def failed(b_leg: Leg | None, code: int) -> None:
            if b_leg is None or call.agent is b_leg:
                call.agent = None
                if port.center is not None and call.call_id in port.center.calls:
                    port.act("offer_failed", call.call_id, agent_id)

        codec = Codec("PCMU", 8000, call.caller.port.payload_type) \
            if call.caller.port.payload_type == 0 else Codec("PCMA", 8000, 8)
        extension = self.directory.extension_of_agent(agent_id)
        call.agent = await self.originate(extension, codec, call.caller.invite.request.from_,
                                           answered, failed)

    def cancel_leg(self, leg: Leg) -> None:
        """Withdraw a ringing outgoing leg."""
        if leg.outgoing is not None and leg.dialog is None:
            self.ua.send_cancel(leg.outgoing)
        leg.on_answer = lambda b_leg: self.bye(b_leg)  # answered anyway: hang it up
        leg.on_fail = None
        self._close(leg)

    def end_leg(self, leg: Leg) -> None:
        """Hang up a leg, whatever its state."""
        if leg.dialog is not None:
            self.bye(leg)
        elif leg.invite is not None and not leg.invite.final:
            leg.invite.respond(480)
            self._close(leg)
        else:
            self.cancel_leg(leg)

    def _b_event(self, b: Leg, event: Event) -> None:
        outgoing = b.outgoing
        assert outgoing is not None
        if isinstance(event, ResponseReceived):
            response = event.response
            code = response.status_code
            if code < 200:
                a = b.partner
                if code in (180, 183) and a is not None and a.invite is not None \
                        and not a.invite.final:
                    a.invite.respond(180)
                return
            if code < 300:
                if b.dialog is None:
                    b.dialog = Dialog.from_uac(outgoing.tx.request, response)
                    self.legs[b.dialog.dialog_id] = b
                    # What a session refresh we send on this leg would use (RFC 4028).
                    b.answer_sdp = b.offer.serialize() if b.offer is not None else b""
                    allow = response.headers.get("Allow") or ""
                    b.peer_allows_update = "UPDATE" in allow.upper().replace(" ", "").split(",")
                    try:
                        if b.offer is not None and response.body:
                            negotiated = negotiated_from_answer(
                                b.offer, SessionDescription.parse(response.body))
                            self._apply(b.port, negotiated)
                    except (ParseError, NegotiationError) as exc:
                        log.warning("agent leg answered with unusable SDP: %s", exc)
                    self._ack(b, response)
                    if b.on_answer is not None:
                        b.on_answer(b)
                else:
                    self._ack(b, response)  # a retransmitted 2xx: ACK again
                return
            if code in (401, 407) and b.credentials is not None and not b.auth_tried:
                b.auth_tried = True
                retry = authorized_retry(outgoing.tx.request, response, *b.credentials)
                if retry is not None:
                    b.outgoing = self.ua.send_request(retry, b.peer,
                                                      lambda ev: self._b_event(b, ev))
                    return
            if b.on_fail is not None:
                b.on_fail(b, code)
            self._close(b)
        elif isinstance(event, TimedOut | TransportError) and b.dialog is None \
                and b.on_fail is not None:
            b.on_fail(b, 408)
            self._close(b)

    def _ack(self, leg: Leg, response: Response) -> None:
        assert leg.dialog is not None and leg.outgoing is not None
        ack = leg.dialog.create_ack(leg.outgoing.tx.request.cseq.number)
        self.ua.send_ack(ack, leg.peer)

    # ------------------------------------------------------------------ in-dialog requests

    def on_ack(self, ack: Request, peer: Peer) -> None:
        """ACK for our 2xx: the dialog is confirmed (nothing else to do)."""

    def _in_dialog(self, stx: ServerTx) -> None:
        request = stx.request
        ident = dialog_id_of(request, uas=True)
        leg = self.legs.get(ident) if ident is not None else None
        if leg is None or leg.dialog is None:
            stx.respond(481)
            return
        try:
            leg.dialog.receive_request(request)
        except ParseError as exc:
            stx.respond(exc.status_code, headers=(("Warning", exc.warning),))
            return
        method = request.method
        if method == "BYE":
            stx.respond(200)
            leg.ended = True
            if leg.partner is not None and not leg.partner.ended:
                self.bye(leg.partner)
            self._close(leg)
            if self.port is not None:
                self.port.leg_ended(leg)
        elif method == "INVITE":
            self._reinvite(stx, leg)
        elif method == "INFO":
            self._info(stx, leg)
        elif method == "REFER":
            self.transfers.refer(stx, leg)
        elif method == "UPDATE":
            self._update(stx, leg)
        elif method == "NOTIFY":
            stx.respond(200)
        else:
            stx.respond(405, headers=(("Allow", self.ua.allow_header),))

    def _dtmf(self, leg: Leg, digit: str) -> None:
        leg.digits += digit
        log.info("DTMF %s on %s", digit, leg.dialog.call_id if leg.dialog else leg.name)

    def _info(self, stx: ServerTx, leg: Leg) -> None:
        """SIP INFO: DTMF as application/dtmf-relay (``Signal=5``) or application/dtmf."""
        content_type = (stx.request.headers.get("Content-Type") or "").split(";")[0].strip()
        text = stx.request.body.decode("utf-8", "replace")
        digit = None
        if content_type.lower() == "application/dtmf-relay":
            for line in text.splitlines():
                name, _, value = line.partition("=")
                if name.strip().lower() == "signal":
                    digit = value.strip()
        elif content_type.lower() == "application/dtmf":
            digit = text.strip()
        if digit is not None and (len(digit) != 1 or digit.upper() not in "0123456789*#ABCD"):
            stx.respond(400, headers=(("Warning", f'399 - "{digit!r} is not a DTMF digit"'),))
            return
        if digit is not None:
            self._dtmf(leg, digit.upper())
        stx.respond(200)

    def _reinvite(self, stx: ServerTx, leg: Leg) -> None:
        """Hold / resume / media change / session refresh: answer from our own port (the media
        is anchored). A re-INVITE without SDP gets our last SDP as the offer."""
        self._answer_in_dialog_offer(stx, leg)

    def _update(self, stx: ServerTx, leg: Leg) -> None:
        """UPDATE (RFC 3311): a session refresh without SDP, or a media change with it."""
        self._answer_in_dialog_offer(stx, leg)

    def _answer_in_dialog_offer(self, stx: ServerTx, leg: Leg) -> None:
        request = stx.request
        if leg.offer_pending and (request.method == "INVITE" or request.body):
            # Glare: both ends re-INVITE at once. Each answers the other 491 and retries
            # after a random wait (RFC 3261 §14.1-14.2; an UPDATE's offer, RFC 3311 §5.2).
            self.stats.glare += 1
            stx.respond(491)
            return
        timer_headers = self.timers.answer_refresh(stx, leg)
        if timer_headers is None:
            return  # answered 422 / 400
        sdp = b""
        if stx.request.body:
            try:
                offer = SessionDescription.parse(stx.request.body)
                answer, negotiated = self._answer_sdp(leg, offer)
            except (ParseError, NegotiationError) as exc:
                stx.respond(488, headers=(("Warning", f'399 - "{exc}"'),))
                return
            self._apply(leg.port, negotiated)
            sdp = leg.answer_sdp = answer.serialize()
        elif stx.request.method == "INVITE":
            sdp = leg.answer_sdp  # an offerless re-INVITE: we offer what we had
        contact = leg.dialog.local_contact if leg.dialog is not None else None
        headers = (("Contact", contact.serialize()),) if contact else ()
        stx.respond(200, body=sdp, content_type="application/sdp" if sdp else None,
                    headers=(*headers, *timer_headers))
        self.timers.refreshed(leg, timer_headers)

    def bye(self, leg: Leg, *, reason: str | None = None) -> None:
        """Hang up a leg with a confirmed dialog (BYE, with a Reason header when given), or
        just release it."""
        if leg.ended or leg.dialog is None:
            self._close(leg)
            return
        leg.ended = True
        bye = leg.dialog.create_request(
            "BYE", extra_headers=(("Reason", reason),) if reason is not None else ())
        self.ua.send_request(bye, leg.peer, lambda event: None)
        self._close(leg)

    def _close(self, leg: Leg) -> None:
        leg.ended = True
        self.timers.stop(leg)
        leg.port.close()
        stx = leg.invite
        if stx is not None:
            # Its callbacks hold the leg, which holds it: without them the call's state is
            # freed at once by reference counting, not later by the garbage collector.
            stx.on_ack = stx.on_cancel = stx.on_no_ack = None
        if leg.dialog is not None:
            ident = leg.dialog.dialog_id
            if self.legs.pop(ident, None) is not None:
                self.ended_dialogs[ident] = None
                while len(self.ended_dialogs) > ENDED_DIALOGS_KEPT:
                    self.ended_dialogs.popitem(last=False)

    def active_calls(self) -> int:
        """Legs with a confirmed dialog."""
        return len(self.legs)

    def contacts_of(self, request: Request) -> list[str]:
        """Contact URIs of a request (for tests and logs)."""
        return [c.uri.serialize() for c in request.headers.parsed(CONTACT)
                if isinstance(c, NameAddress)]
