"""The API's settings, read from the environment (``SWITCHBOARD_*``) by pydantic-settings.

Nothing is read at import time: :func:`~switchboard.api.app.create_app` takes an
:class:`ApiSettings` (``ApiSettings()`` reads the environment). Outside demo mode the settings
refuse unsafe values: no secret key (or a short one), session cookies without ``Secure``, a
short bootstrap password. In demo mode a missing secret key is replaced by a random one (the
sessions then end with the process).
"""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MIN_PASSWORD", "MIN_SECRET", "ApiSettings"]

MIN_SECRET = 32
"""Shortest secret key accepted outside demo mode (characters)."""

MIN_PASSWORD = 12
"""Shortest password accepted for users and the bootstrap admin."""


class ApiSettings(BaseSettings):
    """Everything the API needs to start. Environment variables are ``SWITCHBOARD_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="forbid",
                                      validate_default=True)

    demo: bool = False
    """Demo mode: relaxed checks (random secret key, cookies without ``Secure``)."""
    database_url: str | None = None
    """The database (``sqlite:///switchboard.db`` when unset), as in :mod:`switchboard.store.db`."""
    secret_key: SecretStr | None = None
    """Signs session cookies and CSRF tokens. Required (32+ characters) outside demo mode."""
    migrate: bool = True
    """Run the store's migrations at startup."""

    cookie_secure: bool = True
    """``Secure`` on the session cookies; may only be off in demo mode."""
    session_ttl: float = Field(default=8 * 3600.0, gt=0)
    """Seconds a browser session lasts."""
    allowed_origins: list[str] = Field(default_factory=list)
    """Origins allowed to open ``/ws/events`` with a session cookie (besides the API's own)."""

    login_max_failures_per_user: int = Field(default=5, ge=1)
    login_max_failures_per_source: int = Field(default=20, ge=1)
    login_window: float = Field(default=900.0, gt=0)
    """Failed logins are counted over this many seconds, per username and per source address."""

    admin_username: str | None = None
    """Bootstrap: create this platform admin at startup if no admin exists."""
    admin_password: SecretStr | None = None

    run_centers: bool = True
    """Build and drive the live contact centers (timers) when none are passed to the app."""
    background_interval: float = Field(default=1.0, gt=0)
    """Seconds between runs of the background work (interactions, webhook deliveries)."""

    webhook_timeout: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_backoff: float = Field(default=10.0, gt=0)
    """First retry delay in seconds; each further retry waits twice as long."""
    webhook_backoff_max: float = Field(default=3600.0, gt=0)
    webhook_allow_private: bool = False
    """Allow webhook URLs on loopback or private addresses (always allowed in demo mode)."""

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> ApiSettings:
        if self.demo:
            if self.secret_key is None:
                self.secret_key = SecretStr(secrets.token_urlsafe(MIN_SECRET))
            return self
        problems = []
        if self.secret_key is None:
            problems.append("secret_key: required outside demo mode "
                            "(set SWITCHBOARD_SECRET_KEY)")
        elif len(self.secret_key.get_secret_value()) < MIN_SECRET:
            problems.append(f"secret_key: must be at least {MIN_SECRET} characters")
        if not self.cookie_secure:
            problems.append("cookie_secure: session cookies must be Secure outside demo mode")
        if self.admin_password is not None and \
                len(self.admin_password.get_secret_value()) < MIN_PASSWORD:
            problems.append(f"admin_password: must be at least {MIN_PASSWORD} characters")
        if (self.admin_username is None) != (self.admin_password is None):
            problems.append("admin_username and admin_password go together")
        if problems:
            raise ValueError("unsafe settings: " + "; ".join(problems))
        return self

    def secret(self) -> bytes:
        """The secret key as bytes."""
        assert self.secret_key is not None  # the validator guarantees it
        return self.secret_key.get_secret_value().encode("utf-8")
