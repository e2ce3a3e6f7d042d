"""Every KPI, computed from the event stream.

:class:`Metrics` subscribes to the log and keeps raw counts per queue and per interval (and per
agent and campaign), so that each KPI, and each variant of it that centers use, is a ratio of
counts taken at report time. The definitions, with their formulas, are in ``docs/metrics.md``;
each property below says which one it computes.

A call's queue figures are counted in the interval in which it entered the queue (the ACD
convention: an interval's offered calls and their outcomes belong together). Agent time is cut
at interval boundaries, so occupancy is exact per interval.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields

from switchboard.core.agents import BUSY_STATES
from switchboard.core.events import (
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallArrived,
    CallbackRequested,
    CallEnded,
    CallHeld,
    CallOfferTimedOut,
    CallOverflowed,
    CallQueued,
    CallResumed,
    CallTransferred,
    DialAttempted,
    DialOutcome,
    DialResult,
    Direction,
    Disposition,
    EndReason,
    Event,
    QualityScored,
    SurveyAnswered,
)


def _ratio(num: float, den: float) -> float:
    return num / den if den else math.nan


@dataclass(slots=True)
class QueueCounts:
    """Raw counts for one queue in one interval. Every KPI is a ratio of these."""

    offered: int = 0
    """Calls that entered the queue (first entry; a ring-no-answer return is not counted)."""
    answered: int = 0
    answered_in_sl: int = 0
    """Answered with a wait at or below the queue's service-level threshold T."""
    abandoned: int = 0
    abandoned_in_sl: int = 0
    """Abandoned at or before T."""
    short_abandoned: int = 0
    """Abandoned at or before the queue's short-abandon threshold."""
    overflowed: int = 0
    """Left for another queue (overflow, escalation, max wait with a target)."""
    timed_out: int = 0
    """Ended by the queue's maximum wait with no target."""
    callbacks: int = 0
    ronas: int = 0
    answer_wait: float = 0.0
    """Sum of the waits of answered calls (for ASA)."""
    abandon_wait: float = 0.0
    longest_wait: float = 0.0
    handled: int = 0
    """Answered calls whose handling (talk, hold and wrap-up) has finished."""
    talk_time: float = 0.0
    """Talk time, hold excluded."""
    hold_time: float = 0.0
    held_calls: int = 0
    wrap_time: float = 0.0
    transferred: int = 0

    def add(self, other: QueueCounts) -> None:
        """Add another bucket's counts into this one."""
        for f in fields(self):
            name = f.name
            if name == "longest_wait":
                self.longest_wait = max(self.longest_wait, other.longest_wait)
            else:
                setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class AgentTime:
    """Seconds an agent (or all agents) spent per kind of state in one interval."""

    available: float = 0.0
    busy: float = 0.0
    """Reserved (ringing) + talking + on hold + wrap-up."""
    paused: float = 0.0

    @property
    def logged(self) -> float:
        """Logged-in time."""
        return self.available + self.busy + self.paused

    def add(self, other: AgentTime) -> None:
        """Add another bucket's times."""
        self.available += other.available
        self.busy += other.busy
        self.paused += other.paused


@dataclass(frozen=True, slots=True)
class QueueKpis:
    """The KPIs of one queue (or all) over one interval (or the whole run).

    See ``docs/metrics.md`` for each definition.
    """

    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    overflowed: int
    service_level: float
    """Answered within T / answered."""
    service_level_offered: float
    """(Answered within T + abandoned within T) / (answered + abandoned)."""
    service_level_net: float
    """Answered within T / (offered - short abandons)."""
    asa: float
    """Average speed of answer: total wait of answered calls / answered."""
    aht: float
    """Average handle time: (talk + hold + wrap-up) / handled."""
    abandon_rate: float
    """Abandoned / offered."""
    abandon_rate_net: float
    """(Abandoned - short abandons) / (offered - short abandons)."""
    transfer_rate: float
    """Transferred by an agent / handled."""
    average_hold: float
    """Total hold time / handled calls."""
    longest_wait: float


class _Track:
    """One queued call's progress, for its interval's counts (a plain class: one per call)."""

    __slots__ = ("agent_id", "answered_at", "bucket", "counts", "enqueued_at", "held_since",
                 "hold", "queue_id", "was_held")

    def __init__(self, queue_id: str, bucket: int, enqueued_at: float,
                 counts: QueueCounts) -> None:
        self.queue_id = queue_id
        self.bucket = bucket
        self.enqueued_at = enqueued_at
        self.counts = counts
        """The counts of the queue and interval the call was offered in."""
        self.answered_at = -1.0
        self.held_since = -1.0
        self.hold = 0.0
        self.was_held = False
        self.agent_id = ""


class _Span:
    """Where an agent stands: the state, since when, and their time per interval."""

    __slots__ = ("since", "state", "times")

    def __init__(self, state: AgentState, since: float, times: dict[int, AgentTime]) -> None:
        self.state = state
        self.since = since
        self.times = times


@dataclass(slots=True)
class CampaignCounts:
    """Raw outbound counts for one campaign."""

    attempts: int = 0
    contacts: set[str] = field(default_factory=set)
    humans: int = 0
    machines: int = 0
    no_answer: int = 0
    busy: int = 0
    failed: int = 0
    dialer_abandoned: int = 0
    successes: int = 0
    first_call_successes: int = 0
    talk_time: float = 0.0
    talked: int = 0


class Metrics:
    """Consumes events (subscribe :meth:`observe` to the log) and computes every KPI.

    ``interval`` is the report interval in seconds (900, 1800 or 3600 usually);
    ``thresholds`` maps a queue id to ``(sl_seconds, short_abandon)``; queues not named use
    ``default_thresholds``.
    """

    def __init__(
        self,
        *,
        interval: float = 1800.0,
        thresholds: Mapping[str, tuple[float, float]] | None = None,
        default_thresholds: tuple[float, float] = (20.0, 5.0),
        fcr_window: float = 7 * 86400.0,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self.thresholds = dict(thresholds or {})
        self.default_thresholds = default_thresholds
        self.fcr_window = fcr_window
        self.queues: dict[str, dict[int, QueueCounts]] = defaultdict(dict)
        self.agents: dict[str, dict[int, AgentTime]] = defaultdict(dict)
        self.agent_calls: dict[str, int] = defaultdict(int)
        self.campaigns: dict[str, CampaignCounts] = defaultdict(CampaignCounts)
        self.csat: list[int] = []
        self.quality: list[float] = []
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        """Arrival times per caller (ANI), for first-call resolution."""
        self.answered_calls: list[tuple[str, float]] = []
        """(caller, arrival time) of each answered inbound call."""
        self._tracks: dict[str, _Track] = {}
        self._agent_state: dict[str, _Span] = {}
        self._wrap: dict[str, _Track] = {}
        self._callers: dict[str, tuple[str, float]] = {}
        self._outbound: dict[str, tuple[str, str]] = {}  # call -> (campaign, contact)
        self._attempted_contacts: dict[tuple[str, str], int] = defaultdict(int)
        self._connected_contacts: dict[tuple[str, str], int] = defaultdict(int)
        self._end = 0.0
        self._handlers: dict[type[Event], Callable[[Event], None]] = {
            CallArrived: self._arrived,  # type: ignore[dict-item]
            CallQueued: self._queued,  # type: ignore[dict-item]
            CallAnswered: self._answered,  # type: ignore[dict-item]
            CallAbandoned: self._abandoned,  # type: ignore[dict-item]
            CallOverflowed: self._overflowed,  # type: ignore[dict-item]
            CallOfferTimedOut: self._rona,  # type: ignore[dict-item]
            CallbackRequested: self._callback,  # type: ignore[dict-item]
            CallHeld: self._held,  # type: ignore[dict-item]
            CallResumed: self._resumed,  # type: ignore[dict-item]
            CallTransferred: self._transferred,  # type: ignore[dict-item]
            CallEnded: self._ended,  # type: ignore[dict-item]
            AgentStateChanged: self._agent_changed,  # type: ignore[dict-item]
            DialAttempted: self._dial,  # type: ignore[dict-item]
            DialResult: self._dial_result,  # type: ignore[dict-item]
            Disposition: self._disposition,  # type: ignore[dict-item]
            SurveyAnswered: self._survey,  # type: ignore[dict-item]
            QualityScored: self._quality,  # type: ignore[dict-item]
        }

    # ------------------------------------------------------------------ intake

    def observe(self, event: Event) -> None:
        """Take one event into account (subscribe this to the event log)."""
        self._end = event.at
        # The events of every call first, as direct calls (native calls under mypyc, where a
        # call through the table is a generic one); the rest through the table.
        if isinstance(event, AgentStateChanged):
            self._agent_changed(event)
        elif isinstance(event, CallQueued):
            self._queued(event)
        elif isinstance(event, CallAnswered):
            self._answered(event)
        elif isinstance(event, CallEnded):
            self._ended(event)
        elif isinstance(event, CallArrived):
            self._arrived(event)
        else:
            handler = self._handlers.get(type(event))
            if handler is not None:
                handler(event)

    def feed(self, events: Iterable[Event]) -> Metrics:
        """Take a whole stream (batch reports from a stored log); returns self."""
        for event in events:
            self.observe(event)
        return self

    def _bucket(self, queue_id: str, bucket: int) -> QueueCounts:
        buckets = self.queues[queue_id]
        counts = buckets.get(bucket)
        if counts is None:
            counts = buckets[bucket] = QueueCounts()
        return counts

    def _sl(self, queue_id: str) -> tuple[float, float]:
        return self.thresholds.get(queue_id, self.default_thresholds)

    def _arrived(self, e: CallArrived) -> None:
        if e.direction is Direction.INBOUND and e.caller:
            self._callers[e.call_id] = (e.caller, e.at)
            self.arrivals[e.caller].append(e.at)

    def _queued(self, e: CallQueued) -> None:
        if e.requeued:
            return
        bucket = int(e.at // self.interval)
        counts = self._bucket(e.queue_id, bucket)
        self._tracks[e.call_id] = _Track(e.queue_id, bucket, e.at, counts)
        counts.offered += 1

    def _answered(self, e: CallAnswered) -> None:
        track = self._tracks.get(e.call_id)
        if track is None:
            return
        counts = track.counts
        wait = e.wait
        counts.answered += 1
        counts.answer_wait += wait
        if wait > counts.longest_wait:
            counts.longest_wait = wait
        if wait <= self._sl(track.queue_id)[0]:
            counts.answered_in_sl += 1
        track.answered_at = e.at
        track.agent_id = e.agent_id
        self.agent_calls[e.agent_id] += 1
        caller = self._callers.pop(e.call_id, None)  # a call counts once, at its first answer
        if caller is not None:
            self.answered_calls.append(caller)
        outbound = self._outbound.get(e.call_id)
        if outbound is not None:
            self.campaigns[outbound[0]].talked += 1

    def _abandoned(self, e: CallAbandoned) -> None:
        track = self._tracks.pop(e.call_id, None)
        if track is None:
            return
        counts = track.counts
        sl_seconds, short = self._sl(track.queue_id)
        counts.abandoned += 1
        counts.abandon_wait += e.wait
        counts.longest_wait = max(counts.longest_wait, e.wait)
        if e.wait <= sl_seconds:
            counts.abandoned_in_sl += 1
        if e.wait <= short:
            counts.short_abandoned += 1

    def _overflowed(self, e: CallOverflowed) -> None:
        track = self._tracks.pop(e.call_id, None)
        if track is not None:
            track.counts.overflowed += 1

    def _rona(self, e: CallOfferTimedOut) -> None:
        track = self._tracks.get(e.call_id)
        if track is not None:
            track.counts.ronas += 1

    def _callback(self, e: CallbackRequested) -> None:
        track = self._tracks.get(e.call_id)
        if track is not None:
            track.counts.callbacks += 1

    def _held(self, e: CallHeld) -> None:
        track = self._tracks.get(e.call_id)
        if track is not None:
            track.held_since = e.at
            track.was_held = True

    def _resumed(self, e: CallResumed) -> None:
        track = self._tracks.get(e.call_id)
        if track is not None and track.held_since >= 0:
            track.hold += e.at - track.held_since
            track.held_since = -1.0

    def _close_talk(self, track: _Track, at: float) -> None:
        counts = track.counts
        if track.held_since >= 0:
            track.hold += at - track.held_since
            track.held_since = -1.0
        counts.hold_time += track.hold
        counts.talk_time += at - track.answered_at - track.hold
        if track.was_held:
            counts.held_calls += 1
        counts.handled += 1
        self._wrap[track.agent_id] = track

    def _transferred(self, e: CallTransferred) -> None:
        track = self._tracks.pop(e.call_id, None)
        if track is not None and track.answered_at >= 0:
            track.counts.transferred += 1
            self._close_talk(track, e.at)

    def _ended(self, e: CallEnded) -> None:
        self._callers.pop(e.call_id, None)  # never answered: nothing more to remember
        track = self._tracks.pop(e.call_id, None)
        if track is None:
            return
        if e.reason is EndReason.MAX_WAIT and track.answered_at < 0:
            track.counts.timed_out += 1
        elif track.answered_at >= 0:
            self._close_talk(track, e.at)
        outbound = self._outbound.pop(e.call_id, None)
        if outbound is not None and track.answered_at >= 0:
            self.campaigns[outbound[0]].talk_time += e.at - track.answered_at

    def _agent_changed(self, e: AgentStateChanged) -> None:
        agent_id = e.agent_id
        at = e.at
        span = self._agent_state.get(agent_id)
        if span is None:
            self._agent_state[agent_id] = _Span(e.new, at, self.agents[agent_id])
            return
        self._spend(span, at)
        if e.old is AgentState.WRAP_UP:
            track = self._wrap.pop(agent_id, None)
            if track is not None:
                track.counts.wrap_time += at - span.since
        span.state = e.new
        span.since = at

    def _spend(self, span: _Span, end: float) -> None:
        """Add the time from ``span.since`` to ``end`` in ``span.state`` to its intervals."""
        state = span.state
        start = span.since
        if state is AgentState.LOGGED_OUT or end <= start:
            return
        buckets = span.times
        step = self.interval
        t = start
        while t < end:
            bucket = int(t // step)
            stop = min(end, (bucket + 1) * step)
            times = buckets.get(bucket)
            if times is None:
                times = buckets[bucket] = AgentTime()
            spent = stop - t
            if state is AgentState.AVAILABLE:
                times.available += spent
            elif state in BUSY_STATES:
                times.busy += spent
            else:
                times.paused += spent
            t = stop

    def _dial(self, e: DialAttempted) -> None:
        counts = self.campaigns[e.campaign_id]
        counts.attempts += 1
        counts.contacts.add(e.contact_id)
        self._outbound[e.call_id] = (e.campaign_id, e.contact_id)
        self._attempted_contacts[(e.campaign_id, e.contact_id)] += 1

    def _dial_result(self, e: DialResult) -> None:
        outbound = self._outbound.get(e.call_id)
        if outbound is None:
            return
        counts = self.campaigns[outbound[0]]
        outcome = e.outcome
        if outcome is DialOutcome.HUMAN:
            counts.humans += 1
            self._connected_contacts[outbound] += 1
        elif outcome is DialOutcome.MACHINE:
            counts.machines += 1
        elif outcome is DialOutcome.NO_ANSWER:
            counts.no_answer += 1
        elif outcome is DialOutcome.BUSY:
            counts.busy += 1
        elif outcome is DialOutcome.ABANDONED:
            counts.dialer_abandoned += 1
        else:
            counts.failed += 1

    def _disposition(self, e: Disposition) -> None:
        outbound = self._outbound.get(e.call_id)
        if outbound is None or not e.success:
            return
        counts = self.campaigns[outbound[0]]
        counts.successes += 1
        if self._connected_contacts[outbound] == 1:
            counts.first_call_successes += 1

    def _survey(self, e: SurveyAnswered) -> None:
        self.csat.append(e.score)

    def _quality(self, e: QualityScored) -> None:
        self.quality.append(e.score)

    # ------------------------------------------------------------------ reports

    def close(self, now: float) -> None:
        """Count agents' open state spans up to ``now`` (call before reading agent figures)."""
        for span in self._agent_state.values():
            self._spend(span, now)
            span.since = now

    def counts(self, queue_id: str | None = None, bucket: int | None = None) -> QueueCounts:
        """Raw counts, for one queue or all (None), one interval or all (None)."""
        total = QueueCounts()
        queue_ids = [queue_id] if queue_id is not None else list(self.queues)
        for qid in queue_ids:
            for b, counts in self.queues.get(qid, {}).items():
                if bucket is None or b == bucket:
                    total.add(counts)
        return total

    def kpis(self, queue_id: str | None = None, bucket: int | None = None) -> QueueKpis:
        """The queue KPIs for one queue or all, one interval or all."""
        c = self.counts(queue_id, bucket)
        handled_time = c.talk_time + c.hold_time + c.wrap_time
        return QueueKpis(
            offered=c.offered,
            answered=c.answered,
            abandoned=c.abandoned,
            short_abandoned=c.short_abandoned,
            overflowed=c.overflowed,
            service_level=_ratio(c.answered_in_sl, c.answered),
            service_level_offered=_ratio(c.answered_in_sl + c.abandoned_in_sl,
                                         c.answered + c.abandoned),
            service_level_net=_ratio(c.answered_in_sl, c.offered - c.short_abandoned),
            asa=_ratio(c.answer_wait, c.answered),
            aht=_ratio(handled_time, c.handled),
            abandon_rate=_ratio(c.abandoned, c.offered),
            abandon_rate_net=_ratio(c.abandoned - c.short_abandoned,
                                    c.offered - c.short_abandoned),
            transfer_rate=_ratio(c.transferred, c.handled),
            average_hold=_ratio(c.hold_time, c.handled),
            longest_wait=c.longest_wait,
        )

    def agent_time(self, agent_id: str | None = None, bucket: int | None = None) -> AgentTime:
        """Agent time for one agent or all, one interval or all."""
        total = AgentTime()
        agent_ids = [agent_id] if agent_id is not None else list(self.agents)
        for aid in agent_ids:
            for b, times in self.agents.get(aid, {}).items():
                if bucket is None or b == bucket:
                    total.add(times)
        return total

    def occupancy(self, agent_id: str | None = None, bucket: int | None = None) -> float:
        """Busy time / (busy + available time): the share of ready time spent on calls."""
        t = self.agent_time(agent_id, bucket)
        return _ratio(t.busy, t.busy + t.available)

    def utilisation(self, agent_id: str | None = None, bucket: int | None = None) -> float:
        """Busy time / logged-in time (pauses included in the denominator)."""
        t = self.agent_time(agent_id, bucket)
        return _ratio(t.busy, t.logged)

    def fcr(self, window: float | None = None) -> float:
        """First-call resolution: answered inbound calls with no call from the same caller in
        the following ``window`` seconds, over answered inbound calls with a known caller."""
        horizon = self.fcr_window if window is None else window
        resolved = 0
        for caller, at in self.answered_calls:
            times = self.arrivals[caller]
            if not any(at < t <= at + horizon for t in times):
                resolved += 1
        return _ratio(resolved, len(self.answered_calls))

    def csat_score(self) -> float:
        """CSAT: share of survey answers that are 4 or 5 on the 1-5 scale (top-two-box)."""
        return _ratio(sum(1 for s in self.csat if s >= 4), len(self.csat))

    def call_quality(self) -> float:
        """Mean QA score (0-100) of evaluated calls."""
        return _ratio(sum(self.quality), len(self.quality))

    def calls_per_agent(self) -> float:
        """Answered calls / agents who answered at least one."""
        return _ratio(sum(self.agent_calls.values()), len(self.agent_calls))

    def outbound(self, campaign_id: str) -> dict[str, float]:
        """Outbound KPIs of a campaign (see docs/metrics.md)."""
        c = self.campaigns[campaign_id]
        live = c.humans + c.dialer_abandoned
        return {
            "attempts": c.attempts,
            "hit_rate": _ratio(c.humans, c.attempts),
            "conversion_rate": _ratio(c.successes, c.humans),
            "first_call_close": _ratio(c.first_call_successes, c.successes),
            "calls_per_account": _ratio(c.attempts, len(c.contacts)),
            "abandoned_call_ratio": _ratio(c.dialer_abandoned, live),
            "average_call_length": _ratio(c.talk_time, c.talked),
        }

    def buckets(self) -> list[int]:
        """Every interval index with any queue activity, in order."""
        found: set[int] = set()
        for per_queue in self.queues.values():
            found.update(per_queue)
        return sorted(found)
