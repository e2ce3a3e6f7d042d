"""The REST and WebSocket API (FastAPI): accounts, tenants, configuration, call control, the
live feed, webhooks and metrics. See ``docs/api.md``.

``create_app(settings)`` builds the app; nothing is built at import time.
"""

from switchboard.api.app import create_app
from switchboard.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
