"""Alembic environment for the store's migrations.

Run through :func:`switchboard.store.db.migrate`, which hands the engine over in
``config.attributes["engine"]``. For offline SQL (``alembic upgrade --sql``) or a developer's
``alembic`` command line, ``sqlalchemy.url`` in the configuration is used instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from switchboard.store.db import create_engine
from switchboard.store.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_offline() -> None:
    """Emit SQL text instead of running it."""
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the engine given by the caller (or on ``sqlalchemy.url``)."""
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
