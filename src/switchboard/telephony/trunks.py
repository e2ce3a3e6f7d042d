"""Carrier trunks: digest authentication as a client, and registration to the carrier.

:func:`authorized_retry` answers a 401/407 challenge by rebuilding the request with the
credentials (RFC 3261 §22.2: same Call-ID and tags, CSeq plus one, a new branch).
:class:`TrunkRegistration` keeps a trunk registered: REGISTER, answer the challenge once,
refresh before the granted expiry runs out, retry after a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass

from switchboard.sip import ParseError, Request, Response, SipURI
from switchboard.sip.auth import answer_challenge, choose_challenge, parse_challenge
from switchboard.sip.transaction import Event, ResponseReceived, TimedOut, TransportError
from switchboard.telephony.directory import Trunk
from switchboard.telephony.ua import UserAgent, new_tag
from switchboard.telephony.udp import Peer

log = logging.getLogger(__name__)


def authorized_retry(request: Request, response: Response, username: str,
                     password: str) -> Request | None:
    """The request again with credentials for the challenge in ``response``; None if none fits."""
    proxy = response.status_code == 407
    name = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
    try:
        challenges = [parse_challenge(v) for v in response.headers.get_all(name)]
        challenge = choose_challenge(challenges)
    except ParseError as exc:
        log.warning("cannot answer the %d challenge: %s", response.status_code, exc)
        return None
    uri = request.uri.serialize()
    credentials = answer_challenge(challenge, username=username, password=password,
                                   method=request.method, uri=uri, cnonce=secrets.token_hex(8))
    retry = Request(method=request.method, uri=request.uri, body=request.body)
    for header, value in request.headers:
        if header in ("Via", "CSeq", "Authorization", "Proxy-Authorization"):
            continue
        retry.headers.add(header, value)
    retry.headers.add("CSeq", f"{request.cseq.number + 1} {request.method}")
    retry.headers.add("Proxy-Authorization" if proxy else "Authorization",
                      credentials.serialize())
    return retry


def trunk_peer(trunk: Trunk) -> Peer:
    """Where the trunk's traffic goes."""
    return Peer(trunk.transport, trunk.host, trunk.port)


@dataclass(slots=True)
class RegistrationState:
    """How a trunk registration stands."""

    registered: bool = False
    expires: int = 0
    last_status: int = 0
    attempts: int = 0


class TrunkRegistration:
    """Keeps one trunk registered with its carrier."""

    def __init__(self, ua: UserAgent, trunk: Trunk, *, expires: int = 300,
                 retry_after: float = 30.0) -> None:
        self.ua = ua
        self.trunk = trunk
        self.expires = expires
        self.retry_after = retry_after
        self.state = RegistrationState()
        self._call_id = f"{secrets.token_hex(10)}@switchboard"
        self._tag = new_tag()
        self._cseq = 0
        self._task: asyncio.Task[None] | None = None
        self._done: asyncio.Future[Response | None] | None = None

    def start(self) -> None:
        """Begin registering (and keep at it)."""
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop refreshing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _request(self) -> Request:
        trunk = self.trunk
        user = trunk.username or "switchboard"
        self._cseq += 1
        request = Request(method="REGISTER", uri=SipURI(host=trunk.host, port=trunk.port))
        aor = f"<sip:{user}@{trunk.host}>"
        request.headers.add("From", f"{aor};tag={self._tag}")
        request.headers.add("To", aor)
        request.headers.add("Call-ID", self._call_id)
        request.headers.add("CSeq", f"{self._cseq} REGISTER")
        request.headers.add("Contact", f"<{self.ua.contact_uri(user, trunk.transport)}>")
        request.headers.add("Expires", str(self.expires))
        return request

    async def _send(self, request: Request) -> Response | None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Response | None] = loop.create_future()

        def on_event(event: Event) -> None:
            if done.done():
                return
            if isinstance(event, ResponseReceived) and event.response.status_code >= 200:
                done.set_result(event.response)
            elif isinstance(event, TimedOut | TransportError):
                done.set_result(None)

        self.ua.send_request(request, trunk_peer(self.trunk), on_event)
        return await done

    async def register_once(self) -> bool:
        """One REGISTER (answering one challenge); True when the carrier accepted it."""
        request = self._request()
        response = await self._send(request)
        self.state.attempts += 1
        if response is not None and response.status_code in (401, 407) and \
                self.trunk.username and self.trunk.password is not None:
            retry = authorized_retry(request, response, self.trunk.username,
                                     self.trunk.password)
            if retry is not None:
                self._cseq = retry.cseq.number
                response = await self._send(retry)
        self.state.last_status = response.status_code if response is not None else 408
        self.state.registered = response is not None and response.status_code == 200
        if self.state.registered and response is not None:
            granted = response.headers.get("Expires")
            self.state.expires = int(granted) if granted and granted.isdigit() else self.expires
        return self.state.registered

    async def _run(self) -> None:
        while True:
            ok = await self.register_once()
            if ok:
                log.info("trunk %s registered for %d s", self.trunk.name, self.state.expires)
                await asyncio.sleep(max(10.0, self.state.expires * 0.8))
            else:
                log.warning("trunk %s registration failed (%d); retrying in %.0f s",
                            self.trunk.name, self.state.last_status, self.retry_after)
                await asyncio.sleep(self.retry_after)


class TrunkMonitor:
    """Sends OPTIONS to a trunk every ``interval`` seconds (a keep-alive that also tells whether
    the carrier answers); ``up`` is False after a ping times out."""

    def __init__(self, ua: UserAgent, trunk: Trunk, *, interval: float = 30.0) -> None:
        self.ua = ua
        self.trunk = trunk
        self.interval = interval
        self.up: bool | None = None
        self.pings = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin pinging."""
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Stop pinging."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def ping(self) -> int:
        """One OPTIONS; the final status code (408 when the carrier did not answer)."""
        trunk = self.trunk
        request = Request(method="OPTIONS", uri=SipURI(host=trunk.host, port=trunk.port))
        request.headers.add("From", f"<sip:switchboard@{trunk.host}>;tag={new_tag()}")
        request.headers.add("To", f"<sip:{trunk.host}>")
        request.headers.add("Call-ID", f"{secrets.token_hex(10)}@switchboard")
        request.headers.add("CSeq", "1 OPTIONS")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()

        def on_event(event: Event) -> None:
            if done.done():
                return
            if isinstance(event, ResponseReceived) and event.response.status_code >= 200:
                done.set_result(event.response.status_code)
            elif isinstance(event, TimedOut | TransportError):
                done.set_result(408)

        self.ua.send_request(request, trunk_peer(trunk), on_event)
        code = await done
        self.pings += 1
        up = code < 500 and code != 408  # any answer but a timeout or a 5xx means alive
        if up != self.up:
            log.info("trunk %s is %s (OPTIONS -> %d)", trunk.name, "up" if up else "DOWN", code)
        self.up = up
        return code

    async def _run(self) -> None:
        while True:
            await self.ping()
            await asyncio.sleep(self.interval)
