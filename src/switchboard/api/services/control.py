"""Call control over the live centers: preconditions first (who may act on which agent and
call, all through the tenant scope), then the core's action under the center lock.

An agent acts only as their own agent (the agent row linked to their user) and on the calls
that agent has; supervisors and admins act on any agent and call of the tenant. A call is
looked up in the tenant's own center only, so another tenant's call id is simply unknown.
The core's refusals (IllegalTransition, NotAvailable, UnknownObject) reach the error boundary
with the core's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from switchboard.api.errors import Forbidden, Invalid, NotFound
from switchboard.api.schemas.calls import AgentStatus, CallStatus, QueueStats
from switchboard.api.services import audit
from switchboard.api.services.center import CenterService
from switchboard.api.services.scope import TenantScope
from switchboard.core.center import Call, ContactCenter
from switchboard.core.events import AgentState
from switchboard.store import models as m
from switchboard.store.models import Role

__all__ = ["Control"]

SUPERVISORS = frozenset({Role.ADMIN, Role.TENANT_ADMIN, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class Control:
    """One request's call control: a tenant scope and the live centers."""

    scope: TenantScope
    centers: CenterService

    # ------------------------------------------------------------------ preconditions

    @property
    def supervising(self) -> bool:
        """Whether the caller may act on every agent and call of the tenant."""
        return self.scope.principal.role in SUPERVISORS

    def agent(self, agent_id: int) -> m.Agent:
        """The tenant's agent the caller may control (404 / 403)."""
        row = self.scope.get(m.Agent, agent_id, field="agent_id", what="agent")
        if not self.supervising and row.user_id != self.scope.principal.user_id:
            raise Forbidden("an agent may only control their own agent", field="agent_id")
        return row

    def own_agent(self, agent_id: int | None) -> m.Agent:
        """``agent_id``'s agent, or the caller's own when None (422 if they have none)."""
        if agent_id is not None:
            return self.agent(agent_id)
        row = self.scope.by(m.Agent, m.Agent.user_id, self.scope.principal.user_id)
        if row is None:
            raise Invalid("you work as no agent: name agent_id", field="agent_id")
        return row

    def _center(self) -> ContactCenter:
        return self.centers.center(self.scope.slug)

    def call(self, call_id: str) -> Call:
        """A live call of the tenant that the caller may act on (404 otherwise)."""
        call = self._center().calls.get(call_id)
        if call is None or (not self.supervising and call.agent_id != self._own_key()):
            raise NotFound(f"no call {call_id!r} in progress", field="call_id")
        return call

    def _own_key(self) -> str | None:
        row = self.scope.by(m.Agent, m.Agent.user_id, self.scope.principal.user_id)
        return row.key if row is not None else None

    def _run(self, action: Any) -> None:
        self.centers.run(self.scope.slug, action)

    # ------------------------------------------------------------------ agents

    def status(self, agent_id: int) -> AgentStatus:
        """An agent's live state."""
        row = self.agent(agent_id)
        with self.centers.lock:
            agent = self._center().agents.get(row.key)
            if agent is None:
                return AgentStatus(agent_id=row.id, key=row.key, state="logged_out",
                                   since=0.0, call_id="", pause_reason="", pending_pause="")
            return AgentStatus(agent_id=row.id, key=row.key, state=agent.state.value,
                               since=agent.since, call_id=agent.call_id,
                               pause_reason=agent.pause_reason,
                               pending_pause=agent.pending_pause)

    def login(self, agent_id: int) -> AgentStatus:
        key = self.agent(agent_id).key
        self._run(lambda c: c.login(key))
        return self.status(agent_id)

    def logout(self, agent_id: int) -> AgentStatus:
        key = self.agent(agent_id).key
        self._run(lambda c: c.logout(key))
        return self.status(agent_id)

    def pause(self, agent_id: int, reason: str) -> AgentStatus:
        key = self.agent(agent_id).key
        self._run(lambda c: c.pause(key, reason))
        return self.status(agent_id)

    def ready(self, agent_id: int) -> AgentStatus:
        key = self.agent(agent_id).key
        self._run(lambda c: c.ready(key))
        return self.status(agent_id)

    def force_state(self, agent_id: int, state: str, reason: str) -> AgentStatus:
        """A supervisor moves an agent (recorded in the audit log)."""
        row = self.agent(agent_id)
        before = self.status(agent_id)
        why = reason or f"supervisor:{self.scope.principal.username}"
        target = AgentState(state)

        def act(center: ContactCenter) -> None:
            if target is AgentState.LOGGED_OUT:
                center.logout(row.key)
            elif target is AgentState.PAUSED:
                center.pause(row.key, why)
            else:
                center.ready(row.key)

        self._run(act)
        after = self.status(agent_id)
        audit.record(self.scope.session, self.scope.principal, action="force_state",
                     object_type="agent", object_id=row.id, tenant_id=self.scope.tenant_id,
                     before={"state": before.state},
                     after={"state": after.state, "reason": why})
        self.scope.session.commit()
        return after

    # ------------------------------------------------------------------ calls

    def answer(self, call_id: str, agent_id: int | None) -> None:
        key = self.own_agent(agent_id).key
        self._ringing(call_id, key)
        self._run(lambda c: c.offer_answered(call_id, key))

    def _ringing(self, call_id: str, key: str) -> None:
        call = self._center().calls.get(call_id)
        if call is None or (not self.supervising and call.agent_id != key):
            raise NotFound(f"no call {call_id!r} in progress", field="call_id")

    def hang_up(self, call_id: str) -> None:
        self.call(call_id)
        self._run(lambda c: c.agent_hung_up(call_id))

    def hold(self, call_id: str) -> None:
        self.call(call_id)
        self._run(lambda c: c.hold(call_id))

    def resume(self, call_id: str) -> None:
        self.call(call_id)
        self._run(lambda c: c.resume(call_id))

    def transfer(self, call_id: str, *, queue_id: int | None, agent_id: int | None) -> None:
        self.call(call_id)
        if queue_id is not None:
            queue = self.scope.ref(m.Queue, queue_id, field="queue_id", what="queue").key
            self._run(lambda c: c.transfer_to_queue(call_id, queue))
        else:
            assert agent_id is not None
            target = self.scope.ref(m.Agent, agent_id, field="agent_id", what="agent").key
            self._run(lambda c: c.transfer_to_agent(call_id, target))

    def _handled_by(self, call_id: str, key: str) -> bool:
        """Whether the agent has or had the call (live, in wrap-up, or answered it: the log)."""
        center = self._center()
        agent = center.agents.get(key)
        call = center.calls.get(call_id)
        if (call is not None and call.agent_id == key) or \
                (agent is not None and agent.call_id == call_id):
            return True
        return self.scope.session.scalars(
            sa.select(m.EventRecord.id).where(
                self.scope.where(m.EventRecord), m.EventRecord.call_id == call_id,
                m.EventRecord.agent_id == key, m.EventRecord.type == "CallAnswered")
        ).first() is not None

    def disposition(self, call_id: str, code: str, note: str, agent_id: int | None) -> None:
        """The agent's wrap-up code for a call they handled (one of the tenant's codes)."""
        agent = self.own_agent(agent_id)
        with self.centers.lock:
            if not self._handled_by(call_id, agent.key):
                raise NotFound(f"agent {agent.key} has no call {call_id!r}", field="call_id")
        row = self.scope.ref_by(m.DispositionCode, m.DispositionCode.code, code, field="code",
                                what="disposition code")
        self._run(lambda c: c.disposition(call_id, agent.key, row.code, success=row.success,
                                          resolved=row.resolved, note=note))

    def note(self, call_id: str, text: str) -> None:
        """A note on a live or recent call (kept in the audit log)."""
        with self.centers.lock:
            if self.supervising:
                known = call_id in self._center().calls or self.scope.session.scalars(
                    sa.select(m.EventRecord.id).where(
                        self.scope.where(m.EventRecord), m.EventRecord.call_id == call_id)
                ).first() is not None
            else:
                own = self._own_key()
                known = own is not None and self._handled_by(call_id, own)
            if not known:
                raise NotFound(f"no call {call_id!r}", field="call_id")
        audit.record(self.scope.session, self.scope.principal, action="note",
                     object_type="call", object_id=call_id, tenant_id=self.scope.tenant_id,
                     after={"text": text})
        self.scope.session.commit()

    def monitor(self, call_id: str, mode: str) -> str:
        """Listen, whisper or barge: handed to the media port and recorded."""
        call = self.call(call_id)
        supervisor = self.scope.principal.username
        with self.centers.lock:
            self.centers.monitor.monitor(call_id, call.agent_id, supervisor, mode)
        audit.record(self.scope.session, self.scope.principal, action=mode,
                     object_type="call", object_id=call_id, tenant_id=self.scope.tenant_id,
                     after={"agent": call.agent_id, "mode": mode})
        self.scope.session.commit()
        return supervisor

    # ------------------------------------------------------------------ live figures

    def queue_stats(self, queue_id: int | None = None) -> list[QueueStats]:
        """Live figures of one queue or all the tenant's queues."""
        query = self.scope.select(m.Queue)
        if queue_id is not None:
            self.scope.get(m.Queue, queue_id, field="queue_id", what="queue")
            query = query.where(m.Queue.id == queue_id)
        rows = self.scope.session.execute(
            sa.select(m.Queue.id, m.Queue.key).where(
                m.Queue.id.in_(query.with_only_columns(m.Queue.id))).order_by(m.Queue.id)).all()
        out = []
        with self.centers.lock:
            center = self._center()
            for row_id, key in rows:
                if key not in center.queues:
                    continue
                figures = CenterService.queue_figures(center, key)
                out.append(QueueStats(queue_id=row_id, **figures))
        return out

    def agents(self) -> list[AgentStatus]:
        """Every agent of the tenant with their live state."""
        rows = self.scope.session.execute(
            self.scope.select(m.Agent).with_only_columns(m.Agent.id, m.Agent.key)
            .order_by(m.Agent.id)).all()
        out = []
        with self.centers.lock:
            center = self._center()
            for row_id, key in rows:
                agent = center.agents.get(key)
                out.append(AgentStatus(
                    agent_id=row_id, key=key,
                    state=agent.state.value if agent else "logged_out",
                    since=agent.since if agent else 0.0, call_id=agent.call_id if agent else "",
                    pause_reason=agent.pause_reason if agent else "",
                    pending_pause=agent.pending_pause if agent else ""))
        return out

    def calls(self) -> list[CallStatus]:
        """The tenant's calls in progress."""
        with self.centers.lock:
            return [CallStatus(call_id=c.call_id, state=c.state.value, caller=c.caller,
                               agent=c.agent_id,
                               queue=c.entry.queue_id if c.entry is not None else "")
                    for c in self._center().calls.values()]
