"""The core's CallControl over real calls: callers queue, agents' phones ring, media bridges.

Theory of operation
-------------------
A call to a number routed to a queue is answered at once (the caller hears a ringback loop),
told to the :class:`~switchboard.core.center.ContactCenter` (``call_arrived`` + ``enqueue``),
and from then on the center decides. :class:`TelephonyPort` carries out its commands:

* ``ring_agent``: a back-to-back INVITE to the agent's phone (its registration, or its fixed
  contact); when the phone answers the center hears ``offer_answered``; when it refuses or is
  unreachable, ``offer_failed``; CANCEL goes out on ``stop_ringing``;
* ``bridge``: the caller's and the agent's media ports relay to each other;
* ``hold`` / ``resume``: the caller hears the loop again / is re-bridged;
* ``hang_up``: BYE on whatever legs are up.

What the callers and agents do comes back the other way: a caller's BYE is ``caller_hung_up``,
an agent's BYE is ``agent_hung_up``, an agent's phone transferring the caller away (REFER, blind
or attended) is ``transferred_away``; an agent's phone registering logs the agent in (the demo's
rule; the agent desktop does it through the API otherwise). :class:`CenterDriver` keeps one loop
timer at the center's next deadline (ring-no-answer, overflow, wrap-up).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from switchboard.core.center import ContactCenter
from switchboard.core.errors import CoreError
from switchboard.core.events import AgentState

if TYPE_CHECKING:
    from switchboard.telephony.switch import Leg, Switch

log = logging.getLogger(__name__)


@dataclass(eq=False)
class CenterCall:
    """The legs of one call the center handles."""

    call_id: str
    caller: Leg
    agent: Leg | None = None
    agent_id: str = ""


class CenterDriver:
    """Runs the center's timers on the asyncio loop."""

    def __init__(self, center: ContactCenter, lock: threading.RLock) -> None:
        self.center = center
        self.lock = lock
        self._handle: asyncio.TimerHandle | None = None

    def kick(self) -> None:
        """Re-arm the loop timer at the center's next deadline (call after each interaction)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        deadline = self.center.get_timer()
        if deadline is None:
            return
        delay = max(0.0, deadline - self.center.clock.now())
        self._handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def _fire(self) -> None:
        self._handle = None
        with self.lock:
            try:
                self.center.handle_timer(self.center.clock.now())
            except CoreError:
                log.exception("center timer failed")
            self.kick()


class TelephonyPort:
    """:class:`~switchboard.core.ports.CallControl` over SIP legs and media ports.

    The core is not thread-safe: every use of the center holds :attr:`lock` (the API, which
    drives the same center from worker threads, shares it). Commands the center gives from
    another thread are carried out on the event loop.
    """

    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self.calls: dict[str, CenterCall] = {}
        self.center: ContactCenter | None = None
        self.driver: CenterDriver | None = None
        self.lock = threading.RLock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    def attach(self, center: ContactCenter) -> None:
        """Use ``center`` (built with this port); call from the event loop."""
        self.center = center
        self.driver = CenterDriver(center, self.lock)
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    def share_lock(self, lock: threading.RLock) -> None:
        """Use another component's lock for the center (the API's CenterService lock)."""
        self.lock = lock
        if self.driver is not None:
            self.driver.lock = lock

    def _elsewhere(self, method: Callable[..., None], *args: str) -> bool:
        """True (after scheduling it on the loop) when called off the event loop's thread."""
        if self._loop is None or threading.get_ident() == self._loop_thread:
            return False
        self._loop.call_soon_threadsafe(method, *args)
        return True

    # -------------------------------------------------------------- from the network

    def act(self, what: str, *args: str) -> None:
        """Tell the center something happened; a refusal is logged, never raised."""
        assert self.center is not None and self.driver is not None
        with self.lock:
            try:
                getattr(self.center, what)(*args)
            except CoreError as exc:
                log.info("center refused %s%s: %s", what, args, exc)
            self.driver.kick()

    def caller_queued(self, call: CenterCall, caller: str, entry: str, queue_id: str) -> None:
        """A caller reached a queue number."""
        assert self.center is not None
        self.calls[call.call_id] = call
        with self.lock:
            try:
                self.center.call_arrived(call.call_id, caller=caller, entry=entry)
            except CoreError as exc:
                log.warning("call %s refused by the center: %s", call.call_id, exc)
                return
            self.act("enqueue", call.call_id, queue_id)

    def leg_ended(self, leg: Leg) -> None:
        """A BYE (or a failure) ended ``leg``."""
        for call in list(self.calls.values()):
            if call.caller is leg:
                self.act("caller_hung_up", call.call_id)
                self._forget(call)
            elif call.agent is leg:
                call.agent = None
                if self.center is not None and call.call_id in self.center.calls:
                    self.act("agent_hung_up", call.call_id)

    def agent_transferred(self, leg: Leg, target: str) -> None:
        """``leg``, an agent's leg of a center call, transferred its caller away (REFER, or an
        INVITE with Replaces taking its place): the center records the transfer and the call
        leaves it; the caller's leg, now joined elsewhere, is no longer the center's."""
        for call in list(self.calls.values()):
            if call.agent is leg:
                self._forget(call)
                self.act("transferred_away", call.call_id, target)

    def registered(self, extension: str, live: bool) -> None:
        """An agent's phone registered (log in) or unregistered (log out)."""
        center = self.center
        if center is None or extension not in center.agents:
            return
        state = center.agents[extension].state
        if live and state is AgentState.LOGGED_OUT:
            self.act("login", extension)
        elif not live and state in (AgentState.AVAILABLE, AgentState.PAUSED):
            self.act("logout", extension)

    def _forget(self, call: CenterCall) -> None:
        self.calls.pop(call.call_id, None)

    # -------------------------------------------------------------- CallControl

    def answer(self, call_id: str) -> None:
        """Callers are answered when they reach the queue number."""

    def play(self, call_id: str, prompt: str) -> None:
        """Prompts: the caller hears the ringback loop (announcements come with the IVR)."""

    def ring_agent(self, call_id: str, agent_id: str) -> None:
        """Ring the agent's phone with a back-to-back INVITE."""
        if self._elsewhere(self.ring_agent, call_id, agent_id):
            return
        call = self.calls.get(call_id)
        if call is None:
            return
        call.agent_id = agent_id
        self.switch.spawn(self.switch.ring_for_center(call, agent_id))

    def stop_ringing(self, call_id: str, agent_id: str) -> None:
        """CANCEL the agent leg that is still ringing."""
        if self._elsewhere(self.stop_ringing, call_id, agent_id):
            return
        call = self.calls.get(call_id)
        if call is None or call.agent is None:
            return
        self.switch.cancel_leg(call.agent)
        call.agent = None

    def bridge(self, call_id: str, agent_id: str) -> None:
        """Connect caller and agent media."""
        if self._elsewhere(self.bridge, call_id, agent_id):
            return
        call = self.calls.get(call_id)
        if call is None or call.agent is None:
            return
        call.caller.port.stop_playing()
        call.caller.partner, call.agent.partner = call.agent, call.caller  # for REFER, BYE
        self.switch.media.bridge(call.caller.port, call.agent.port)

    def hold(self, call_id: str) -> None:
        """The caller hears the loop while held."""
        if self._elsewhere(self.hold, call_id):
            return
        call = self.calls.get(call_id)
        if call is not None:
            call.caller.port.partner = None
            call.caller.port.mode = "idle"
            call.caller.port.play_ringback()

    def resume(self, call_id: str) -> None:
        """Back to the agent."""
        if self._elsewhere(self.resume, call_id):
            return
        self.bridge(call_id, "")

    def originate(self, call_id: str, number: str, agent_id: str) -> None:
        """Callbacks need an outbound trunk; without one the callback cannot be placed."""
        if self._elsewhere(self.originate, call_id, number, agent_id):
            return
        log.warning("callback %s to %s: no outbound trunk configured", call_id, number)
        self.hang_up(call_id)

    def hang_up(self, call_id: str) -> None:
        """End every leg of the call."""
        if self._elsewhere(self.hang_up, call_id):
            return
        call = self.calls.pop(call_id, None)
        if call is None:
            return
        for leg in (call.caller, call.agent):
            if leg is not None and not leg.ended:
                self.switch.end_leg(leg)
