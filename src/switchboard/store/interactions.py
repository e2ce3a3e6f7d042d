"""Interactions: one row per call, built from the event log; the history behind screen pops.

:class:`InteractionBuilder` folds the log into the ``interactions`` table. It reads the events
after its checkpoint (``projection_checkpoints``), updates the rows of the calls they concern and
moves the checkpoint, in one transaction per batch: it is incremental (call :meth:`update` after
appends, or every few seconds), idempotent, and survives a crash at any point (the rows and the
checkpoint move together). :meth:`InteractionBuilder.rebuild` starts over from the first event.

What a row holds (times on the center's clock, in seconds):

* ``wait``: time in queues before the first answer (ringing included), or until the caller gave
  up or the call ended unanswered; overflows do not restart it.
* ``talk`` and ``hold``: conversation time, hold excluded from talk, across transfers.
* ``wrap``: the agents' wrap-up time after their part of the call.
* ``agent`` and ``queue``: the last agent who answered, the last queue.
* ``transferred``, ``abandoned``, ``disposition`` (the last code), ``end_reason``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from switchboard.core.events import (
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallArrived,
    CallEnded,
    CallHeld,
    CallOverflowed,
    CallQueued,
    CallResumed,
    CallTransferred,
    DialAttempted,
    Disposition,
    Event,
)
from switchboard.store.errors import LogError
from switchboard.store.eventlog import replay
from switchboard.store.models import Interaction, ProjectionCheckpoint

__all__ = ["CallRecord", "InteractionBuilder", "history"]

CHECKPOINT = "interactions"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One call of a caller's history (see the module docstring for the figures)."""

    call_id: str
    tenant: str
    caller: str
    direction: str
    entry: str
    queue: str
    agent: str
    arrived_at: float | None
    answered_at: float | None
    ended_at: float | None
    wait: float
    talk: float
    hold: float
    wrap: float
    end_reason: str
    abandoned: bool
    disposition: str
    transferred: bool


_RECORD_FIELDS = tuple(CallRecord.__dataclass_fields__)


def _record(row: Interaction) -> CallRecord:
    return CallRecord(**{name: getattr(row, name) for name in _RECORD_FIELDS})


# ---------------------------------------------------------------------------------- the fold


def _since(spans: dict[str, Any], key: str) -> float | None:
    value = spans.pop(key, None)
    return None if value is None else float(value)


def _close_talk(row: Interaction, spans: dict[str, Any], at: float) -> None:
    talk = _since(spans, "talk_since")
    if talk is not None:
        row.talk += at - talk
    hold = _since(spans, "hold_since")
    if hold is not None:
        row.hold += at - hold


def _stop_waiting(row: Interaction, spans: dict[str, Any], at: float) -> None:
    since = _since(spans, "waiting_since")
    if since is not None:
        row.wait += at - since


def _arrived(row: Interaction, spans: dict[str, Any], e: CallArrived) -> None:
    row.tenant = e.tenant or row.tenant
    row.caller = e.caller or row.caller
    row.direction = e.direction.value
    row.entry = e.entry
    row.arrived_at = e.at


def _queued(row: Interaction, spans: dict[str, Any], e: CallQueued) -> None:
    row.queue = e.queue_id
    if row.answered_at is None and "waiting_since" not in spans:
        spans["waiting_since"] = e.at


def _overflowed(row: Interaction, spans: dict[str, Any], e: CallOverflowed) -> None:
    row.queue = e.to_queue


def _answered(row: Interaction, spans: dict[str, Any], e: CallAnswered) -> None:
    if row.answered_at is None:
        row.answered_at = e.at
    _stop_waiting(row, spans, e.at)
    row.agent = e.agent_id
    row.queue = e.queue_id
    spans["talk_since"] = e.at


def _held(row: Interaction, spans: dict[str, Any], e: CallHeld) -> None:
    talk = _since(spans, "talk_since")
    if talk is not None:
        row.talk += e.at - talk
        spans["hold_since"] = e.at


def _resumed(row: Interaction, spans: dict[str, Any], e: CallResumed) -> None:
    hold = _since(spans, "hold_since")
    if hold is not None:
        row.hold += e.at - hold
        spans["talk_since"] = e.at


def _transferred(row: Interaction, spans: dict[str, Any], e: CallTransferred) -> None:
    _close_talk(row, spans, e.at)
    row.transferred = True


def _abandoned(row: Interaction, spans: dict[str, Any], e: CallAbandoned) -> None:
    _stop_waiting(row, spans, e.at)
    row.abandoned = True
    row.queue = e.queue_id


def _ended(row: Interaction, spans: dict[str, Any], e: CallEnded) -> None:
    _close_talk(row, spans, e.at)
    _stop_waiting(row, spans, e.at)
    row.ended_at = e.at
    row.end_reason = e.reason.value


def _agent_changed(row: Interaction, spans: dict[str, Any], e: AgentStateChanged) -> None:
    wraps: dict[str, float] = spans.setdefault("wrap", {})
    if e.old is AgentState.WRAP_UP and e.agent_id in wraps:
        row.wrap += e.at - wraps.pop(e.agent_id)
    if e.new is AgentState.WRAP_UP:
        wraps[e.agent_id] = e.at
    if not wraps:
        del spans["wrap"]


def _disposition(row: Interaction, spans: dict[str, Any], e: Disposition) -> None:
    row.disposition = e.code


def _dialled(row: Interaction, spans: dict[str, Any], e: DialAttempted) -> None:
    row.direction = "outbound"
    row.caller = row.caller or e.number


_FOLD: dict[type[Event], Callable[[Interaction, dict[str, Any], Any], None]] = {
    CallArrived: _arrived,
    CallQueued: _queued,
    CallOverflowed: _overflowed,
    CallAnswered: _answered,
    CallHeld: _held,
    CallResumed: _resumed,
    CallTransferred: _transferred,
    CallAbandoned: _abandoned,
    CallEnded: _ended,
    AgentStateChanged: _agent_changed,
    Disposition: _disposition,
    DialAttempted: _dialled,
}


def _blank(call_id: str) -> Interaction:
    return Interaction(call_id=call_id, tenant="", caller="", direction="inbound", entry="",
                       queue="", agent="", wait=0.0, talk=0.0, hold=0.0, wrap=0.0,
                       end_reason="", abandoned=False, disposition="", transferred=False,
                       open_spans={}, last_event_id=0)


class InteractionBuilder:
    """Keeps the ``interactions`` table in step with the event log (see the module docstring).

    ``batch`` is the number of events read and applied per transaction.
    """

    def __init__(self, engine: Engine, *, batch: int = 2000) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.engine = engine
        self.batch = batch

    def checkpoint(self) -> int:
        """Id of the last event applied (0: none)."""
        with Session(self.engine) as session:
            found = session.get(ProjectionCheckpoint, CHECKPOINT)
            return found.last_event_id if found is not None else 0

    def update(self) -> int:
        """Apply every event logged since the checkpoint; return how many were read."""
        total = 0
        while True:
            done = self._step()
            total += done
            if done < self.batch:
                return total

    def rebuild(self) -> int:
        """Rebuild every interaction from the first event (one transaction for the reset)."""
        try:
            with Session(self.engine) as session, session.begin():
                session.execute(sa.delete(Interaction))
                session.execute(sa.delete(ProjectionCheckpoint)
                                .where(ProjectionCheckpoint.name == CHECKPOINT))
        except SQLAlchemyError as exc:
            raise LogError(f"cannot reset the interactions: {exc}") from exc
        return self.update()

    def _step(self) -> int:
        try:
            with Session(self.engine) as session:
                if session.get(ProjectionCheckpoint, CHECKPOINT) is None:
                    session.add(ProjectionCheckpoint(name=CHECKPOINT, last_event_id=0))
                    session.commit()
            with Session(self.engine) as session, session.begin():
                # Write first: this takes the row lock (PostgreSQL) or the database's write
                # lock (SQLite) before anything is read, so a concurrent append cannot make
                # this transaction's snapshot stale.
                last = session.execute(
                    sa.update(ProjectionCheckpoint)
                    .where(ProjectionCheckpoint.name == CHECKPOINT)
                    .values(last_event_id=ProjectionCheckpoint.last_event_id)
                    .returning(ProjectionCheckpoint.last_event_id)).scalar_one()
                logged = list(replay(self.engine, last, until_id=last + self.batch,
                                     batch=self.batch))
                if not logged:
                    return 0
                rows = self._load(session, {getattr(e.event, "call_id", "") for e in logged})
                for item in logged:
                    event = item.event
                    call_id: str = getattr(event, "call_id", "")
                    fold = _FOLD.get(type(event))
                    if not call_id or fold is None:
                        continue
                    row = rows.get(call_id)
                    if row is None:
                        if isinstance(event, AgentStateChanged | Disposition):
                            continue  # about a call the log never showed
                        row = rows[call_id] = _blank(call_id)
                        session.add(row)
                    if row.tenant == "" and item.tenant:
                        row.tenant = item.tenant
                    spans = dict(row.open_spans)
                    if "wrap" in spans:
                        spans["wrap"] = dict(spans["wrap"])
                    fold(row, spans, event)
                    row.open_spans = spans
                    row.last_event_id = item.id
                session.execute(sa.update(ProjectionCheckpoint)
                                .where(ProjectionCheckpoint.name == CHECKPOINT)
                                .values(last_event_id=logged[-1].id))
                return len(logged)
        except SQLAlchemyError as exc:
            raise LogError(f"cannot update the interactions: {exc}") from exc

    @staticmethod
    def _load(session: Session, call_ids: set[str]) -> dict[str, Interaction]:
        rows: dict[str, Interaction] = {}
        ordered = sorted(call_ids - {""})
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            for row in session.scalars(sa.select(Interaction)
                                       .where(Interaction.call_id.in_(chunk))):
                rows[row.call_id] = row
        return rows


def history(engine: Engine, caller: str, *, tenant: str | None = None,
            limit: int = 20) -> list[CallRecord]:
    """The calls of ``caller`` (their number), newest first: what a screen pop shows.

    ``tenant`` restricts to one tenant's calls (the API always passes it).
    """
    query = sa.select(Interaction).where(Interaction.caller == caller)
    if tenant is not None:
        query = query.where(Interaction.tenant == tenant)
    query = query.order_by(Interaction.arrived_at.desc(), Interaction.id.desc()).limit(limit)
    try:
        with Session(engine) as session:
            return [_record(row) for row in session.scalars(query)]
    except SQLAlchemyError as exc:
        raise LogError(f"cannot read the call history: {exc}") from exc
