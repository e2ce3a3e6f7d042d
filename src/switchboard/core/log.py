"""The in-memory append-only event log.

The store issue persists the same stream; here it is a list with subscribers, enough for the
simulator, the tests and a server without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from switchboard.core.events import Event

Subscriber = Callable[[Event], None]


class EventLog:
    """An append-only sequence of events; subscribers see each event as it is appended."""

    __slots__ = ("_events", "_subscribers", "count", "keep")

    def __init__(self, *, keep: bool = True) -> None:
        self._events: list[Event] = []
        self._subscribers: list[Subscriber] = []
        self.count = 0
        """Events appended so far (kept or not)."""
        self.keep = keep
        """When False the log only forwards events (long simulations that only need KPIs)."""

    def append(self, event: Event) -> None:
        """Append ``event`` and hand it to every subscriber, in subscription order."""
        self.count += 1
        if self.keep:
            self._events.append(event)
        for subscriber in self._subscribers:
            subscriber(event)

    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber(event)`` for every event appended from now on."""
        self._subscribers.append(subscriber)

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def __getitem__(self, index: int) -> Event:
        return self._events[index]
