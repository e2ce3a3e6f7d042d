"""Engines, migrations and the models: the migrated schema is exactly the models' metadata."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from switchboard.core.queues import QueueConfig
from switchboard.store import db, models
from switchboard.store.errors import SchemaError


def _diffs(engine: Engine, metadata: sa.MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_head_gives_exactly_the_models(empty_engine: Engine) -> None:
    assert db.current_revision(empty_engine) is None
    db.migrate(empty_engine)
    assert db.current_revision(empty_engine) == db.head_revision()
    assert _diffs(empty_engine, models.Base.metadata) == []
    tables = set(sa.inspect(empty_engine).get_table_names())
    assert tables == set(models.Base.metadata.tables) | {"alembic_version"}


def test_the_comparison_sees_a_drift(engine: Engine) -> None:
    drifted = sa.MetaData()
    for table in models.Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["queues"].append_column(sa.Column("colour", sa.String(10)))
    diffs = _diffs(engine, drifted)
    assert [d[0] for d in diffs if isinstance(d, tuple)] == ["add_column"]


def test_migrations_seed_the_log_head_and_downgrade_to_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT id, last_id FROM event_log_head")).all() == [
            (1, 0)]
    db.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()


def test_check_schema_names_the_missing_migration(empty_engine: Engine) -> None:
    with pytest.raises(SchemaError, match=r"is at revision \(empty\), the code needs 0001"):
        db.check_schema(empty_engine)
    db.migrate(empty_engine)
    db.check_schema(empty_engine)


def test_sqlite_connections_are_durable(tmp_path: object) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path}/sub/dir/x.db")
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA synchronous").scalar() == 2  # FULL
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()


def test_urls() -> None:
    assert db.normalize_url(None).render_as_string() == db.DEFAULT_URL
    assert db.normalize_url("postgresql://u@h/d").drivername == "postgresql+psycopg"
    assert db.normalize_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    assert db.normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_queue_table_holds_every_queue_config_field() -> None:
    config_fields = {f.name for f in dataclasses.fields(QueueConfig)}
    assert config_fields == set(models.QUEUE_SETTINGS) | {"queue_id", "tenant", "skills"}
    columns = set(models.Queue.__table__.columns.keys())
    assert set(models.QUEUE_SETTINGS) <= columns
    defaults = QueueConfig(queue_id="q")
    for name in models.QUEUE_SETTINGS:
        column = models.Queue.__table__.columns[name]
        assert column.default is not None, name
        assert column.default.arg == getattr(defaults, name), name


def _tenant(session: Session, slug: str) -> models.Tenant:
    tenant = models.Tenant(slug=slug, name=slug.title())
    session.add(tenant)
    session.flush()
    return tenant


def test_queue_row_gives_the_core_config(engine: Engine) -> None:
    with Session(engine) as session:
        tenant = _tenant(session, "acme")
        french = models.Skill(tenant_id=tenant.id, name="french")
        queue = models.Queue(tenant_id=tenant.id, key="sales", overflow_after=30,
                             overflow_to="tier2", wrap_up=10)
        queue.skills.append(models.QueueSkill(skill=french, level=3))
        session.add(queue)
        session.commit()
        config = queue.to_config()
    assert config == QueueConfig(queue_id="sales", tenant="acme", skills=(("french", 3),),
                                 overflow_after=30, overflow_to="tier2", wrap_up=10)


def test_optimistic_locking_refuses_a_lost_update(engine: Engine) -> None:
    with Session(engine) as session:
        tenant = _tenant(session, "acme")
        session.add(models.Queue(tenant_id=tenant.id, key="sales"))
        session.commit()
    with Session(engine) as first, Session(engine) as second:
        mine = first.scalars(sa.select(models.Queue)).one()
        theirs = second.scalars(sa.select(models.Queue)).one()
        assert mine.version == theirs.version == 1
        theirs.wrap_up = 30
        second.commit()
        assert theirs.version == 2
        mine.wrap_up = 60
        with pytest.raises(StaleDataError):
            first.commit()


def test_every_configuration_table_is_versioned() -> None:
    names = {getattr(cls, "__tablename__") for cls in models.CONFIG_TABLES}  # noqa: B009
    assert names == {"tenants", "users", "skills", "teams", "agents", "queues", "ivr_flows",
                     "dids", "trunks", "contact_lists", "campaigns", "dispositions",
                     "qa_scorecards", "webhooks"}


def test_extension_is_unique_per_tenant_and_foreign_keys_hold(engine: Engine) -> None:
    with Session(engine) as session:
        acme, globex = _tenant(session, "acme"), _tenant(session, "globex")
        session.add_all([
            models.Agent(tenant_id=acme.id, key="a1", extension="201", sip_username="a1"),
            models.Agent(tenant_id=globex.id, key="a1", extension="201", sip_username="a1"),
        ])
        session.commit()
        session.add(models.Agent(tenant_id=acme.id, key="a2", extension="201",
                                 sip_username="a2"))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()
        session.rollback()
        session.add(models.Agent(tenant_id=9999, key="a3", extension="203", sip_username="a3"))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_roles_and_level_checks(engine: Engine) -> None:
    with Session(engine) as session:
        acme = _tenant(session, "acme")
        session.add(models.User(username="root", role=models.Role.ADMIN))
        session.add(models.User(username="sup", role=models.Role.SUPERVISOR, tenant_id=acme.id))
        session.commit()
        roles = session.execute(sa.text("SELECT role FROM users ORDER BY username")).scalars()
        assert list(roles) == ["admin", "supervisor"]
        session.add(models.User(username="bad", role=models.Role.ADMIN, tenant_id=acme.id))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()
        session.rollback()
        agent = models.Agent(tenant_id=acme.id, key="a1", extension="201", sip_username="a1")
        agent.skills.append(models.AgentSkill(skill=models.Skill(tenant_id=acme.id, name="x"),
                                              level=11))
        session.add(agent)
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()
