"""The tables, as SQLAlchemy 2 typed declarative classes.

Configuration tables (tenants, users, agents, teams, skills, queues, IVR flows, DIDs, trunks,
campaigns, contact lists, dispositions, QA scorecards, webhooks) carry a ``version`` column used
for optimistic locking: an update or delete of a row that someone else changed since it was
loaded raises :class:`sqlalchemy.orm.exc.StaleDataError` instead of overwriting their change.

The event log (:class:`EventRecord`) is append-only. Its ids are assigned by
:class:`~switchboard.store.eventlog.DurableEventLog` from :class:`EventLogHead` in the same
transaction as the insert, not from a sequence: a sequence leaves gaps when a transaction rolls
back and lets concurrent transactions commit out of id order, so a reader following the log by
id could miss events. With the head row, ids are gap-free and become visible in order.

Identifiers that the core uses (an agent's ``agent_id``, a queue's ``queue_id``) are kept as
``key`` strings, unique per tenant; rows refer to each other by integer ids. The event log and
the interactions refer to tenants, calls, agents and queues by those strings, without foreign
keys: the log is the truth, and it must outlive a deleted queue.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from switchboard.core.queues import QueueConfig

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON on SQLite, JSONB on PostgreSQL."""

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""A 64-bit id; on SQLite an INTEGER PRIMARY KEY is the 64-bit rowid."""

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current UTC time (timestamps of configuration changes, tokens, audit)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable names for migrations)."""

    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        dt.datetime: sa.DateTime(timezone=True),
    }


class Versioned:
    """Mixin: a version column for optimistic locking, and creation/update times."""

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    @classmethod
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


def _tenant_fk() -> Mapped[int]:
    return mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=True)


# ---------------------------------------------------------------------------------- tenancy


class Tenant(Versioned, Base):
    """A client company. Its ``slug`` is the ``tenant`` string that events carry."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    sip_realm: Mapped[str] = mapped_column(sa.String(200), default="")
    """Digest realm of the tenant's SIP accounts (agents' HA1 hashes depend on it)."""


class Role(enum.Enum):
    """What a user may do: the whole platform, one tenant, supervise, or take calls."""

    ADMIN = "admin"
    TENANT_ADMIN = "tenant_admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


class User(Versioned, Base):
    """A person who signs in to the API or the web apps. Platform admins have no tenant."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role <> 'admin' OR tenant_id IS NULL", name="admin_has_no_tenant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(sa.String(200), unique=True)
    email: Mapped[str] = mapped_column(sa.String(320), default="")
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, create_constraint=True,
                values_callable=lambda e: [m.value for m in e], name="role"))
    password_hash: Mapped[str] = mapped_column(sa.String(200), default="")
    """An argon2id hash (``$argon2id$...``), see :mod:`switchboard.store.credentials`."""
    active: Mapped[bool] = mapped_column(default=True)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user",
                                                  cascade="all, delete-orphan")


class ApiToken(Base):
    """An API token. Only a SHA-256 hash of the token is kept; ``prefix`` identifies it."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class AuditEntry(Base):
    """Who changed what, when, with the object's state before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(200))
    """Who (a username, ``system``, ``config-loader``), kept if the user is deleted."""
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    """``create``, ``update``, ``delete``, ``login`` ..."""
    object_type: Mapped[str] = mapped_column(sa.String(60))
    object_id: Mapped[str] = mapped_column(sa.String(200), default="")
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]


# ---------------------------------------------------------------------------------- agents


class Skill(Versioned, Base):
    """A skill name of a tenant (``french``, ``billing``), levelled 1-10 on agents and queues."""

    __tablename__ = "skills"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(400), default="")


class Team(Versioned, Base):
    """A team of agents, with its supervisor."""

    __tablename__ = "teams"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    name: Mapped[str] = mapped_column(sa.String(200))
    supervisor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))


class Agent(Versioned, Base):
    """An agent: the core's ``agent_id`` is ``key``; SIP account; skills; queues."""

    __tablename__ = "agents"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key"),
        sa.UniqueConstraint("tenant_id", "extension"),
        sa.UniqueConstraint("tenant_id", "sip_username"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    key: Mapped[str] = mapped_column(sa.String(100))
    """The core's agent id (in events)."""
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    extension: Mapped[str] = mapped_column(sa.String(40))
    sip_username: Mapped[str] = mapped_column(sa.String(100))
    sip_ha1: Mapped[str] = mapped_column(sa.String(128), default="")
    """Digest HA1 = MD5(username:realm:password), what a registrar needs (no clear password)."""
    capacity: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    skills: Mapped[list[AgentSkill]] = relationship(
        cascade="all, delete-orphan", order_by="AgentSkill.skill_id")
    memberships: Mapped[list[AgentQueue]] = relationship(
        cascade="all, delete-orphan", order_by="AgentQueue.position")
    team: Mapped[Team | None] = relationship()


class AgentSkill(Base):
    """An agent's level (1-10) in a skill."""

    __tablename__ = "agent_skills"
    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),)

    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("agents.id", ondelete="CASCADE"),
                                          primary_key=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skills.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)
    level: Mapped[int]

    skill: Mapped[Skill] = relationship()


class AgentQueue(Base):
    """An agent serves a queue; ``position`` keeps the order of the agent's queues."""

    __tablename__ = "agent_queues"

    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("agents.id", ondelete="CASCADE"),
                                          primary_key=True)
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)

    queue: Mapped[Queue] = relationship()


# ---------------------------------------------------------------------------------- routing


class Queue(Versioned, Base):
    """A queue: every field of :class:`~switchboard.core.queues.QueueConfig`."""

    __tablename__ = "queues"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    key: Mapped[str] = mapped_column(sa.String(100))
    """The core's queue id."""
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    priority: Mapped[int] = mapped_column(default=0)
    strategy: Mapped[str] = mapped_column(sa.String(40), default="longest_idle")
    ageing: Mapped[float] = mapped_column(sa.Double, default=0.0)
    sl_seconds: Mapped[float] = mapped_column(sa.Double, default=20.0)
    sl_target: Mapped[float] = mapped_column(sa.Double, default=0.8)
    short_abandon: Mapped[float] = mapped_column(sa.Double, default=5.0)
    max_wait: Mapped[float] = mapped_column(sa.Double, default=0.0)
    max_wait_to: Mapped[str] = mapped_column(sa.String(100), default="")
    overflow_after: Mapped[float] = mapped_column(sa.Double, default=0.0)
    overflow_to: Mapped[str] = mapped_column(sa.String(100), default="")
    ring_timeout: Mapped[float] = mapped_column(sa.Double, default=15.0)
    rona_pause: Mapped[str] = mapped_column(sa.String(100), default="rona")
    wrap_up: Mapped[float] = mapped_column(sa.Double, default=0.0)
    expected_aht: Mapped[float] = mapped_column(sa.Double, default=180.0)
    fcr_window: Mapped[float] = mapped_column(sa.Double, default=7 * 86400.0)

    skills: Mapped[list[QueueSkill]] = relationship(
        cascade="all, delete-orphan", order_by="QueueSkill.position")
    tenant: Mapped[Tenant] = relationship()

    def to_config(self) -> QueueConfig:
        """The core's configuration of this queue (validated by QueueConfig itself)."""
        return QueueConfig(
            queue_id=self.key, name=self.name, tenant=self.tenant.slug, priority=self.priority,
            skills=tuple((s.skill.name, s.level) for s in self.skills),
            strategy=self.strategy, ageing=self.ageing, sl_seconds=self.sl_seconds,
            sl_target=self.sl_target, short_abandon=self.short_abandon, max_wait=self.max_wait,
            max_wait_to=self.max_wait_to, overflow_after=self.overflow_after,
            overflow_to=self.overflow_to, ring_timeout=self.ring_timeout,
            rona_pause=self.rona_pause, wrap_up=self.wrap_up, expected_aht=self.expected_aht,
            fcr_window=self.fcr_window)


QUEUE_SETTINGS = (
    "name", "priority", "strategy", "ageing", "sl_seconds", "sl_target", "short_abandon",
    "max_wait", "max_wait_to", "overflow_after", "overflow_to", "ring_timeout", "rona_pause",
    "wrap_up", "expected_aht", "fcr_window",
)
"""QueueConfig fields stored as plain columns of :class:`Queue` (``queue_id`` is ``key``,
``tenant`` the tenant's slug, ``skills`` the :class:`QueueSkill` rows)."""


class QueueSkill(Base):
    """A skill (with a minimum level) that a queue's agents need."""

    __tablename__ = "queue_skills"
    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 10", name="level_range"),)

    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id", ondelete="CASCADE"),
                                          primary_key=True)
    skill_id: Mapped[int] = mapped_column(sa.ForeignKey("skills.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)
    level: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)

    skill: Mapped[Skill] = relationship()


class IvrFlow(Versioned, Base):
    """An IVR flow: the YAML text as written, and its validated JSON form."""

    __tablename__ = "ivr_flows"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    name: Mapped[str] = mapped_column(sa.String(100))
    source: Mapped[str] = mapped_column(sa.Text)
    definition: Mapped[dict[str, Any]]


class EntryKind(enum.Enum):
    """What a dialled number leads to."""

    IVR = "ivr"
    QUEUE = "queue"
    AGENT = "agent"


class Did(Versioned, Base):
    """A dialled number (DID) and the entry point it leads to (an IVR flow, queue or agent)."""

    __tablename__ = "dids"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    entry_kind: Mapped[EntryKind] = mapped_column(
        sa.Enum(EntryKind, native_enum=False, length=10, create_constraint=True,
                values_callable=lambda e: [m.value for m in e], name="entry_kind"))
    entry: Mapped[str] = mapped_column(sa.String(100))
    """The flow name, queue key or agent key."""
    trunk_id: Mapped[int | None] = mapped_column(sa.ForeignKey("trunks.id", ondelete="SET NULL"))


class Trunk(Versioned, Base):
    """A SIP trunk to a carrier. ``tenant_id`` None: shared by every tenant."""

    __tablename__ = "trunks"
    __table_args__ = (sa.UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    host: Mapped[str] = mapped_column(sa.String(255))
    port: Mapped[int] = mapped_column(default=5060)
    transport: Mapped[str] = mapped_column(sa.String(8), default="udp")
    username: Mapped[str] = mapped_column(sa.String(100), default="")
    password: Mapped[str] = mapped_column(sa.String(200), default="")
    """Outbound digest credential; the carrier needs it in clear (protect the database)."""
    register: Mapped[bool] = mapped_column(default=False)
    max_channels: Mapped[int] = mapped_column(default=0)
    """0: no limit."""
    active: Mapped[bool] = mapped_column(default=True)


# ---------------------------------------------------------------------------------- outbound


class ContactList(Versioned, Base):
    """A list of contacts to dial."""

    __tablename__ = "contact_lists"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    name: Mapped[str] = mapped_column(sa.String(200))
    fields: Mapped[list[Any]] = mapped_column(default=list)
    """Names of the custom fields its contacts carry."""


class Contact(Base):
    """A contact (account) of a list; ``key`` is the core's ``contact_id``."""

    __tablename__ = "contacts"
    __table_args__ = (sa.UniqueConstraint("list_id", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(sa.ForeignKey("contact_lists.id", ondelete="CASCADE"),
                                         index=True)
    key: Mapped[str] = mapped_column(sa.String(100))
    number: Mapped[str] = mapped_column(sa.String(40), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="")
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="new")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None]
    last_outcome: Mapped[str] = mapped_column(sa.String(20), default="")


class Campaign(Versioned, Base):
    """An outbound campaign: a list, a queue of agents, a dialer mode and its limits."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key"),
        sa.CheckConstraint("mode IN ('preview', 'progressive', 'power', 'predictive')",
                           name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    key: Mapped[str] = mapped_column(sa.String(100))
    """The core's campaign id."""
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    mode: Mapped[str] = mapped_column(sa.String(20), default="progressive")
    queue_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("queues.id", ondelete="RESTRICT"), index=True)
    list_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contact_lists.id", ondelete="RESTRICT"), index=True)
    caller_id: Mapped[str] = mapped_column(sa.String(40), default="")
    active: Mapped[bool] = mapped_column(default=False)
    dial_ratio: Mapped[float] = mapped_column(sa.Double, default=1.0)
    max_abandon_rate: Mapped[float] = mapped_column(sa.Double, default=0.03)
    max_attempts: Mapped[int] = mapped_column(default=3)
    retry_after: Mapped[float] = mapped_column(sa.Double, default=3600.0)
    calling_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Allowed local hours, e.g. ``{"mon-fri": "09:00-20:00"}``."""


class DispositionCode(Versioned, Base):
    """A wrap-up code agents may choose, and what it counts as."""

    __tablename__ = "dispositions"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    code: Mapped[str] = mapped_column(sa.String(60))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    success: Mapped[bool] = mapped_column(default=False)
    resolved: Mapped[bool] = mapped_column(default=False)
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    """None: for every campaign and inbound queue."""


class DncEntry(Base):
    """A do-not-call number. ``tenant_id`` None: the shared (national) list."""

    __tablename__ = "dnc_entries"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(sa.String(40), index=True)
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]


class Callback(Base):
    """A scheduled callback (asked for by a waiting caller, or by an agent)."""

    __tablename__ = "callbacks"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'dialing', 'done', 'failed', 'cancelled')",
                           name="status"),
        sa.Index(None, "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    call_id: Mapped[str] = mapped_column(sa.String(100), default="")
    """The call whose place is kept, if any."""
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queues.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id", ondelete="SET NULL"))
    number: Mapped[str] = mapped_column(sa.String(40))
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    due_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)


# ---------------------------------------------------------------------------------- quality


class Recording(Base):
    """A call recording's metadata; the audio is a file at ``path``."""

    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    call_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    agent_key: Mapped[str] = mapped_column(sa.String(100), default="")
    path: Mapped[str] = mapped_column(sa.String(1000))
    format: Mapped[str] = mapped_column(sa.String(20), default="wav")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    duration: Mapped[float] = mapped_column(sa.Double, default=0.0)
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(sa.String(64), default="")


class Scorecard(Versioned, Base):
    """A QA scorecard: its questions with weights."""

    __tablename__ = "qa_scorecards"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    name: Mapped[str] = mapped_column(sa.String(200))
    criteria: Mapped[list[Any]] = mapped_column(default=list)
    """``[{"question": ..., "weight": ..., "max": ...}, ...]``."""


class QualityScore(Base):
    """A QA evaluation of a call against a scorecard."""

    __tablename__ = "qa_scores"
    __table_args__ = (sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(
        sa.ForeignKey("qa_scorecards.id", ondelete="RESTRICT"), index=True)
    call_id: Mapped[str] = mapped_column(sa.String(100), index=True)
    agent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agents.id", ondelete="SET NULL"))
    evaluator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    score: Mapped[float] = mapped_column(sa.Double)
    """0-100."""
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    scored_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------------------------- webhooks


class Webhook(Versioned, Base):
    """An HTTP endpoint that receives the tenant's events of the listed types."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_fk()
    url: Mapped[str] = mapped_column(sa.String(2000))
    secret: Mapped[str] = mapped_column(sa.String(200), default="")
    """HMAC key for signing deliveries."""
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    """Event type names; empty: every event."""
    active: Mapped[bool] = mapped_column(default=True)


class WebhookDelivery(Base):
    """One delivery of one event to one webhook, with its retries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("webhook_id", "event_id"),
        sa.Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("events.id"),
                                          index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    response_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]


# ---------------------------------------------------------------------------------- the log


class EventRecord(Base):
    """One event of the append-only log. ``payload`` is the codec's encoding without ``type``."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    """Gap-free, assigned from :class:`EventLogHead`."""
    tenant: Mapped[str] = mapped_column(sa.String(64), default="")
    at: Mapped[float] = mapped_column(sa.Double, index=True)
    """The event's time on the center's clock (seconds)."""
    type: Mapped[str] = mapped_column(sa.String(40))
    call_id: Mapped[str] = mapped_column(sa.String(100), default="", index=True)
    agent_id: Mapped[str] = mapped_column(sa.String(100), default="")
    payload: Mapped[dict[str, Any]]


class EventLogHead(Base):
    """The log's last assigned event id, one row; locking it serialises appenders."""

    __tablename__ = "event_log_head"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(sa.BigInteger)


class ProjectionCheckpoint(Base):
    """How far a projection built from the log (the interactions) has read it."""

    __tablename__ = "projection_checkpoints"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Interaction(Base):
    """One call, built from the log: the CRM history shown in screen pops.

    Times are on the center's clock. ``wait`` is the caller's time in queues before the first
    answer (or until they gave up); ``talk`` excludes ``hold``; ``wrap`` is the agents'
    wrap-up after the call. ``open_spans`` is the builder's bookkeeping for a call in progress.
    """

    __tablename__ = "interactions"
    __table_args__ = (sa.Index(None, "caller", "arrived_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    call_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    tenant: Mapped[str] = mapped_column(sa.String(64), default="")
    caller: Mapped[str] = mapped_column(sa.String(40), default="")
    direction: Mapped[str] = mapped_column(sa.String(10), default="inbound")
    entry: Mapped[str] = mapped_column(sa.String(100), default="")
    queue: Mapped[str] = mapped_column(sa.String(100), default="")
    agent: Mapped[str] = mapped_column(sa.String(100), default="")
    arrived_at: Mapped[float | None] = mapped_column(sa.Double)
    answered_at: Mapped[float | None] = mapped_column(sa.Double)
    ended_at: Mapped[float | None] = mapped_column(sa.Double)
    wait: Mapped[float] = mapped_column(sa.Double, default=0.0)
    talk: Mapped[float] = mapped_column(sa.Double, default=0.0)
    hold: Mapped[float] = mapped_column(sa.Double, default=0.0)
    wrap: Mapped[float] = mapped_column(sa.Double, default=0.0)
    end_reason: Mapped[str] = mapped_column(sa.String(20), default="")
    abandoned: Mapped[bool] = mapped_column(default=False)
    disposition: Mapped[str] = mapped_column(sa.String(60), default="")
    transferred: Mapped[bool] = mapped_column(default=False)
    open_spans: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_event_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)


CONFIG_TABLES = tuple(
    mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, Versioned))
"""Every class with optimistic locking."""
