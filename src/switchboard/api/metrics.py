"""Prometheus metrics at ``/metrics``: HTTP traffic, API errors, calls, queue depth, agents.

Each app has its own :class:`~prometheus_client.CollectorRegistry` (several apps in one process,
as in the tests, do not collide). HTTP metrics are labelled by the route template
(``/queues/{queue_id}``), never the raw path, so that the number of series stays bounded. Queue
depth and agent states are read from the live centers at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from switchboard.api.services.center import CenterService
from switchboard.core.events import (
    AgentState,
    CallAbandoned,
    CallAnswered,
    CallArrived,
    CallEnded,
    CallTransferred,
    Event,
)

__all__ = ["ApiMetrics"]

_CALL_EVENTS: dict[type[Event], str] = {
    CallArrived: "arrived", CallAnswered: "answered", CallAbandoned: "abandoned",
    CallTransferred: "transferred", CallEnded: "ended",
}


class _LiveCollector(Collector):
    def __init__(self, centers: Callable[[], CenterService | None]) -> None:
        self._centers = centers

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily("switchboard_queue_waiting", "Calls waiting in a queue",
                                    labels=["tenant", "queue"])
        longest = GaugeMetricFamily("switchboard_queue_longest_wait_seconds",
                                    "Longest current wait in a queue", labels=["tenant", "queue"])
        agents = GaugeMetricFamily("switchboard_agents", "Agents by state",
                                   labels=["tenant", "state"])
        service = self._centers()
        if service is not None:
            with service.lock:
                for tenant in service.tenants:
                    center = service.center(tenant)
                    for queue_id in center.queues:
                        status = center.queue_status(queue_id)
                        waiting.add_metric([tenant, queue_id], status.waiting)
                        longest.add_metric([tenant, queue_id], status.longest_wait)
                    counts = dict.fromkeys(AgentState, 0)
                    for agent in center.agents.values():
                        counts[agent.state] += 1
                    for state, count in counts.items():
                        agents.add_metric([tenant, state.value], count)
        yield waiting
        yield longest
        yield agents


class ApiMetrics:
    """The app's metrics and the middleware that measures requests."""

    def __init__(self, centers: Callable[[], CenterService | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("switchboard_http_requests", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("switchboard_http_request_duration_seconds",
                                 "HTTP request latency", ["method", "route"],
                                 registry=self.registry,
                                 buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                          0.5, 1.0, 2.5, 5.0))
        self.errors = Counter("switchboard_api_errors", "API error responses (4xx and 5xx)",
                              ["route", "status"], registry=self.registry)
        self.calls = Counter("switchboard_calls", "Call events", ["tenant", "event"],
                             registry=self.registry)
        self.registry.register(_LiveCollector(centers))

    def observe_event(self, tenant: str, event: Event) -> None:
        """Count call events (an event listener of the centers)."""
        kind = _CALL_EVENTS.get(type(event))
        if kind is not None:
            self.calls.labels(tenant, kind).inc()

    async def middleware(self, request: Request,
                         call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Time and count each HTTP request by its route template."""
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = getattr(request.scope.get("route"), "path", "unmatched")
            self.latency.labels(request.method, route).observe(time.perf_counter() - start)
            self.requests.labels(request.method, route, str(status)).inc()
            if status >= 400:
                self.errors.labels(route, str(status)).inc()
