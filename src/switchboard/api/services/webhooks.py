"""Webhook deliveries: signed, retried with exponential backoff, logged.

Theory of operation
-------------------
:meth:`WebhookDispatcher.enqueue` follows the durable event log from its checkpoint (the
``webhooks`` row of ``projection_checkpoints``; a fresh dispatcher starts at the log's head, so
a new subscription receives events from then on) and creates one ``webhook_deliveries`` row per
event and active webhook of the event's tenant that subscribes to its type, moving the
checkpoint in the same transaction (the unique ``(webhook_id, event_id)`` pair makes it
idempotent). :meth:`WebhookDispatcher.deliver_due` posts each due delivery outside any database
transaction (a slow receiver never holds a lock), then records the outcome: ``delivered`` on a
2xx answer; otherwise the attempt is counted and the next one scheduled after
``backoff * 2**(attempts-1)`` seconds (capped), until ``max_attempts`` make it ``failed``.

Each request carries ``X-Switchboard-Timestamp`` (Unix seconds) and ``X-Switchboard-Signature:
v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the webhook's secret>``; receivers check
the signature and refuse old timestamps (replays). Redirects are not followed.

Time comes from the ``now`` argument (tests script it); the server passes the wall clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from switchboard.store.eventlog import last_event_id
from switchboard.store.models import (
    EventRecord,
    ProjectionCheckpoint,
    Tenant,
    Webhook,
    WebhookDelivery,
    utcnow,
)

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookDispatcher", "is_private_url", "sign"]

log = logging.getLogger(__name__)

CHECKPOINT = "webhooks"
SIGNATURE_HEADER = "X-Switchboard-Signature"
TIMESTAMP_HEADER = "X-Switchboard-Timestamp"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body,
                   hashlib.sha256)
    return "v1=" + mac.hexdigest()


def is_private_url(url: str) -> bool:
    """True for URLs naming localhost or a loopback, private or link-local IP address.

    Host names are not resolved here (the check is against obvious server-side request
    forgery, not DNS rebinding).
    """
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (address.is_private or address.is_loopback or address.is_link_local
            or address.is_reserved or address.is_multicast or address.is_unspecified)


@dataclass(frozen=True, slots=True)
class _Due:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    body: bytes
    event_type: str


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class WebhookDispatcher:
    """Creates and sends webhook deliveries (see the module docstring)."""

    def __init__(self, engine: Engine, *, timeout: float = 5.0, max_attempts: int = 8,
                 backoff: float = 10.0, backoff_max: float = 3600.0, batch: int = 100,
                 client: httpx.Client | None = None) -> None:
        self.engine = engine
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.batch = batch
        self._client = client if client is not None else httpx.Client(
            timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        """Release the HTTP client."""
        self._client.close()

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt."""
        return float(min(self.backoff * 2 ** (attempts - 1), self.backoff_max))

    # ------------------------------------------------------------------ enqueue

    def enqueue(self, now: dt.datetime | None = None) -> int:
        """Create the deliveries of the events logged since the checkpoint; return how many."""
        now = now or utcnow()
        with Session(self.engine) as session, session.begin():
            checkpoint = session.get(ProjectionCheckpoint, CHECKPOINT, with_for_update=True)
            if checkpoint is None:
                session.add(ProjectionCheckpoint(name=CHECKPOINT,
                                                 last_event_id=last_event_id(self.engine)))
                return 0
            hooks: dict[str, list[tuple[int, list[Any]]]] = {}
            for hook_id, slug, types in session.execute(
                    sa.select(Webhook.id, Tenant.slug, Webhook.event_types)
                    .join(Tenant, Tenant.id == Webhook.tenant_id)
                    .where(Webhook.active, Tenant.active)):
                hooks.setdefault(slug, []).append((hook_id, list(types or [])))
            events = session.execute(
                sa.select(EventRecord.id, EventRecord.tenant, EventRecord.type)
                .where(EventRecord.id > checkpoint.last_event_id)
                .order_by(EventRecord.id).limit(1000)).all()
            created = 0
            for event_id, tenant, event_type in events:
                for hook_id, types in hooks.get(tenant, ()):
                    if types and event_type not in types:
                        continue
                    session.add(WebhookDelivery(webhook_id=hook_id, event_id=event_id,
                                                status="pending", attempts=0,
                                                next_attempt_at=now))
                    created += 1
            if events:
                checkpoint.last_event_id = events[-1][0]
            return created

    # ------------------------------------------------------------------ deliver

    def _due(self, now: dt.datetime) -> list[_Due]:
        with Session(self.engine) as session:
            rows = session.execute(
                sa.select(WebhookDelivery, Webhook, EventRecord)
                .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                .join(EventRecord, EventRecord.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.status == "pending",
                       WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(self.batch)).all()
            due = []
            for delivery, hook, event in rows:
                body = json.dumps({"id": event.id, "delivery": delivery.id, "type": event.type,
                                   "tenant": event.tenant, "event": event.payload},
                                  separators=(",", ":"), sort_keys=True).encode("utf-8")
                due.append(_Due(delivery.id, delivery.attempts, hook.url, hook.secret, body,
                                event.type))
            return due

    def _post(self, item: _Due, now: dt.datetime) -> tuple[int | None, str]:
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Switchboard-Webhooks/1",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(item.secret, timestamp, item.body),
            "X-Switchboard-Event": item.event_type,
            "X-Switchboard-Delivery": str(item.delivery_id),
        }
        try:
            response = self._client.post(item.url, content=item.body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:1000]
        if 200 <= response.status_code < 300:
            return response.status_code, ""
        return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"

    def deliver_due(self, now: dt.datetime | None = None) -> int:
        """Send every delivery due at ``now``; return how many were attempted."""
        now = now or utcnow()
        due = self._due(now)
        for item in due:
            code, error = self._post(item, now)
            attempts = item.attempts + 1
            values: dict[str, Any] = {"attempts": attempts, "response_code": code,
                                      "last_error": error}
            if not error:
                values.update(status="delivered", delivered_at=now, next_attempt_at=None)
            elif attempts >= self.max_attempts:
                values.update(status="failed", next_attempt_at=None)
            else:
                values["next_attempt_at"] = now + dt.timedelta(seconds=self.delay(attempts))
            with Session(self.engine) as session, session.begin():
                session.execute(sa.update(WebhookDelivery)
                                .where(WebhookDelivery.id == item.delivery_id,
                                       WebhookDelivery.status == "pending")
                                .values(**values))
            if error:
                log.info("webhook delivery %d failed (attempt %d): %s", item.delivery_id,
                         attempts, error)
        return len(due)

    def run_once(self, now: dt.datetime | None = None) -> tuple[int, int]:
        """Enqueue new events, then send what is due: ``(created, attempted)``."""
        return self.enqueue(now), self.deliver_due(now)
