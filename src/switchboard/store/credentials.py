"""Password and API token hashing for the ``users`` and ``api_tokens`` tables.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
API tokens are long random strings, so a SHA-256 of the token is enough to store (a slow hash
buys nothing against a 256-bit secret) and lets the API find a token by its hash in one query.
"""

from __future__ import annotations

import hashlib
import secrets as _random

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["TOKEN_PREFIX", "hash_password", "hash_token", "new_token", "password_needs_rehash",
           "verify_password"]

TOKEN_PREFIX = "sbt_"
"""Tokens start with this, so that secret scanners can recognise them."""

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (``$argon2id$v=19$...``), for ``users.password_hash``."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; False for a wrong password or a bad hash."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` used weaker parameters than today's (rehash at next login)."""
    return _hasher.check_needs_rehash(stored_hash)


def new_token() -> tuple[str, str, str]:
    """A new API token: ``(token, prefix, token_hash)``. Show ``token`` once; store the rest."""
    token = TOKEN_PREFIX + _random.token_urlsafe(32)
    return token, token[:12], hash_token(token)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in ``api_tokens.token_hash``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
