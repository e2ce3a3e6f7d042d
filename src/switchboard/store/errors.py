"""The store's error hierarchy. The API and the CLI translate these at their one boundary."""

from __future__ import annotations

from switchboard.core.errors import ConfigError


class StoreError(Exception):
    """Base of every error the store raises."""


class CodecError(StoreError):
    """An event could not be encoded, or a stored record is not a valid event."""


class LogError(StoreError):
    """The durable event log could not record or read events (the database refused)."""


class SchemaError(StoreError):
    """The database schema is missing or does not match the code (run :func:`db.migrate`)."""


class ConfigLoadError(StoreError, ConfigError):
    """A configuration directory is invalid; nothing was written.

    ``problems`` holds one line per problem, each naming the file, the line and the field
    (``queues.yaml:12: queues[1].sl_target: must be a fraction between 0 and 1``).
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
