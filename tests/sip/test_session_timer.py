"""RFC 4028 session timers on a virtual clock: refresh at half the interval, BYE at
expiry - min(32, S/3), refreshes restart the interval, failed refreshes end the session."""

from __future__ import annotations

from typing import Literal

import pytest

from switchboard.sip.errors import ProtocolError
from switchboard.sip.session_timer import (
    RefreshDue,
    SessionExpired,
    SessionTimer,
    SessionTimerState,
    expiry_margin,
    refresher_is_local,
)

T0 = 1000.0


def events(timer: SessionTimer) -> list[RefreshDue | SessionExpired]:
    out: list[RefreshDue | SessionExpired] = []
    while (event := timer.next_event()) is not None:
        out.append(event)
    return out


def test_margin_is_a_third_capped_at_32_seconds() -> None:
    assert expiry_margin(90) == 30
    assert expiry_margin(1800) == 32
    assert expiry_margin(6) == 2


@pytest.mark.parametrize("refresher,we_sent,local", [
    ("uac", False, False),   # the caller's INVITE says the caller refreshes
    ("uas", False, True),    # ... says we (its UAS) refresh
    ("uac", True, True),     # our refresh request keeps us the refresher
    ("uas", True, False),
])
def test_refresher_roles_are_per_transaction(refresher: Literal["uac", "uas"], we_sent: bool,
                                             local: bool) -> None:
    assert refresher_is_local(refresher, we_sent_the_request=we_sent) is local


def test_peer_refresher_silence_expires_at_interval_minus_a_third() -> None:
    timer = SessionTimer(interval=90, local_refresher=False, now=T0)
    assert timer.get_timer() == T0 + 60          # 90 - min(32, 30)
    timer.handle_timer(T0 + 59.999)
    assert events(timer) == [] and timer.state is SessionTimerState.WAITING
    timer.handle_timer(T0 + 60)
    assert events(timer) == [SessionExpired(reason="no session refresh within 90 s (RFC 4028)")]
    assert timer.state is SessionTimerState.EXPIRED
    assert timer.get_timer() is None
    timer.handle_timer(T0 + 1000)                # nothing more, ever
    assert events(timer) == []


def test_long_intervals_keep_32_seconds_of_margin() -> None:
    timer = SessionTimer(interval=1800, local_refresher=False, now=T0)
    assert timer.get_timer() == T0 + 1800 - 32


def test_each_peer_refresh_restarts_the_interval() -> None:
    timer = SessionTimer(interval=90, local_refresher=False, now=T0)
    now = T0
    for _ in range(5):
        now += 45
        timer.handle_timer(now)
        timer.refreshed(now, interval=90, local_refresher=False)
        assert timer.get_timer() == now + 60
    assert events(timer) == []
    timer.handle_timer(now + 60)
    assert isinstance(timer.next_event(), SessionExpired)


def test_we_refresh_at_half_and_expire_if_the_refresh_never_succeeds() -> None:
    timer = SessionTimer(interval=120, local_refresher=True, now=T0)
    assert timer.get_timer() == T0 + 60
    timer.handle_timer(T0 + 60)
    assert events(timer) == [RefreshDue(interval=120)]
    assert timer.state is SessionTimerState.REFRESHING
    assert timer.get_timer() == T0 + 120 - 32
    timer.refresh_failed(500)                    # not 408/481: the deadline stands
    assert timer.state is SessionTimerState.REFRESHING
    timer.handle_timer(T0 + 88)
    assert events(timer) == [SessionExpired(reason="no session refresh within 120 s (RFC 4028)")]


def test_our_successful_refresh_schedules_the_next_one() -> None:
    timer = SessionTimer(interval=120, local_refresher=True, now=T0)
    timer.handle_timer(T0 + 60)
    assert events(timer) == [RefreshDue(interval=120)]
    timer.refreshed(T0 + 60.2, interval=100, local_refresher=True)   # the 2xx may shorten it
    assert timer.state is SessionTimerState.REFRESH_DUE_LATER
    assert timer.get_timer() == pytest.approx(T0 + 60.2 + 50)


def test_the_refresher_role_can_change_hands() -> None:
    timer = SessionTimer(interval=90, local_refresher=True, now=T0)
    timer.refreshed(T0 + 10, interval=90, local_refresher=False)     # peer's re-INVITE: uac
    assert timer.state is SessionTimerState.WAITING
    assert timer.get_timer() == T0 + 10 + 60


@pytest.mark.parametrize("code", [408, 481])
def test_a_refresh_answered_408_or_481_ends_the_session(code: int) -> None:
    timer = SessionTimer(interval=90, local_refresher=True, now=T0)
    timer.handle_timer(T0 + 45)
    assert events(timer) == [RefreshDue(interval=90)]
    timer.refresh_failed(code)
    assert events(timer) == [SessionExpired(
        reason=f"session refresh failed with {code} (RFC 4028 §10)")]
    assert timer.get_timer() is None


def test_nothing_moves_an_expired_session() -> None:
    timer = SessionTimer(interval=90, local_refresher=False, now=T0)
    timer.handle_timer(T0 + 60)
    with pytest.raises(ProtocolError, match="not allowed in state expired"):
        timer.refreshed(T0 + 61, interval=90, local_refresher=False)


def test_bad_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        SessionTimer(interval=0, local_refresher=False, now=T0)
