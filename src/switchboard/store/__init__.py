"""Persistence: the durable event log, configuration tables, interactions; Alembic migrations.

The store imports the core and never the reverse. Modules:

* :mod:`~switchboard.store.codec` — events to JSON-able dicts and back, exactly.
* :mod:`~switchboard.store.db` — engines (SQLite by default, PostgreSQL) and migrations.
* :mod:`~switchboard.store.models` — the tables, as SQLAlchemy typed declarative classes.
* :mod:`~switchboard.store.eventlog` — :class:`DurableEventLog`, the core's durable EventSink.
* :mod:`~switchboard.store.interactions` — one row per call, built from the log; screen pops.
* :mod:`~switchboard.store.config` — a center's configuration from and to a YAML directory.

See ``docs/store.md``.
"""
