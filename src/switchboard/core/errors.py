"""The core's error hierarchy. The API and the CLI translate these at their one boundary."""

from __future__ import annotations


class CoreError(Exception):
    """Base of every error the core raises for a request it cannot carry out."""


class IllegalTransition(CoreError):
    """An agent (or call) was asked to move to a state it cannot reach from where it is."""


class UnknownObject(CoreError):
    """A request named an agent, queue or call the center does not know."""


class NotAvailable(CoreError):
    """The target of a request (an agent for a direct transfer) cannot take it now."""


class ConfigError(CoreError):
    """A configuration is inconsistent (a queue naming a missing skill, an overflow loop ...)."""
