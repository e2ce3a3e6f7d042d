"""The center's configuration resources: skills, agents, queues, IVR flows, DIDs, trunks, users.

Each :class:`~switchboard.api.services.crud.Resource` says how a validated body becomes a row
(``apply``): references (skills by name, queues by key, users and trunks by id) are resolved
through the tenant scope, so another tenant's object is as unknown as a missing one, and each
problem names its field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import selectinload

from switchboard.api.errors import Conflict, Invalid
from switchboard.api.schemas import agents as sa_agents
from switchboard.api.schemas import routing as sr
from switchboard.api.schemas import users as su
from switchboard.api.services.crud import Resource, assign
from switchboard.api.services.scope import TenantScope
from switchboard.core.errors import ConfigError
from switchboard.core.queues import QueueConfig
from switchboard.store import models as m
from switchboard.store.config import check_flow
from switchboard.store.credentials import hash_password
from switchboard.store.models import QUEUE_SETTINGS, Role

__all__ = ["AGENTS", "DIDS", "IVR_FLOWS", "QUEUES", "SKILLS", "TRUNKS", "USERS", "parse_flow"]

MANAGERS = frozenset({Role.ADMIN, Role.TENANT_ADMIN})
SUPERVISORS = frozenset({Role.ADMIN, Role.TENANT_ADMIN, Role.SUPERVISOR})


# ---------------------------------------------------------------------------------- skills


def _apply_skill(scope: TenantScope, row: m.Skill, values: dict[str, Any],
                 creating: bool) -> bool:
    assign(row, values, ("name", "description"))
    return False


SKILLS: Resource[m.Skill] = Resource(
    name="skill", path="/skills", model=m.Skill, public=sa_agents.SkillPublic,
    create=sa_agents.SkillCreate, update=sa_agents.SkillUpdate, filters=sa_agents.SkillQuery,
    present=sa_agents.SkillPublic.model_validate, apply=_apply_skill, unique=("name",))


# ---------------------------------------------------------------------------------- levels


def _skill_rows(scope: TenantScope, wanted: dict[str, int]) -> dict[int, tuple[m.Skill, int]]:
    out: dict[int, tuple[m.Skill, int]] = {}
    for name, level in wanted.items():
        skill = scope.ref_by(m.Skill, m.Skill.name, name, field=f"skills.{name}", what="skill")
        out[skill.id] = (skill, level)
    return out


def _sync_levels(rows: list[Any], wanted: dict[int, tuple[m.Skill, int]],
                 make: Any) -> bool:
    """Make ``rows`` (AgentSkill or QueueSkill) match ``wanted``; True if anything changed."""
    changed = False
    for row in list(rows):
        if row.skill_id not in wanted:
            rows.remove(row)
            changed = True
    have = {row.skill_id: row for row in rows}
    for position, (skill_id, (skill, level)) in enumerate(wanted.items()):
        row = have.get(skill_id)
        if row is None:
            rows.append(make(skill, level, position))
            changed = True
        else:
            if row.level != level:
                row.level = level
                changed = True
            if hasattr(row, "position") and row.position != position:
                row.position = position
                changed = True
    return changed


# ---------------------------------------------------------------------------------- agents


def _ha1(username: str, realm: str, password: str) -> str:
    digest = hashlib.md5(f"{username}:{realm}:{password}".encode(), usedforsecurity=False)
    return digest.hexdigest()


def _apply_agent(scope: TenantScope, row: m.Agent, values: dict[str, Any],
                 creating: bool) -> bool:
    if creating:
        row.key = values["key"]
        values.setdefault("sip_username", values["extension"])
        if values["sip_username"] is None:
            values["sip_username"] = values["extension"]
        row.skills = []
        row.memberships = []
    elif "sip_username" in values and values["sip_username"] != row.sip_username \
            and row.sip_ha1 and "sip_password" not in values:
        raise Invalid("changing sip_username needs sip_password too (the digest hash depends "
                      "on both)", field="sip_password")
    assign(row, values, ("name", "extension", "sip_username", "capacity", "active"))
    if values.get("sip_password") is not None:
        realm = scope.tenant.sip_realm or scope.slug
        row.sip_ha1 = _ha1(row.sip_username, realm, values["sip_password"])
    if "user_id" in values:
        user_id = values["user_id"]
        row.user_id = None if user_id is None else scope.ref(
            m.User, user_id, field="user_id", what="user").id
    touched = False
    if "skills" in values:
        touched |= _sync_levels(row.skills, _skill_rows(scope, values["skills"]),
                                lambda skill, level, _pos: m.AgentSkill(skill=skill,
                                                                        level=level))
    if "queues" in values:
        touched |= _sync_queues(scope, row, values["queues"])
    return touched


def _sync_queues(scope: TenantScope, row: m.Agent, keys: list[str]) -> bool:
    if len(set(keys)) != len(keys):
        raise Invalid("a queue is listed twice", field="queues")
    wanted = [scope.ref_by(m.Queue, m.Queue.key, key, field=f"queues[{i}]", what="queue")
              for i, key in enumerate(keys)]
    ids = [q.id for q in wanted]
    current = [mq.queue_id for mq in row.memberships]
    if current == ids:
        return False
    have = {mq.queue_id: mq for mq in row.memberships}
    for mq in list(row.memberships):
        if mq.queue_id not in ids:
            row.memberships.remove(mq)
    for position, queue in enumerate(wanted):
        kept = have.get(queue.id)
        if kept is None:
            row.memberships.append(m.AgentQueue(queue=queue, position=position))
        else:
            kept.position = position
    return True


def _present_agent(row: m.Agent) -> sa_agents.AgentPublic:
    return sa_agents.AgentPublic(
        id=row.id, key=row.key, name=row.name, extension=row.extension,
        sip_username=row.sip_username, capacity=row.capacity, active=row.active,
        skills={s.skill.name: s.level for s in row.skills},
        queues=[mq.queue.key for mq in sorted(row.memberships, key=lambda q: q.position)],
        user_id=row.user_id, version=row.version, created_at=row.created_at,
        updated_at=row.updated_at)


def _agent_created(state: Any, row: m.Agent) -> None:
    if state.centers is not None and row.active:
        state.centers.add_agent(row_tenant_slug(state, row.tenant_id), row)


def row_tenant_slug(state: Any, tenant_id: int) -> str:
    """The slug of a tenant id (for the live centers, which are keyed by slug)."""
    with state.sessions() as session:
        slug: str = session.scalars(sa.select(m.Tenant.slug).where(m.Tenant.id == tenant_id)
                                    ).one()
        return slug


AGENTS: Resource[m.Agent] = Resource(
    name="agent", path="/agents", model=m.Agent, public=sa_agents.AgentPublic,
    create=sa_agents.AgentCreate, update=sa_agents.AgentUpdate, filters=sa_agents.AgentQuery,
    present=_present_agent, apply=_apply_agent, unique=("key", "extension", "sip_username"),
    read_roles=frozenset(Role),
    options=(selectinload(m.Agent.skills).selectinload(m.AgentSkill.skill),
             selectinload(m.Agent.memberships).selectinload(m.AgentQueue.queue)),
    after_create=_agent_created)


# ---------------------------------------------------------------------------------- queues


def _check_target(scope: TenantScope, row: m.Queue, field: str, key: str) -> None:
    if not key:
        return
    if key == row.key:
        raise Invalid("a queue cannot overflow to itself", field=field)
    scope.ref_by(m.Queue, m.Queue.key, key, field=field, what="queue")


def _apply_queue(scope: TenantScope, row: m.Queue, values: dict[str, Any],
                 creating: bool) -> bool:
    if creating:
        row.key = values["key"]
        row.tenant = scope.tenant
        row.skills = []
    assign(row, values, QUEUE_SETTINGS)
    for field in ("overflow_to", "max_wait_to"):
        if field in values:
            _check_target(scope, row, field, values[field])
    touched = False
    if "skills" in values:
        touched = _sync_levels(row.skills, _skill_rows(scope, values["skills"]),
                               lambda skill, level, pos: m.QueueSkill(skill=skill, level=level,
                                                                      position=pos))
    try:
        QueueConfig(queue_id=row.key, **{name: getattr(row, name) for name in QUEUE_SETTINGS})
    except ConfigError as exc:
        raise Invalid(str(exc), field="overflow_to" if "overflow_to" in str(exc) else None
                      ) from None
    return touched


def _present_queue(row: m.Queue) -> sr.QueuePublic:
    data = {name: getattr(row, name) for name in QUEUE_SETTINGS}
    return sr.QueuePublic(id=row.id, key=row.key,
                          skills={s.skill.name: s.level for s in row.skills},
                          version=row.version, created_at=row.created_at,
                          updated_at=row.updated_at, **data)


def _queue_created(state: Any, row: m.Queue) -> None:
    if state.centers is not None:
        state.centers.add_queue(row.tenant.slug, row)


def _queue_in_use(scope: TenantScope, row: m.Queue) -> None:
    campaign = scope.by(m.Campaign, m.Campaign.queue_id, row.id)
    if campaign is not None:
        raise Conflict(f"campaign {campaign.key!r} uses this queue", field="queue_id",
                       error="in_use")


QUEUES: Resource[m.Queue] = Resource(
    name="queue", path="/queues", model=m.Queue, public=sr.QueuePublic,
    create=sr.QueueCreate, update=sr.QueueUpdate, filters=sr.QueueQuery,
    present=_present_queue, apply=_apply_queue, unique=("key",), read_roles=frozenset(Role),
    options=(selectinload(m.Queue.skills).selectinload(m.QueueSkill.skill),
             selectinload(m.Queue.tenant)),
    after_create=_queue_created, before_delete=_queue_in_use)


# ---------------------------------------------------------------------------------- IVR flows


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases (no exponential expansion)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("aliases are not allowed in an IVR flow")
        return super().compose_node(parent, index)


def parse_flow(name: str, source: str) -> dict[str, Any]:
    """The JSON form of an IVR flow's YAML; :class:`Invalid` naming ``source`` if it is not."""
    try:
        data = yaml.load(source, Loader=_NoAliasLoader)
        return check_flow(name, data)
    except (yaml.YAMLError, ValueError, ConfigError, RecursionError) as exc:
        raise Invalid(f"not a valid IVR flow: {exc}", field="source") from None


def _apply_flow(scope: TenantScope, row: m.IvrFlow, values: dict[str, Any],
                creating: bool) -> bool:
    assign(row, values, ("name", "source"))
    if "source" in values or creating:
        row.definition = parse_flow(row.name, row.source)
    return False


def _flow_in_use(scope: TenantScope, row: m.IvrFlow) -> None:
    did = scope.session.scalars(scope.select(m.Did).where(
        m.Did.entry_kind == m.EntryKind.IVR, m.Did.entry == row.name)).first()
    if did is not None:
        raise Conflict(f"number {did.number} leads to this flow", field="name", error="in_use")


IVR_FLOWS: Resource[m.IvrFlow] = Resource(
    name="ivr_flow", path="/ivr-flows", model=m.IvrFlow, public=sr.IvrFlowPublic,
    create=sr.IvrFlowCreate, update=sr.IvrFlowUpdate, filters=sr.IvrFlowQuery,
    present=sr.IvrFlowPublic.model_validate, apply=_apply_flow, unique=("name",),
    read_roles=SUPERVISORS, before_delete=_flow_in_use)


# ---------------------------------------------------------------------------------- DIDs

_ENTRY_TARGETS: dict[m.EntryKind, tuple[type[Any], Any, str]] = {
    m.EntryKind.IVR: (m.IvrFlow, m.IvrFlow.name, "IVR flow"),
    m.EntryKind.QUEUE: (m.Queue, m.Queue.key, "queue"),
    m.EntryKind.AGENT: (m.Agent, m.Agent.key, "agent"),
}


def _apply_did(scope: TenantScope, row: m.Did, values: dict[str, Any], creating: bool) -> bool:
    assign(row, values, ("number", "entry"))
    if "entry_kind" in values:
        row.entry_kind = m.EntryKind(values["entry_kind"])
    if "entry_kind" in values or "entry" in values:
        model, column, what = _ENTRY_TARGETS[row.entry_kind]
        scope.ref_by(model, column, row.entry, field="entry", what=what)
    if "trunk_id" in values:
        trunk_id = values["trunk_id"]
        row.trunk_id = None if trunk_id is None else scope.ref(
            m.Trunk, trunk_id, field="trunk_id", what="trunk").id
    return False


def _present_did(row: m.Did) -> sr.DidPublic:
    return sr.DidPublic(id=row.id, number=row.number, entry_kind=row.entry_kind.value,
                        entry=row.entry, trunk_id=row.trunk_id, version=row.version,
                        created_at=row.created_at, updated_at=row.updated_at)


DIDS: Resource[m.Did] = Resource(
    name="did", path="/dids", model=m.Did, public=sr.DidPublic, create=sr.DidCreate,
    update=sr.DidUpdate, filters=sr.DidQuery, present=_present_did, apply=_apply_did,
    unique_global=("number",), read_roles=SUPERVISORS,
    filter_map={"entry_kind": lambda v: m.Did.entry_kind == m.EntryKind(v)})


# ---------------------------------------------------------------------------------- trunks


def _apply_trunk(scope: TenantScope, row: m.Trunk, values: dict[str, Any],
                 creating: bool) -> bool:
    assign(row, values, ("name", "host", "port", "transport", "username", "password",
                         "max_channels", "active"))
    if "registers" in values:
        row.register = values["registers"]
    return False


def _present_trunk(row: m.Trunk) -> sr.TrunkPublic:
    return sr.TrunkPublic(id=row.id, name=row.name, host=row.host, port=row.port,
                          transport=row.transport, username=row.username,
                          has_password=bool(row.password), registers=row.register,
                          max_channels=row.max_channels, active=row.active,
                          version=row.version, created_at=row.created_at,
                          updated_at=row.updated_at)


TRUNKS: Resource[m.Trunk] = Resource(
    name="trunk", path="/trunks", model=m.Trunk, public=sr.TrunkPublic, create=sr.TrunkCreate,
    update=sr.TrunkUpdate, filters=sr.TrunkQuery, present=_present_trunk, apply=_apply_trunk,
    unique_global=("name",), read_roles=MANAGERS)


# ---------------------------------------------------------------------------------- users


def _apply_user(scope: TenantScope, row: m.User, values: dict[str, Any],
                creating: bool) -> bool:
    assign(row, values, ("username", "email", "active"))
    if "role" in values:
        row.role = Role(values["role"])
    if "password" in values:
        row.password_hash = hash_password(values["password"])
    if not creating and row.id == scope.principal.user_id and (
            values.get("active") is False or ("role" in values and row.role is not
                                              scope.principal.role)):
        raise Invalid("you cannot disable yourself or change your own role",
                      field="active" if "active" in values else "role")
    return False


def _present_user(row: m.User) -> su.UserPublic:
    return su.UserPublic(id=row.id, tenant_id=row.tenant_id, username=row.username,
                         email=row.email, role=row.role.value, active=row.active,
                         version=row.version, created_at=row.created_at,
                         updated_at=row.updated_at)


USERS: Resource[m.User] = Resource(
    name="user", path="/users", model=m.User, public=su.UserPublic, create=su.UserCreate,
    update=su.UserUpdate, filters=su.UserQuery, present=_present_user, apply=_apply_user,
    unique_global=("username",), read_roles=SUPERVISORS,
    filter_map={"role": lambda v: m.User.role == Role(v)})


def resources() -> Iterable[Resource[Any]]:
    """Every configuration resource of this module."""
    return (SKILLS, AGENTS, QUEUES, IVR_FLOWS, DIDS, TRUNKS, USERS)
