"""What the app builds at startup (in ``lifespan``) and its dependencies read."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from switchboard.api.metrics import ApiMetrics
from switchboard.api.security import LoginThrottle, SessionCodec
from switchboard.api.services.accounts import record_token_uses
from switchboard.api.services.center import CenterService
from switchboard.api.services.feed import LiveFeed
from switchboard.api.services.webhooks import WebhookDispatcher
from switchboard.api.settings import ApiSettings
from switchboard.store.interactions import InteractionBuilder
from switchboard.store.models import utcnow

__all__ = ["AppState"]


@dataclass(kw_only=True)
class AppState:
    """The app's services, wired once by keyword in ``lifespan``."""

    settings: ApiSettings
    engine: Engine
    sessions: sessionmaker[Session]
    codec: SessionCodec
    throttle: LoginThrottle
    feed: LiveFeed
    metrics: ApiMetrics
    webhooks: WebhookDispatcher
    interactions: InteractionBuilder
    centers: CenterService | None = None
    projection_lock: threading.Lock = field(default_factory=threading.Lock)
    token_uses: dict[int, dt.datetime] = field(default_factory=dict)
    """API token id -> last use, written by the background work."""

    def token_used(self, token_id: int) -> None:
        """Remember that a token was used now."""
        self.token_uses[token_id] = utcnow()

    def flush_token_uses(self) -> int:
        """Write the remembered token uses; return how many."""
        uses, self.token_uses = self.token_uses, {}
        if uses:
            with self.sessions() as session:
                record_token_uses(session, uses)
        return len(uses)

    def update_interactions(self) -> int:
        """Bring the interactions up to date with the log (one updater at a time)."""
        with self.projection_lock:
            return self.interactions.update()
