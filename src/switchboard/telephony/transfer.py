"""Transfers: REFER (RFC 3515), blind and attended, and INVITE with Replaces (RFC 3891).

Theory of operation
-------------------
Every call through the switch is anchored: each leg has its own media port, and a call is two
legs whose ports relay to each other (or one leg whose port echoes).  A transfer therefore never
asks the remaining party to re-INVITE: the switch re-points the media bridge and hangs up the
legs that leave the call.  What the remaining party sees is only that the other voice changed.

The *far end* of a leg is what its caller hears: its partner leg, the echo test, or nothing yet
(a caller waiting in a queue).  Transfers move far ends:

* **Blind REFER** on leg L (``Refer-To: <sip:EXT@...>``): the far end of L is connected to a
  new leg to EXT (or to the echo test); L is released after NOTIFY 200.
* **Attended REFER** on leg L with ``Refer-To: <...?Replaces=D>``, where D is another dialog of
  ours (leg R): the far end of L and the far end of R are connected to each other, then NOTIFY
  200 and BYE to L, BYE to R.  This is the transferor completing an attended transfer: L is its
  call with the held party, R its consultation call (or the other way round; both work).  When
  D is not one of ours and the target is an extension, the INVITE to the target carries the
  Replaces, and the target's phone decides (RFC 3891 as the referee).
* **INVITE with Replaces** naming leg R (call pickup, or a transferee that talks to us):
  the new caller is answered and connected to R's far end; R gets a BYE.

Refusals follow RFC 3891 §3 (:func:`~switchboard.sip.replaces.check_replaces`): 481 for no
such dialog, 603 for a dialog that has ended, 486 for ``early-only`` on a confirmed one; they
answer the INVITE, or end the REFER's subscription in a NOTIFY with that status.  Legs are
registered only once confirmed, so early dialogs are never found (481).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from switchboard.sip import NameAddress, ParseError, SipURI
from switchboard.sip.refer import parse_refer_to, refer_notify, replaces_from_refer_to
from switchboard.sip.replaces import Replaces, ReplacesError, check_replaces
from switchboard.sip.sdp import Codec
from switchboard.telephony.directory import Route

if TYPE_CHECKING:
    from switchboard.telephony.switch import Leg, Switch
    from switchboard.telephony.ua import ServerTx

log = logging.getLogger(__name__)

ECHO: Literal["echo"] = "echo"
"""The far end of a leg that talks to the echo test."""


def far_end(leg: Leg) -> Leg | Literal["echo"] | None:
    """What ``leg``'s party hears: its partner, the echo test, or None (nothing to move)."""
    if leg.partner is not None:
        return leg.partner
    if leg.port.mode == "echo":
        return ECHO
    return None


def _codec_of(leg: Leg) -> Codec:
    return Codec("PCMU", 8000, 0) if leg.port.payload_type == 0 else Codec("PCMA", 8000, 8)


class Transfers:
    """REFER and Replaces handling for a :class:`~switchboard.telephony.switch.Switch`."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch

    # ------------------------------------------------------------------ helpers

    def connect(self, one: Leg | Literal["echo"], other: Leg | Literal["echo"]) -> None:
        """Make ``one`` and ``other`` hear each other (two legs bridged, or a leg to the echo)."""
        if one == ECHO and other == ECHO:
            raise ValueError("cannot connect the echo test to itself")
        if one != ECHO and other != ECHO:
            assert not isinstance(one, str) and not isinstance(other, str)
            one.partner, other.partner = other, one
            self.switch.media.bridge(one.port, other.port)
            return
        leg = other if one == ECHO else one
        assert not isinstance(leg, str)
        leg.partner = None
        leg.port.partner = None
        leg.port.mode = "echo"

    def notify(self, leg: Leg, code: int, reason: str, *, final: bool) -> None:
        """A refer NOTIFY (message/sipfrag) on ``leg``'s dialog."""
        if leg.dialog is None or leg.dialog.terminated:
            return
        notify = refer_notify(leg.dialog, code, reason, final=final)
        self.switch.ua.send_request(notify, leg.peer, lambda event: None)

    def _left_center(self, leg: Leg, target: str) -> None:
        """If ``leg`` is an agent's leg of a contact-center call, the center hears that the
        agent transferred the caller away (to ``target``, an extension or a number)."""
        if self.switch.port is not None:
            self.switch.port.agent_transferred(leg, target)

    def _lookup(self, replaces: Replaces) -> Leg:
        """The leg Replaces names; ReplacesError (481, 486, 603) per RFC 3891 §3."""
        leg = self.switch.legs.get(replaces.dialog_id)
        check_replaces(replaces, leg.dialog if leg is not None else None,
                       ended=replaces.dialog_id in self.switch.ended_dialogs)
        assert leg is not None
        return leg

    # ------------------------------------------------------------------ REFER

    def refer(self, stx: ServerTx, leg: Leg) -> None:
        """A REFER on ``leg``: blind, or attended when Refer-To carries Replaces."""
        header = stx.request.headers.get("Refer-To")
        if header is None:
            stx.respond(400, headers=(("Warning", '399 - "REFER without Refer-To"'),))
            return
        try:
            refer_to = parse_refer_to(header)
            replaces = replaces_from_refer_to(refer_to)
        except ParseError as exc:
            stx.respond(400, headers=(("Warning", exc.warning),))
            return
        uri = refer_to.uri
        target = uri.user if isinstance(uri, SipURI) else None
        if replaces is not None:
            self._attended(stx, leg, replaces, target)
            return
        self._blind(stx, leg, target)

    def _route(self, target: str | None) -> Route | None:
        directory = self.switch.directory
        route = directory.dids.get(target or "")
        if route is None and target in directory.users:
            route = Route("agent", target or "")
        return route

    def _blind(self, stx: ServerTx, leg: Leg, target: str | None) -> None:
        """Blind transfer (RFC 3515): the leg's far end goes to the Refer-To target."""
        route = self._route(target)
        if route is None:
            stx.respond(400 if target is None else 404)
            return
        stx.respond(202)
        self.switch.stats.transfers += 1
        self.notify(leg, 100, "Trying", final=False)
        partner = leg.partner
        if route.kind == "echo":
            if partner is not None:
                leg.partner = None
                self.connect(partner, ECHO)
            else:
                leg.port.mode = "echo"
            self.notify(leg, 200, "OK", final=True)
            if partner is not None:
                self._left_center(leg, target or "")
                self.switch.bye(leg)
            return
        if route.kind == "agent" and partner is not None:
            self.switch.spawn(self._transfer_to_agent(leg, partner, route.target))
            return
        self.notify(leg, 501, "Not Implemented", final=True)

    def _attended(self, stx: ServerTx, leg: Leg, replaces: Replaces,
                  target: str | None) -> None:
        """REFER with Replaces: join the far ends of ``leg`` and of the replaced leg."""
        stx.respond(202)
        self.switch.stats.transfers += 1
        self.notify(leg, 100, "Trying", final=False)
        if replaces.dialog_id not in self.switch.legs \
                and replaces.dialog_id not in self.switch.ended_dialogs:
            route = self._route(target)
            if route is not None and route.kind == "agent" and leg.partner is not None:
                # Not one of ours: the target's phone holds it (RFC 3891 as the referee).
                self.switch.spawn(self._transfer_to_agent(
                    leg, leg.partner, route.target, (("Replaces", replaces.serialize()),)))
                return
        try:
            replaced = self._lookup(replaces)
        except ReplacesError as exc:
            log.info("attended transfer on %s refused: %s", leg.name, exc.message)
            self.notify(leg, exc.status_code, _REASONS.get(exc.status_code, "Failed"),
                        final=True)
            return
        mover, staying = far_end(leg), far_end(replaced)
        if replaced is leg or replaced is leg.partner or mover is None or staying is None \
                or (mover == ECHO and staying == ECHO):
            log.info("attended transfer on %s refused: Replaces names %s, which cannot be "
                     "joined to it", leg.name, replaces.dialog_id)
            self.notify(leg, 403, "Forbidden", final=True)
            return
        leg.partner = None
        replaced.partner = None
        self.connect(mover, staying)
        log.info("attended transfer: %s joined to %s; %s and %s released",
                 _describe(mover), _describe(staying), _describe(leg), _describe(replaced))
        self.notify(leg, 200, "OK", final=True)
        self._left_center(leg, target or "")
        self._left_center(replaced, target or "")
        self.switch.bye(leg)
        self.switch.bye(replaced)

    async def _transfer_to_agent(self, referrer: Leg, party: Leg, extension: str,
                                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Transfer of ``party`` to an extension: ring it; on answer bridge the party's media to
        it (anchored here, so the party needs no re-INVITE) and release the referrer; on
        failure report it to the referrer, whose call goes on."""
        switch = self.switch

        def answered(new: Leg) -> None:
            if party.ended:
                switch.bye(new)
                self.notify(referrer, 487, "Request Terminated", final=True)
                return
            referrer.partner = None
            self.connect(party, new)
            self.notify(referrer, 200, "OK", final=True)
            self._left_center(referrer, extension)
            switch.bye(referrer)

        def failed(new: Leg | None, code: int) -> None:
            self.notify(referrer, code if 300 <= code < 700 else 480,
                        _REASONS.get(code, "Transfer failed"), final=True)

        caller = party.invite.request.from_ if party.invite is not None else \
            NameAddress(SipURI(host="switchboard", user="transfer"))
        await switch.originate(extension, _codec_of(party), caller, answered, failed,
                               headers=headers)

    # ------------------------------------------------------------------ INVITE with Replaces

    async def replacing_call(self, stx: ServerTx, replaces: Replaces) -> None:
        """An INVITE with Replaces: answer it in the place of the leg it names."""
        try:
            replaced = self._lookup(replaces)
        except ReplacesError as exc:
            log.info("INVITE with Replaces refused: %s", exc.message)
            stx.respond(exc.status_code, headers=(("Warning", exc.warning),))
            return
        staying = far_end(replaced)
        if staying is None:
            stx.respond(480, headers=(("Warning", '399 - "the replaced call has no other '
                                                  'party yet"'),))
            return
        codecs = (_codec_of(staying),) if staying != ECHO else None
        accepted = await self.switch.accept_leg(stx, codecs)
        if accepted is None:
            return
        new = accepted[0]
        if replaced.ended or far_end(replaced) is not staying:
            new.port.close()
            stx.respond(603, headers=(("Warning", '399 - "the replaced call ended"'),))
            return
        self.switch.answer(new)
        replaced.partner = None
        self.connect(new, staying)
        log.info("INVITE with Replaces: %s takes the place of %s, joined to %s",
                 _describe(new), _describe(replaced), _describe(staying))
        self._left_center(replaced, "")
        self.switch.bye(replaced)


_REASONS = {
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    486: "Busy Here",
    487: "Request Terminated",
    603: "Decline",
}


def _describe(end: Leg | Literal["echo"]) -> str:
    if isinstance(end, str):
        return "the echo test"
    call_id = end.dialog.call_id if end.dialog is not None else "?"
    return f"leg {end.name} ({call_id} via {end.peer.host}:{end.peer.port})"

