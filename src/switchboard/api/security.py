"""Sessions, CSRF tokens, API tokens and login throttling.

Browser sessions are signed cookies: ``<payload>.<signature>`` where the payload (base64url
JSON) holds the user id, a session id, the expiry and a fingerprint of the user's password
hash, and the signature is HMAC-SHA256 with the secret key. The cookie is ``HttpOnly``,
``Secure`` (outside demo mode) and ``SameSite=Lax``. Changing a password ends every session of
the user (the fingerprint no longer matches); logging out revokes the session id until it
expires.

CSRF: double submit. At login the API also sets a readable cookie holding
``HMAC(secret, "csrf:" + session id)``; for every unsafe method (POST, PUT, PATCH, DELETE)
authenticated by the session cookie, the same value must come back in the ``X-CSRF-Token``
header. Binding the token to the session means a cookie planted by a sibling domain is useless.
Requests with a Bearer token carry no ambient credential and need no CSRF token.

Login throttling counts failed logins over a sliding window per username and per source
address (:class:`LoginThrottle`), in memory: with several API processes each counts its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from switchboard.api.errors import Throttled
from switchboard.store.models import Role

__all__ = ["CSRF_COOKIE", "CSRF_HEADER", "SESSION_COOKIE", "UNSAFE_METHODS", "LoginThrottle",
           "Principal", "SessionCodec", "SessionData"]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_COOKIE = "sb_session"
"""The HttpOnly session cookie."""
CSRF_COOKIE = "sb_csrf"
"""The readable cookie holding the CSRF token (double submit)."""
CSRF_HEADER = "X-CSRF-Token"
"""The header that must repeat the CSRF token on unsafe methods."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the user, their role and tenant, and how they authenticated."""

    user_id: int
    username: str
    role: Role
    tenant_id: int | None
    via: str
    """``session`` or ``token``."""

    @property
    def is_admin(self) -> bool:
        """A platform admin (every tenant)."""
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class SessionData:
    """What a session cookie carries."""

    user_id: int
    session_id: str
    expires: float
    fingerprint: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def password_fingerprint(password_hash: str) -> str:
    """A short digest of a user's password hash: sessions end when the password changes."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


class SessionCodec:
    """Signs and checks session cookies and CSRF tokens; remembers revoked sessions."""

    def __init__(self, secret: bytes, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self.ttl = ttl
        self._clock = clock
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, message: str) -> str:
        return _b64(hmac.new(self._secret, message.encode("ascii"), hashlib.sha256).digest())

    def issue(self, user_id: int, session_id: str, fingerprint: str) -> str:
        """A cookie value for a new session."""
        payload = {"u": user_id, "s": session_id, "e": self._clock() + self.ttl,
                   "f": fingerprint}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._sign(body)}"

    def read(self, cookie: str) -> SessionData | None:
        """The session in ``cookie``, or None if it is forged, expired or revoked."""
        body, _, signature = cookie.partition(".")
        try:
            if not hmac.compare_digest(signature, self._sign(body)):
                return None
            payload = json.loads(_unb64(body))
            data = SessionData(user_id=int(payload["u"]), session_id=str(payload["s"]),
                               expires=float(payload["e"]), fingerprint=str(payload["f"]))
        except (ValueError, KeyError, TypeError, UnicodeError):
            return None
        if data.expires < self._clock():
            return None
        with self._lock:
            if data.session_id in self._revoked:
                return None
        return data

    def csrf_token(self, session_id: str) -> str:
        """The CSRF token bound to a session."""
        return self._sign("csrf:" + session_id)

    def check_csrf(self, session_id: str, header: str | None, cookie: str | None) -> bool:
        """True when the header and the cookie both carry the session's CSRF token."""
        if not header or not cookie:
            return False
        expected = self.csrf_token(session_id)
        return hmac.compare_digest(header, expected) and hmac.compare_digest(cookie, expected)

    def revoke(self, data: SessionData) -> None:
        """End a session before it expires."""
        now = self._clock()
        with self._lock:
            self._revoked = {k: v for k, v in self._revoked.items() if v >= now}
            self._revoked[data.session_id] = data.expires


class LoginThrottle:
    """Failed logins per username and per source address over a sliding window."""

    def __init__(self, *, per_user: int, per_source: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_user = per_user
        self.per_source = per_source
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            failures = self._failures[key] = deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def check(self, username: str, source: str) -> None:
        """Raise :class:`Throttled` (429, with Retry-After) if either counter is exhausted."""
        now = self._clock()
        with self._lock:
            for key, limit, field in ((f"user:{username.lower()}", self.per_user, "username"),
                                      (f"source:{source}", self.per_source, "source")):
                failures = self._recent(key, now)
                if len(failures) >= limit:
                    wait = max(1, int(failures[0] + self.window - now + 0.999))
                    raise Throttled(f"too many failed logins for this {field}; retry in "
                                    f"{wait} s", field=field,
                                    headers={"Retry-After": str(wait)})

    def failed(self, username: str, source: str) -> None:
        """Count a failed login."""
        now = self._clock()
        with self._lock:
            self._recent(f"user:{username.lower()}", now).append(now)
            self._recent(f"source:{source}", now).append(now)

    def succeeded(self, username: str) -> None:
        """A successful login clears the username's failures (not the source's)."""
        with self._lock:
            self._failures.pop(f"user:{username.lower()}", None)
