"""The FastAPI application: :func:`create_app` wires everything once, in ``lifespan``.

Nothing is built at import time. At startup the lifespan creates (or takes) the engine, runs
the migrations, creates the bootstrap admin, builds the live centers (or wraps the ones given),
the live feed, the webhook dispatcher and the interactions projector, and starts two loops:
the centers' timers (ring-no-answer, wrap-up, overflow) and the background work (interactions,
webhook deliveries, queue figures). At shutdown it stops them and releases what it opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.engine import Engine

from switchboard.api.errors import error_responses, install_error_handlers
from switchboard.api.metrics import ApiMetrics
from switchboard.api.routers import (
    agents,
    auth,
    callbacks,
    calls,
    campaigns,
    contact_lists,
    dids,
    dispositions,
    dnc,
    ivr_flows,
    queues,
    records,
    skills,
    tenants,
    trunks,
    users,
    webhooks,
    ws,
)
from switchboard.api.security import LoginThrottle, SessionCodec
from switchboard.api.services.accounts import ensure_admin
from switchboard.api.services.center import CenterService, MonitorPort
from switchboard.api.services.feed import LiveFeed
from switchboard.api.services.webhooks import WebhookDispatcher
from switchboard.api.settings import ApiSettings
from switchboard.api.state import AppState
from switchboard.core.center import ContactCenter
from switchboard.core.clock import Clock
from switchboard.core.ports import CallControl
from switchboard.store.db import check_schema, create_engine, migrate, session_factory
from switchboard.store.interactions import InteractionBuilder

__all__ = ["create_app"]

log = logging.getLogger(__name__)

TIMER_POLL = 0.25
"""Longest sleep of the timer loop (new timers armed meanwhile are seen this late at most)."""


def create_app(settings: ApiSettings, *, engine: Engine | None = None,
               centers: CenterService | Mapping[str, ContactCenter] | None = None,
               port: CallControl | None = None, clock: Clock | None = None,
               monitor: MonitorPort | None = None,
               webhook_client: httpx.Client | None = None,
               background: bool = True) -> FastAPI:
    """The Switchboard API.

    ``settings``: validated :class:`ApiSettings` (``ApiSettings()`` reads the environment).
    ``engine``: the store's engine (default: one made from ``settings.database_url``; an
    engine passed in is not disposed at shutdown). ``centers``: the live centers to control, a
    :class:`CenterService` or ``{tenant slug: ContactCenter}``; when None and
    ``settings.run_centers``, one center per tenant is built from the store on its
    :class:`~switchboard.store.eventlog.DurableEventLog`, acting through ``port`` (the
    telephony layer's CallControl; none: calls are only tracked) on ``clock`` (default: the
    real clock). ``monitor``: the media engine's monitoring port. ``background``: run the timer
    and background loops (tests drive them by hand).
    """
    metrics_holder: dict[str, AppState] = {}
    api_metrics = ApiMetrics(lambda: metrics_holder["state"].centers
                             if "state" in metrics_holder else None)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        the_engine = engine if engine is not None else create_engine(settings.database_url)
        if settings.migrate:
            await asyncio.to_thread(migrate, the_engine)
        check_schema(the_engine)
        sessions = session_factory(the_engine)
        if settings.admin_username and settings.admin_password:
            with sessions() as session:
                ensure_admin(session, settings.admin_username,
                             settings.admin_password.get_secret_value())
        service: CenterService | None
        if isinstance(centers, CenterService):
            service = centers
        elif centers is not None:
            service = CenterService(centers, monitor=monitor)
        elif settings.run_centers:
            service = await asyncio.to_thread(CenterService.from_store, the_engine, port=port,
                                              clock=clock, monitor=monitor)
        else:
            service = None
        feed = LiveFeed()
        state = AppState(
            settings=settings, engine=the_engine, sessions=sessions,
            codec=SessionCodec(settings.secret(), settings.session_ttl),
            throttle=LoginThrottle(per_user=settings.login_max_failures_per_user,
                                   per_source=settings.login_max_failures_per_source,
                                   window=settings.login_window),
            feed=feed, metrics=api_metrics,
            webhooks=WebhookDispatcher(the_engine, timeout=settings.webhook_timeout,
                                       max_attempts=settings.webhook_max_attempts,
                                       backoff=settings.webhook_backoff,
                                       backoff_max=settings.webhook_backoff_max,
                                       client=webhook_client),
            interactions=InteractionBuilder(the_engine), centers=service)
        if service is not None:
            service.listen(feed.event)
            service.listen(api_metrics.observe_event)
            service.listen_status(feed.queue_status)
        app.state.switchboard = state
        metrics_holder["state"] = state
        tasks: list[asyncio.Task[None]] = []
        if background:
            if service is not None:
                tasks.append(asyncio.create_task(_timer_loop(service), name="center-timers"))
            tasks.append(asyncio.create_task(_work_loop(state), name="background-work"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if service is not None and not isinstance(centers, CenterService) \
                    and centers is None:
                service.close()
            if webhook_client is None:
                state.webhooks.close()
            if own_engine:
                the_engine.dispose()

    app = FastAPI(title="Switchboard API", version="1", lifespan=lifespan,
                  description="REST and WebSocket API of the Switchboard contact center.",
                  responses=error_responses(400, 401, 403, 422, 503))
    install_error_handlers(app)
    app.middleware("http")(api_metrics.middleware)
    for module in (auth, tenants, users, skills, agents, queues, ivr_flows, dids, trunks,
                   contact_lists, campaigns, dispositions, dnc, callbacks, webhooks, records):
        app.include_router(module.router)
    app.include_router(contact_lists.contacts)
    app.include_router(calls.agents)
    app.include_router(calls.calls)
    app.include_router(calls.live)
    app.include_router(ws.router)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics() -> Response:
        return Response(generate_latest(api_metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


async def _timer_loop(service: CenterService) -> None:
    """Fire the centers' timers when due (on a worker thread: handlers append to the log)."""
    while True:
        deadline = service.next_timer()
        delay = TIMER_POLL if deadline is None else min(TIMER_POLL,
                                                        max(0.0, deadline - time.time()))
        await asyncio.sleep(delay)
        try:
            await asyncio.to_thread(service.tick)
        except Exception:
            log.exception("center timers failed; retrying")


def _background_step(state: AppState) -> dict[str, Any]:
    done: dict[str, Any] = {"interactions": state.update_interactions()}
    done["webhooks"] = state.webhooks.run_once()
    done["tokens"] = state.flush_token_uses()
    if state.centers is not None:
        state.centers.flush()
    return done


async def _work_loop(state: AppState) -> None:
    """Interactions, webhook deliveries, queue figures, every ``background_interval``."""
    while True:
        try:
            await asyncio.to_thread(_background_step, state)
        except Exception:
            log.exception("background work failed; retrying")
        await asyncio.sleep(state.settings.background_interval)
