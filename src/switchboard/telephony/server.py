"""The SIP server process: transports, user agent, media and the switch, on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path

from switchboard.telephony.directory import Directory
from switchboard.telephony.guard import SourceGuard
from switchboard.telephony.media import MediaEngine, raise_open_file_limit
from switchboard.telephony.switch import Switch
from switchboard.telephony.transport import SipTransport, self_signed_context
from switchboard.telephony.ua import UserAgent

log = logging.getLogger(__name__)

#: Net container allocations between young-generation collections (CPython's default: 700).
#: A call allocates a few hundred containers that reference counting frees within milliseconds;
#: collecting every 700 allocations mostly re-examines the live calls, and promotes them to
#: the old generations, whose collections then pause the server.
GC_YOUNG_THRESHOLD = 50_000


def tune_gc(young: int = GC_YOUNG_THRESHOLD) -> None:
    """Garbage-collector settings for a long-running server process.

    Everything alive at startup (modules, configuration, the directory) is frozen out of
    every later collection, and the young generation is collected every ``young`` net
    allocations. The old generations keep CPython's rules, so cyclic garbage is still found.
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)


@dataclass(slots=True)
class ServerSettings:
    """Where to listen and what to keep."""

    host: str = "127.0.0.1"
    sip_port: int = 5060
    tls_port: int | None = None
    ws_port: int | None = None
    data: Path = field(default_factory=lambda: Path("data"))
    guard: SourceGuard | None = None
    session_min_se: int = 90
    """The smallest Session-Expires accepted (RFC 4028 Min-SE)."""


@dataclass(slots=True)
class Server:
    """A running SIP server."""

    transport: SipTransport
    ua: UserAgent
    media: MediaEngine
    switch: Switch

    async def close(self) -> None:
        """Stop listening and release media ports."""
        self.ua.close()
        self.media.close_all()
        await self.transport.close()


async def start(settings: ServerSettings, directory: Directory) -> Server:
    """Open every listener; returns once the server accepts traffic."""
    transport = SipTransport(lambda message, peer: None, guard=settings.guard)
    await transport.listen_udp_and_tcp(settings.host, settings.sip_port)
    if settings.tls_port is not None:
        context = self_signed_context(settings.data, settings.host)
        await transport.listen_tcp(settings.host, settings.tls_port, tls=context)
    if settings.ws_port is not None:
        await transport.listen_ws(settings.host, settings.ws_port)
    ua = UserAgent(transport)
    raise_open_file_limit()  # a media socket per call leg, and the pool of released ones
    media = MediaEngine(settings.host)
    switch = Switch(ua, media, directory, session_min_se=settings.session_min_se)
    return Server(transport, ua, media, switch)


def write_ready(server: Server, path: Path) -> None:
    """Write the bound addresses as JSON, for scripts and tests waiting on the server."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: list(v) for k, v in server.transport.addresses.items()}))
    tmp.replace(path)


async def serve_forever(server: Server, *, status: asyncio.Event | None = None,
                        duration: float | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``duration`` seconds), with :func:`tune_gc`'s settings."""
    tune_gc()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    sweeper = asyncio.ensure_future(_sweep(server))
    try:
        if duration is None:
            await stop.wait()
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), duration)
    finally:
        sweeper.cancel()
        await server.close()


async def _sweep(server: Server) -> None:
    while True:
        await asyncio.sleep(30)
        dropped = server.switch.location.sweep(server.ua.now())
        if dropped:
            log.info("expired %d registrations", dropped)
