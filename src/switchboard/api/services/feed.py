"""The live feed: one object that the WebSocket clients (wallboard, agent desktop) read.

The centers report each event here (:meth:`LiveFeed.event`) and queue figures when they change
(:meth:`LiveFeed.queue_status`). Each subscriber has a filter (its tenant, and for an agent
their own agent key) and a bounded asyncio queue; messages are handed over with
``call_soon_threadsafe`` because events are produced on worker threads. A subscriber that
does not keep up is dropped (its queue overflows), never allowed to slow the center down.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from switchboard.core.events import Event
from switchboard.store import codec

__all__ = ["LiveFeed", "Subscription"]

log = logging.getLogger(__name__)

_AGENT_FIELDS = ("agent_id", "from_agent", "to_agent")


@dataclass(eq=False)
class Subscription:
    """One WebSocket client: what it may see, and its queue of messages."""

    tenant: str | None
    """Only this tenant's messages (None: every tenant, for a platform admin)."""
    agent_key: str | None
    """For an agent: only events about this agent (queue figures are still sent)."""
    queue: asyncio.Queue[dict[str, Any]]
    loop: asyncio.AbstractEventLoop
    overflowed: bool = False
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def wants(self, tenant: str, message: dict[str, Any]) -> bool:
        """Whether this client may see ``message`` of ``tenant``."""
        if self.tenant is not None and tenant != self.tenant:
            return False
        if self.agent_key is None or message["type"] != "event":
            return True
        event = message["event"]
        return any(event.get(name) == self.agent_key for name in _AGENT_FIELDS)

    def _put(self, message: dict[str, Any]) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self.closed.set()


class LiveFeed:
    """Fans events and queue figures out to the subscribers that may see them."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()

    def subscribe(self, *, tenant: str | None, agent_key: str | None) -> Subscription:
        """A new subscription, fed on the running event loop."""
        sub = Subscription(tenant=tenant, agent_key=agent_key,
                           queue=asyncio.Queue(self.queue_size),
                           loop=asyncio.get_running_loop())
        with self._lock:
            self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop feeding ``sub``."""
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    @property
    def subscriber_count(self) -> int:
        """How many clients are connected."""
        return len(self._subscribers)

    def _publish(self, tenant: str, message: dict[str, Any]) -> None:
        with self._lock:
            targets = [s for s in self._subscribers if s.wants(tenant, message)]
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(sub._put, message)
            except RuntimeError:  # the loop is closed: the client is gone
                self.unsubscribe(sub)

    def event(self, tenant: str, event: Event) -> None:
        """A center event (agent states, offers, calls)."""
        if not self._subscribers:
            return
        self._publish(tenant, {"type": "event", "tenant": tenant, "event": codec.encode(event)})

    def queue_status(self, tenant: str, status: dict[str, Any]) -> None:
        """A queue's live figures changed."""
        if not self._subscribers:
            return
        self._publish(tenant, {"type": "queue_status", "tenant": tenant, "queue": status})
