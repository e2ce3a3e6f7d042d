"""``/ws/events``: the live feed over a WebSocket.

Authentication is the same as for HTTP: ``Authorization: Bearer <token>`` (integrations), or
the session cookie (browsers), in which case the ``Origin`` must be the API's own or one of
``allowed_origins`` (no cross-site WebSocket hijacking). What a client sees is decided once, at
connection: a supervisor or tenant admin sees their tenant's events and queue figures; an agent
sees the events about their own agent (their offers, their state) and the queue figures; a
platform admin sees every tenant, or one with ``?tenant=<slug>``. Messages are JSON objects:
``{"type": "hello" | "event" | "queue_status", "tenant": ..., ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from switchboard.api.deps import authenticate
from switchboard.api.errors import ApiError
from switchboard.api.security import SESSION_COOKIE, Principal
from switchboard.api.state import AppState
from switchboard.store import models as m
from switchboard.store.models import Role

router = APIRouter(tags=["Live"])
log = logging.getLogger(__name__)

POLICY_VIOLATION = 1008


def _origin_allowed(websocket: WebSocket, state: AppState) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser: a browser always sends Origin on a WebSocket
    if origin in state.settings.allowed_origins:
        return True
    return urlsplit(origin).netloc == websocket.headers.get("host", "")


def _resolve(state: AppState, websocket: WebSocket,
             tenant: str | None) -> tuple[Principal, str | None, str | None]:
    """The principal, the tenant filter and (for agents) the agent key filter."""
    header = websocket.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" and token.strip() else None
    with state.sessions() as db:
        principal = authenticate(state, db, method="GET", token=bearer,
                                 cookie=websocket.cookies.get(SESSION_COOKIE),
                                 csrf_header=None, csrf_cookie=None)
        db.commit()
        if principal.is_admin:
            return principal, tenant, None
        slug = db.scalars(sa.select(m.Tenant.slug).where(m.Tenant.id == principal.tenant_id)
                          ).one()
        if tenant is not None and tenant != slug:
            raise ApiError("tenant must be your own", field="tenant")
        if principal.role is Role.AGENT:
            key = db.scalars(sa.select(m.Agent.key).where(
                m.Agent.user_id == principal.user_id, m.Agent.tenant_id == principal.tenant_id)
            ).first()
            return principal, slug, key or "\x00none"
        return principal, slug, None


@router.websocket("/ws/events")
async def events(websocket: WebSocket, tenant: str | None = None) -> None:
    """The live feed (see the module docstring)."""
    state: AppState = websocket.app.state.switchboard
    if websocket.cookies.get(SESSION_COOKIE) and "authorization" not in websocket.headers \
            and not _origin_allowed(websocket, state):
        await websocket.close(code=POLICY_VIOLATION, reason="origin not allowed")
        return
    try:
        principal, tenant_filter, agent_key = await run_in_threadpool(
            _resolve, state, websocket, tenant)
    except ApiError as exc:
        await websocket.close(code=POLICY_VIOLATION, reason=str(exc.detail)[:120])
        return
    await websocket.accept()
    sub = state.feed.subscribe(tenant=tenant_filter, agent_key=agent_key)
    await websocket.send_json({"type": "hello", "tenant": tenant_filter,
                               "role": principal.role.value, "user": principal.username})

    async def pump() -> None:
        while True:
            message = await sub.queue.get()
            await websocket.send_json(message)

    async def drain() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()  # clients need not send; this sees the close

    tasks = [asyncio.create_task(pump()), asyncio.create_task(drain()),
             asyncio.create_task(sub.closed.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                error = task.exception()
                if not isinstance(error, WebSocketDisconnect | RuntimeError):
                    log.warning("live feed connection ended: %r", error)
    finally:
        for task in tasks:
            task.cancel()
        state.feed.unsubscribe(sub)
        if sub.overflowed:
            with contextlib.suppress(RuntimeError):
                await websocket.close(code=POLICY_VIOLATION, reason="too slow")
