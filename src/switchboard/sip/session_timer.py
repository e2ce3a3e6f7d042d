"""Session timers (RFC 4028) enforced for one dialog, sans I/O.

Theory of operation
-------------------
Once an INVITE (or a later refresh) has negotiated ``Session-Expires: S;refresher=R``, one side
(the *refresher*) must send a session refresh — a re-INVITE or an UPDATE — before the session
expires, and each 2xx to a refresh starts the interval again.  :class:`SessionTimer` keeps the
deadline for one dialog; the caller gives it ``now`` and arms a real timer at
:meth:`SessionTimer.get_timer`:

* when **we** refresh, the refresh is due at half the interval (§7.2: "one half the session
  interval is recommended"): :meth:`handle_timer` emits :class:`RefreshDue` and the state
  becomes REFRESHING until the 2xx (:meth:`refreshed`) arrives;
* when **the peer** refreshes, we wait; and in every case, if no refresh has succeeded by
  ``expiry - min(32, S/3)`` (§10: the side that is not the refresher sends BYE then, so that the
  BYE does not race the peer's late refresh), :meth:`handle_timer` emits
  :class:`SessionExpired` and the state becomes EXPIRED: the caller sends BYE.
* A refresh that failed (408, 481, a transaction timeout: §10) expires the session at once
  (:meth:`refresh_failed`); any other failure leaves the old deadline standing.

Who refreshes comes from the ``refresher`` parameter, which names a role *in the transaction
that negotiated it*: ``uac`` in a request we received (or ``uas`` in the 2xx to a request we
sent) means the peer refreshes.  :func:`refresher_is_local` does that translation.

The state machine is the table :data:`TRANSITIONS`, ``(state, input) -> state``; transitions are
logged at DEBUG on ``switchboard.sip.session_timer``; an input with no entry raises
:class:`~switchboard.sip.errors.ProtocolError`.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from dataclasses import dataclass
from typing import Literal

from .errors import ProtocolError

__all__ = [
    "TRANSITIONS",
    "RefreshDue",
    "SessionExpired",
    "SessionTimer",
    "SessionTimerInput",
    "SessionTimerState",
    "expiry_margin",
    "refresher_is_local",
]

logger = logging.getLogger(__name__)


class SessionTimerState(enum.Enum):
    """Where the session stands."""

    WAITING = "waiting for the peer's refresh"
    REFRESH_DUE_LATER = "we refresh at half the interval"
    REFRESHING = "our refresh is under way"
    EXPIRED = "expired"


class SessionTimerInput(enum.Enum):
    """What moves it."""

    HALF_INTERVAL = "half the interval passed (we refresh)"
    EXPIRY = "expiry - min(32, S/3) passed with no refresh"
    REFRESHED_BY_US = "2xx to a refresh; we refresh next"
    REFRESHED_BY_PEER = "2xx to a refresh; the peer refreshes next"
    REFRESH_FAILED = "our refresh got 408/481 or timed out"


_S = SessionTimerState
_I = SessionTimerInput

#: ``(state, input) -> next state``.
TRANSITIONS: dict[tuple[SessionTimerState, SessionTimerInput], SessionTimerState] = {
    (_S.REFRESH_DUE_LATER, _I.HALF_INTERVAL): _S.REFRESHING,
    (_S.WAITING, _I.EXPIRY): _S.EXPIRED,
    (_S.REFRESHING, _I.EXPIRY): _S.EXPIRED,
    (_S.REFRESHING, _I.REFRESH_FAILED): _S.EXPIRED,
    (_S.WAITING, _I.REFRESH_FAILED): _S.EXPIRED,
    (_S.REFRESH_DUE_LATER, _I.REFRESH_FAILED): _S.EXPIRED,
}
# A successful refresh restarts the interval from any live state.
for _state in (_S.WAITING, _S.REFRESH_DUE_LATER, _S.REFRESHING):
    TRANSITIONS[(_state, _I.REFRESHED_BY_US)] = _S.REFRESH_DUE_LATER
    TRANSITIONS[(_state, _I.REFRESHED_BY_PEER)] = _S.WAITING


def expiry_margin(interval: float) -> float:
    """How long before expiry the non-refresher sends BYE: ``min(32, interval / 3)`` (§10)."""
    return min(32.0, interval / 3)


def refresher_is_local(refresher: Literal["uac", "uas"], *, we_sent_the_request: bool) -> bool:
    """Whether we refresh, given the ``refresher`` of a transaction and our role in it."""
    return (refresher == "uac") == we_sent_the_request


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshDue:
    """Time to send a session refresh (re-INVITE or UPDATE with Session-Expires)."""

    #: The interval to ask for, seconds.
    interval: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionExpired:
    """No refresh in time: send BYE (and say why)."""

    #: Why, for the log and a Reason header.
    reason: str


Event = RefreshDue | SessionExpired


class SessionTimer:
    """The RFC 4028 deadline of one dialog: construct it when the 2xx is sent or received."""

    def __init__(self, *, interval: int, local_refresher: bool, now: float) -> None:
        if interval <= 0:
            raise ValueError(f"session interval must be positive, got {interval}")
        #: The session interval (Session-Expires delta), seconds.
        self.interval = interval
        #: True while we are the refresher.
        self.local_refresher = local_refresher
        #: When the last refresh (or the initial 2xx) succeeded.
        self.refreshed_at = now
        self._state = _S.REFRESH_DUE_LATER if local_refresher else _S.WAITING
        self._events: deque[Event] = deque()

    @property
    def state(self) -> SessionTimerState:
        """The current state."""
        return self._state

    @property
    def expires_at(self) -> float:
        """When the session expires (the last refresh plus the interval)."""
        return self.refreshed_at + self.interval

    @property
    def bye_at(self) -> float:
        """When we give up on a refresh and send BYE: expiry - min(32, S/3)."""
        return self.expires_at - expiry_margin(self.interval)

    def get_timer(self) -> float | None:
        """The next instant :meth:`handle_timer` has something to do; None once expired."""
        if self._state is _S.REFRESH_DUE_LATER:
            return self.refreshed_at + self.interval / 2
        if self._state in (_S.WAITING, _S.REFRESHING):
            return self.bye_at
        return None

    def handle_timer(self, now: float) -> None:
        """Act on the deadlines that have passed by ``now`` (early calls do nothing)."""
        if self._state is _S.REFRESH_DUE_LATER and now >= self.refreshed_at + self.interval / 2:
            self._fire(_I.HALF_INTERVAL)
            self._events.append(RefreshDue(interval=self.interval))
        if self._state in (_S.WAITING, _S.REFRESHING) and now >= self.bye_at:
            self._fire(_I.EXPIRY)
            self._events.append(SessionExpired(
                reason=f"no session refresh within {self.interval} s (RFC 4028)"))

    def refreshed(self, now: float, *, interval: int, local_refresher: bool) -> None:
        """A refresh succeeded (a 2xx to a re-INVITE / UPDATE with Session-Expires, either way).

        The interval and the refresher are those the 2xx carries.
        """
        if interval <= 0:
            raise ValueError(f"session interval must be positive, got {interval}")
        self._fire(_I.REFRESHED_BY_US if local_refresher else _I.REFRESHED_BY_PEER)
        self.interval = interval
        self.local_refresher = local_refresher
        self.refreshed_at = now

    def refresh_failed(self, status_code: int) -> None:
        """Our refresh failed: 408 / 481 (or 408 for a transaction timeout) end the session
        (§10); other failures leave the deadline as it was."""
        if status_code not in (408, 481):
            return  # the expiry deadline stands; a later refresh may still succeed
        self._fire(_I.REFRESH_FAILED)
        self._events.append(SessionExpired(
            reason=f"session refresh failed with {status_code} (RFC 4028 §10)"))

    def next_event(self) -> Event | None:
        """The next pending event, or None."""
        return self._events.popleft() if self._events else None

    def _fire(self, event: SessionTimerInput) -> None:
        new_state = TRANSITIONS.get((self._state, event))
        if new_state is None:
            raise ProtocolError(f"session timer: {event.value} is not allowed in state "
                                f"{self._state.value}")
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("session timer: %s -> %s on %s", self._state.value, new_state.value,
                         event.value)
        self._state = new_state
