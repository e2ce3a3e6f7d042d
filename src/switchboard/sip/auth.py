"""HTTP Digest authentication for SIP (RFC 3261 §22.4, RFC 2617, RFC 7616, RFC 8760).

Server side: :class:`DigestVerifier` builds ``WWW-Authenticate`` / ``Proxy-Authenticate``
challenges and verifies ``Authorization`` / ``Proxy-Authorization`` credentials.  Nonces are
self-validating: ``base64url(issue time ‖ random ‖ HMAC-SHA256(secret, time ‖ random))``, so they
need no storage to check, and expire; an expired nonce carrying an otherwise correct response
gets ``stale=true`` (RFC 7616 §3.3) so the client retries without asking the user.  Nonce counts
(``nc``) must increase per nonce to stop replays (RFC 7616 §3.4).

Every failure looks the same to the caller and costs the same: when the user is unknown the
response is still computed, against a dummy HA1, and compared in constant time.

Client side: :func:`answer_challenge` computes the credentials that answer a challenge.

Randomness is injected (``random_bytes``), time is a parameter (``now``): nothing here does I/O.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from ._grammar import Scanner, is_token, quote, split_commas
from .errors import ParseError

__all__ = [
    "AuthResult",
    "Challenge",
    "Credentials",
    "DigestVerifier",
    "answer_challenge",
    "choose_challenge",
    "compute_ha1",
    "digest_response",
    "parse_challenge",
    "parse_credentials",
]

#: Hash functions by base algorithm name (RFC 7616 §6.1); "-sess" variants share them.
_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
}
#: Client preference, strongest first.
_PREFERENCE = ("SHA-256", "SHA-256-sess", "MD5", "MD5-sess")


def _base(algorithm: str) -> tuple[Callable[[bytes], str], bool]:
    upper = algorithm.upper()
    sess = upper.endswith("-SESS")
    name = upper[:-5] if sess else upper
    for known, fn in _HASHES.items():
        if known.upper() == name:
            return fn, sess
    raise ParseError(f"unsupported digest algorithm {algorithm!r}")


def _h(algorithm: str, text: str) -> str:
    return _base(algorithm)[0](text.encode("utf-8"))


def compute_ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """``H(username ":" realm ":" password)`` — what a user store keeps per algorithm."""
    return _h(algorithm, f"{username}:{realm}:{password}")


def digest_response(
    *,
    ha1: str,
    nonce: str,
    method: str,
    uri: str,
    algorithm: str = "MD5",
    qop: str | None = None,
    nc: str | None = None,
    cnonce: str | None = None,
) -> str:
    """The ``response`` value (RFC 7616 §3.4.1; RFC 2617 §3.2.2.1 when ``qop`` is None).

    ``ha1`` is the plain H(user:realm:password); the "-sess" transformation is applied here.
    Only ``qop=auth`` is implemented (SIP bodies are not integrity-protected here).
    """
    if _base(algorithm)[1]:
        ha1 = _h(algorithm, f"{ha1}:{nonce}:{cnonce or ''}")
    ha2 = _h(algorithm, f"{method}:{uri}")
    if qop is None:
        return _h(algorithm, f"{ha1}:{nonce}:{ha2}")
    if qop != "auth":
        raise ValueError(f"qop {qop!r} is not supported (only 'auth')")
    if nc is None or cnonce is None:
        raise ValueError("qop=auth requires nc and cnonce")
    return _h(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


# ----------------------------------------------------------------------------------------------
# Header values


def _parse_auth_header(value: str, what: str) -> dict[str, str]:
    """``Digest`` LWS auth-param *(COMMA auth-param); returns lower-case names -> values."""
    s = Scanner(value, what)
    s.skip_ws()
    scheme = s.token("authentication scheme")
    if scheme.lower() != "digest":
        raise ParseError(f"{what}: unsupported authentication scheme {scheme!r}")
    if not s.skip_ws():
        raise s.error("expected whitespace after the scheme")
    params: dict[str, str] = {}
    for item in split_commas(s.text[s.pos :]):
        p = Scanner(item, what)
        name = p.token("parameter name").lower()
        p.skip_ws()
        p.expect("=")
        p.skip_ws()
        param_value = p.quoted_string() if p.peek() == '"' else p.token("parameter value")
        p.skip_ws()
        if not p.at_end():
            raise p.error(f"unexpected {p.text[p.pos:]!r} after parameter {name}")
        if name in params:
            raise ParseError(f"{what}: parameter {name} appears twice")
        params[name] = param_value
    return params


def _require(params: dict[str, str], name: str, what: str) -> str:
    value = params.get(name)
    if value is None:
        raise ParseError(f"{what}: missing {name} parameter")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    """A Digest challenge (``WWW-Authenticate`` / ``Proxy-Authenticate`` value)."""

    #: Protection space.
    realm: str
    #: Server nonce.
    nonce: str
    #: "MD5", "SHA-256", or a "-sess" variant.
    algorithm: str = "MD5"
    #: qop options offered; empty for an RFC 2069-style challenge.
    qop: tuple[str, ...] = ("auth",)
    #: Opaque data to be returned unchanged.
    opaque: str | None = None
    #: True when the previous request failed only because its nonce was stale.
    stale: bool = False

    def serialize(self) -> str:
        """The header value."""
        parts = [f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}",
                 f"algorithm={self.algorithm}"]
        if self.qop:
            parts.append(f"qop={quote(','.join(self.qop))}")
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        if self.stale:
            parts.append("stale=true")
        return "Digest " + ", ".join(parts)


def parse_challenge(value: str) -> Challenge:
    """Parse a Digest challenge; ParseError for other schemes or missing realm / nonce."""
    params = _parse_auth_header(value, "challenge")
    qop = tuple(q.strip() for q in params["qop"].split(",") if q.strip()) if "qop" in params \
        else ()
    return Challenge(
        realm=_require(params, "realm", "challenge"),
        nonce=_require(params, "nonce", "challenge"),
        algorithm=params.get("algorithm", "MD5"),
        qop=qop,
        opaque=params.get("opaque"),
        stale=params.get("stale", "false").lower() == "true",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """Digest credentials (``Authorization`` / ``Proxy-Authorization`` value)."""

    username: str
    realm: str
    nonce: str
    #: The digest-uri: the Request-URI as the client saw it.
    uri: str
    #: The hex response.
    response: str
    algorithm: str = "MD5"
    #: Client nonce (required with qop).
    cnonce: str | None = None
    #: Nonce count, 8 hex digits (required with qop).
    nc: str | None = None
    #: "auth", or None for RFC 2069 legacy.
    qop: str | None = None
    opaque: str | None = None

    def serialize(self) -> str:
        """The header value."""
        parts = [
            f"username={quote(self.username)}", f"realm={quote(self.realm)}",
            f"nonce={quote(self.nonce)}", f"uri={quote(self.uri)}",
            f"response={quote(self.response)}", f"algorithm={self.algorithm}",
        ]
        if self.qop is not None:
            parts.append(f"qop={self.qop}")
            parts.append(f"nc={self.nc}")
            parts.append(f"cnonce={quote(self.cnonce or '')}")
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        return "Digest " + ", ".join(parts)


def parse_credentials(value: str) -> Credentials:
    """Parse Digest credentials; ParseError for other schemes (RFC 4475 §3.3.7) or bad fields."""
    what = "credentials"
    params = _parse_auth_header(value, what)
    qop = params.get("qop")
    nc = params.get("nc")
    cnonce = params.get("cnonce")
    if qop is not None:
        if nc is None or cnonce is None:
            raise ParseError(f"{what}: qop requires nc and cnonce")
        if len(nc) != 8 or not all(ch in "0123456789abcdefABCDEF" for ch in nc):
            raise ParseError(f"{what}: nc {nc!r} is not 8 hex digits")
        if not is_token(qop):
            raise ParseError(f"{what}: qop {qop!r} is not a token")
    return Credentials(
        username=_require(params, "username", what),
        realm=_require(params, "realm", what),
        nonce=_require(params, "nonce", what),
        uri=_require(params, "uri", what),
        response=_require(params, "response", what),
        algorithm=params.get("algorithm", "MD5"),
        cnonce=cnonce,
        nc=nc,
        qop=qop,
        opaque=params.get("opaque"),
    )


# ----------------------------------------------------------------------------------------------
# Client


def choose_challenge(challenges: list[Challenge]) -> Challenge:
    """The challenge to answer: the strongest supported algorithm (RFC 8760 §2.4, §3)."""
    for algorithm in _PREFERENCE:
        for challenge in challenges:
            if challenge.algorithm.upper() == algorithm.upper():
                return challenge
    names = ", ".join(c.algorithm for c in challenges) or "none"
    raise ParseError(f"no supported digest algorithm among: {names}")


def answer_challenge(
    challenge: Challenge,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str,
    nc: int = 1,
) -> Credentials:
    """Credentials answering ``challenge`` for a request ``method`` to ``uri``.

    Uses ``qop=auth`` when offered, the RFC 2069 form otherwise.  ``cnonce`` is supplied by the
    caller (fresh and random per nonce); ``nc`` counts requests made with this nonce, from 1.
    """
    qop = "auth" if "auth" in challenge.qop else None
    nc_text = f"{nc:08x}" if qop else None
    ha1 = compute_ha1(username, challenge.realm, password, challenge.algorithm)
    response = digest_response(
        ha1=ha1, nonce=challenge.nonce, method=method, uri=uri, algorithm=challenge.algorithm,
        qop=qop, nc=nc_text, cnonce=cnonce if qop else None,
    )
    return Credentials(
        username=username, realm=challenge.realm, nonce=challenge.nonce, uri=uri,
        response=response, algorithm=challenge.algorithm, cnonce=cnonce if qop else None,
        nc=nc_text, qop=qop, opaque=challenge.opaque,
    )


# ----------------------------------------------------------------------------------------------
# Server


@dataclass(frozen=True, slots=True)
class AuthResult:
    """The verdict on a request's credentials."""

    #: True when the credentials are valid and fresh.
    ok: bool
    #: The authenticated user name (only when ``ok``).
    username: str | None = None
    #: True when the response was right but the nonce had expired: re-challenge with stale=true.
    stale: bool = False


_FAILED = AuthResult(ok=False)
_TIME_BYTES = 8
_RANDOM_BYTES = 12
_MAC_BYTES = 16


class DigestVerifier:
    """Server-side Digest: challenges, nonces, verification, replay protection."""

    def __init__(
        self,
        *,
        realm: str,
        secret: bytes,
        lifetime: float = 300.0,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
        allow_rfc2069: bool = True,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if len(secret) < 16:
            raise ValueError("the nonce secret must be at least 16 bytes")
        for algorithm in algorithms:
            _base(algorithm)
        self.realm = realm
        self.lifetime = lifetime
        self.algorithms = algorithms
        self.allow_rfc2069 = allow_rfc2069
        self._secret = secret
        self._random_bytes = random_bytes
        self._dummy = {a: _h(a, secret.hex() + ":dummy") for a in algorithms}
        # nonce -> (issued at, highest nc seen); insertion order ~ issue order.
        self._seen: collections.OrderedDict[str, tuple[float, int]] = collections.OrderedDict()

    # nonces --------------------------------------------------------------------------------

    def make_nonce(self, now: float) -> str:
        """A fresh nonce embedding ``now`` and authenticated with the secret."""
        stamp = int(now * 1000).to_bytes(_TIME_BYTES, "big", signed=True)
        payload = stamp + self._random_bytes(_RANDOM_BYTES)
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(payload + mac).decode("ascii")

    def nonce_issued_at(self, nonce: str) -> float | None:
        """When the nonce was issued, or None if it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(nonce.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return None
        if len(raw) != _TIME_BYTES + _RANDOM_BYTES + _MAC_BYTES:
            return None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        expected = hmac.new(self._secret, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        if not hmac.compare_digest(mac, expected):
            return None
        return int.from_bytes(payload[:_TIME_BYTES], "big", signed=True) / 1000.0

    # challenges ----------------------------------------------------------------------------

    def challenges(self, now: float, *, stale: bool = False) -> list[Challenge]:
        """One challenge per algorithm, preferred first, sharing one fresh nonce (RFC 8760)."""
        nonce = self.make_nonce(now)
        return [
            Challenge(realm=self.realm, nonce=nonce, algorithm=a, qop=("auth",), stale=stale)
            for a in self.algorithms
        ]

    def challenge_headers(self, now: float, *, proxy: bool = False, stale: bool = False
                          ) -> list[tuple[str, str]]:
        """Header fields for a 401 (``WWW-Authenticate``) or 407 (``Proxy-Authenticate``)."""
        name = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        return [(name, c.serialize()) for c in self.challenges(now, stale=stale)]

    # verification --------------------------------------------------------------------------

    def verify(
        self,
        credentials: str | Credentials,
        *,
        method: str,
        uri: str,
        now: float,
        lookup_ha1: Callable[[str, str, str], str | None],
    ) -> AuthResult:
        """Check credentials sent with a request ``method`` whose Request-URI is ``uri``.

        ``lookup_ha1(username, realm, algorithm)`` returns the stored HA1 for the algorithm's
        hash ("MD5" or "SHA-256"), or None for an unknown user.  Unknown user, wrong password,
        foreign or forged nonce, replayed nc and malformed credentials all give the same
        ``AuthResult(ok=False)``; a correct response on an expired nonce gives ``stale=True``.
        """
        if isinstance(credentials, str):
            try:
                credentials = parse_credentials(credentials)
            except ParseError:
                return _FAILED
        algorithm = next(
            (a for a in self.algorithms if a.upper() == credentials.algorithm.upper()), None
        )
        if algorithm is None or credentials.realm != self.realm or credentials.uri != uri:
            return _FAILED
        if credentials.qop is None:
            if not self.allow_rfc2069:
                return _FAILED
        elif credentials.qop != "auth":
            return _FAILED
        issued = self.nonce_issued_at(credentials.nonce)
        base = "SHA-256" if algorithm.upper().startswith("SHA-256") else "MD5"
        stored = lookup_ha1(credentials.username, self.realm, base)
        ha1 = stored if stored is not None else self._dummy[algorithm]
        expected = digest_response(
            ha1=ha1, nonce=credentials.nonce, method=method, uri=credentials.uri,
            algorithm=algorithm, qop=credentials.qop, nc=credentials.nc,
            cnonce=credentials.cnonce,
        )
        matches = hmac.compare_digest(expected, credentials.response.lower())
        if not matches or stored is None or issued is None or issued > now + 1.0:
            return _FAILED
        if now - issued > self.lifetime:
            return AuthResult(ok=False, stale=True)
        if credentials.nc is not None and not self._accept_nc(credentials.nonce, issued,
                                                              int(credentials.nc, 16), now):
            return _FAILED
        return AuthResult(ok=True, username=credentials.username)

    def _accept_nc(self, nonce: str, issued: float, nc: int, now: float) -> bool:
        while self._seen:
            oldest, (when, _) = next(iter(self._seen.items()))
            if now - when <= self.lifetime:
                break
            del self._seen[oldest]
        previous = self._seen.get(nonce)
        if previous is not None and nc <= previous[1]:
            return False  # RFC 7616 §3.4: a repeated or smaller nc is a replay
        self._seen[nonce] = (issued, nc)
        return True
