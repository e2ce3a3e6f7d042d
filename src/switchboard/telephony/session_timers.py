"""Session timers (RFC 4028) on live calls: the asyncio shell around
:class:`~switchboard.sip.session_timer.SessionTimer`.

Theory of operation
-------------------
A caller's INVITE that negotiates ``Session-Expires`` (answered by
:func:`~switchboard.sip.dialog.session_timer_answer`) gets a :class:`SessionTimer` when our 2xx
goes out, and one real timer (``loop.call_at``) armed at the deadline the timer gives:

* each re-INVITE or UPDATE from the caller is a refresh: its 2xx carries the Session-Expires we
  answered (an UPDATE without SDP is the cheap way, RFC 3311), and the timer restarts;
* when we are the refresher (``refresher=uas`` in the caller's INVITE), we send the refresh at
  half the interval: an UPDATE without SDP when the caller's INVITE listed UPDATE in Allow,
  otherwise a re-INVITE offering the SDP we last sent (unchanged version).  Its 2xx restarts
  the timer; 408, 481 or a timeout end the session; a 491 (the caller re-INVITEd at the same
  moment) sends it again after a random wait (RFC 3261 §14.1), and the caller's re-INVITE
  meanwhile gets 491 from the switch;
* when nobody refreshed by expiry - min(32, S/3), the call is torn down: BYE to the leg *and*
  its partner leg (the agent's phone of a back-to-back call), each with
  ``Reason: SIP;cause=408;text="Session timer expired"`` (RFC 3326), a warning in the log and
  ``SwitchStats.sessions_expired`` counted.

The smallest interval we accept (Min-SE) is ``Switch.session_min_se``: 90 s as RFC 4028
requires, unless ``switchboard serve --session-min-se S`` says otherwise (tests use a few seconds
so that a call can expire while they wait).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from switchboard.sip import ParseError, Request, Response
from switchboard.sip.dialog import parse_session_expires, session_timer_answer
from switchboard.sip.headers import ALLOW
from switchboard.sip.session_timer import (
    RefreshDue,
    SessionExpired,
    SessionTimer,
    refresher_is_local,
)
from switchboard.sip.transaction import Event, ResponseReceived, TimedOut, TransportError
from switchboard.telephony.entropy import entropy

if TYPE_CHECKING:
    from switchboard.telephony.switch import Leg, Switch
    from switchboard.telephony.ua import ServerTx

log = logging.getLogger(__name__)

#: The Reason header (RFC 3326) of the BYEs that end an expired session.
EXPIRED_REASON = 'SIP;cause=408;text="Session timer expired"'


def _session_expires(headers: tuple[tuple[str, str], ...]) -> str | None:
    return next((v for n, v in headers if n.lower() == "session-expires"), None)


class SessionTimers:
    """RFC 4028 for the legs of a :class:`~switchboard.telephony.switch.Switch`."""

    def __init__(self, switch: Switch) -> None:
        self.switch = switch

    # ------------------------------------------------------------------ negotiation

    def start(self, leg: Leg) -> None:
        """Our 2xx to the caller's INVITE went out: start the timer it negotiated, if any."""
        value = _session_expires(leg.timer_headers)
        if value is None or leg.invite is None:
            return
        negotiated = parse_session_expires(value)
        try:
            allow = leg.invite.request.headers.parsed(ALLOW)
        except ParseError:
            allow = []
        leg.peer_allows_update = any(method.upper() == "UPDATE" for method in allow)
        leg.session_timer = SessionTimer(
            interval=negotiated.delta, now=self.switch.ua.now(),
            local_refresher=refresher_is_local(negotiated.refresher or "uas",
                                               we_sent_the_request=False))
        self._arm(leg)

    def answer_refresh(self, stx: ServerTx, leg: Leg) -> tuple[tuple[str, str], ...] | None:
        """Session-Expires for our 2xx to the caller's re-INVITE / UPDATE; None after
        answering it ourselves (422 for too small an interval, 400 for a malformed one)."""
        request = stx.request
        try:
            result = session_timer_answer(request, min_se=self.switch.session_min_se)
        except ParseError as exc:
            stx.respond(400, headers=(("Warning", exc.warning),))
            return None
        if isinstance(result, Response):
            stx.send(result)
            return None
        return result

    def refreshed(self, leg: Leg, headers: tuple[tuple[str, str], ...]) -> None:
        """Our 2xx to a refresh went out with ``headers``: restart (or stop) the timer."""
        value = _session_expires(headers)
        if value is None:
            self.stop(leg)  # the refresh negotiated no timer: the session no longer expires
            return
        negotiated = parse_session_expires(value)
        local = refresher_is_local(negotiated.refresher or "uas", we_sent_the_request=False)
        now = self.switch.ua.now()
        if leg.session_timer is None:
            leg.session_timer = SessionTimer(interval=negotiated.delta, local_refresher=local,
                                             now=now)
        else:
            leg.session_timer.refreshed(now, interval=negotiated.delta, local_refresher=local)
        self._arm(leg)

    def stop(self, leg: Leg) -> None:
        """No more session timer on ``leg`` (it ended, or a refresh turned it off)."""
        if leg.timer_handle is not None:
            leg.timer_handle.cancel()
            leg.timer_handle = None
        leg.session_timer = None

    # ------------------------------------------------------------------ running

    def _arm(self, leg: Leg) -> None:
        if leg.timer_handle is not None:
            leg.timer_handle.cancel()
            leg.timer_handle = None
        timer = leg.session_timer
        deadline = timer.get_timer() if timer is not None else None
        if deadline is None or leg.ended:
            return
        leg.timer_handle = asyncio.get_running_loop().call_at(deadline, self._fire, leg)

    def _fire(self, leg: Leg) -> None:
        leg.timer_handle = None
        timer = leg.session_timer
        if timer is None or leg.ended:
            return
        timer.handle_timer(self.switch.ua.now())
        self._drain(leg, timer)

    def _drain(self, leg: Leg, timer: SessionTimer) -> None:
        while (event := timer.next_event()) is not None:
            if isinstance(event, RefreshDue):
                self._send_refresh(leg, event.interval)
            elif isinstance(event, SessionExpired):
                self._expire(leg, event.reason)
                return
        self._arm(leg)

    def _send_refresh(self, leg: Leg, interval: int) -> None:
        dialog = leg.dialog
        if dialog is None or dialog.terminated:
            return
        headers = (("Session-Expires", f"{interval};refresher=uac"), ("Supported", "timer"))
        if leg.peer_allows_update:
            request = dialog.create_request("UPDATE", extra_headers=headers)
        else:
            request = dialog.create_request("INVITE", body=leg.answer_sdp,
                                            content_type="application/sdp",
                                            extra_headers=headers)
        log.debug("session refresh (%s) on %s", request.method, dialog.call_id)
        leg.offer_pending = request.method == "INVITE"
        self.switch.ua.send_request(
            request, leg.peer, lambda event: self._refresh_event(leg, request, event, interval))

    def _refresh_event(self, leg: Leg, request: Request, event: Event, interval: int) -> None:
        if isinstance(event, TimedOut | TransportError) or (
                isinstance(event, ResponseReceived) and event.response.status_code >= 200):
            leg.offer_pending = False  # the re-INVITE got its final answer (or none will come)
        timer = leg.session_timer
        if timer is None or leg.ended or leg.dialog is None:
            return
        if isinstance(event, ResponseReceived):
            response = event.response
            code = response.status_code
            if code < 200:
                return
            if code == 491:
                self._retry_after_glare(leg, interval)
                return
            if code >= 300:
                log.info("session refresh of %s answered %d", leg.dialog.call_id, code)
                timer.refresh_failed(code)
                self._drain(leg, timer)
                return
            if request.method == "INVITE":
                ack = leg.dialog.create_ack(request.cseq.number)
                self.switch.ua.send_ack(ack, leg.peer)
            value = response.headers.get("Session-Expires")
            try:
                negotiated = parse_session_expires(value) if value is not None else None
            except ParseError:
                negotiated = None
            if negotiated is None:
                # A peer without timer support answers without Session-Expires: we stay
                # the refresher at the same interval.
                interval, local = timer.interval, True
            else:
                interval = negotiated.delta
                local = refresher_is_local(negotiated.refresher or "uac",
                                           we_sent_the_request=True)
            timer.refreshed(self.switch.ua.now(), interval=interval, local_refresher=local)
            self._arm(leg)
        elif isinstance(event, TimedOut | TransportError):
            timer.refresh_failed(408)
            self._drain(leg, timer)

    def _retry_after_glare(self, leg: Leg, interval: int) -> None:
        """491 to our refresh: the peer was re-INVITEing too. Send it again after a random
        wait, 2.1-4 s when we chose the Call-ID (we placed the call), 0-2 s otherwise, in
        steps of 10 ms (RFC 3261 §14.1; RFC 4028 §10 for refreshes)."""
        assert leg.dialog is not None
        owner = leg.dialog.uac
        steps = entropy.bits(16) % (191 if owner else 201)
        delay = (2.1 if owner else 0.0) + steps / 100
        log.info("session refresh of %s met a re-INVITE from the peer (491): again in %.2f s",
                 leg.dialog.call_id, delay)
        timer = leg.session_timer
        assert timer is not None
        asyncio.get_running_loop().call_later(delay, self._retry, leg, interval,
                                              timer.refreshed_at)

    def _retry(self, leg: Leg, interval: int, refreshed_at: float) -> None:
        timer = leg.session_timer
        if timer is None or leg.ended or leg.offer_pending or timer.refreshed_at != refreshed_at:
            return  # the call ended, or a refresh since (the peer's, say) made ours moot
        self._send_refresh(leg, interval)

    def _expire(self, leg: Leg, reason: str) -> None:
        switch = self.switch
        call_id = leg.dialog.call_id if leg.dialog is not None else "?"
        log.warning("session expired on %s: %s; BYE to both legs", call_id, reason)
        switch.stats.sessions_expired += 1
        self.stop(leg)
        switch.hang_up_call(leg, reason=EXPIRED_REASON, why=f"session timer: {reason}")
