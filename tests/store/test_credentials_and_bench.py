"""Password and token hashing; the append-rate function the benchmark calls."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from switchboard.store import models
from switchboard.store.bench import append_rate, synthetic_events
from switchboard.store.credentials import (
    hash_password,
    hash_token,
    new_token,
    password_needs_rehash,
    verify_password,
)
from switchboard.store.db import create_engine, migrate
from switchboard.store.eventlog import replay


def test_passwords() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horse!")
    assert not verify_password("not a hash", "x")
    assert not password_needs_rehash(stored)
    assert hash_password("correct horse") != stored  # salted


def test_tokens_are_stored_hashed(db_url: URL) -> None:
    engine = create_engine(db_url)
    migrate(engine)
    token, prefix, digest = new_token()
    assert token.startswith("sbt_") and len(token) > 40 and token.startswith(prefix)
    with Session(engine) as session:
        user = models.User(username="ann", role=models.Role.ADMIN,
                           password_hash=hash_password("pw"))
        user.tokens.append(models.ApiToken(prefix=prefix, token_hash=digest))
        session.add(user)
        session.commit()
        found = session.scalars(sa.select(models.ApiToken).where(
            models.ApiToken.token_hash == hash_token(token))).one()
        assert found.user.username == "ann"
        assert token not in str(session.execute(sa.text("SELECT * FROM api_tokens")).all())
    engine.dispose()


def test_synthetic_events_are_a_prefix_of_call_lives() -> None:
    events = list(synthetic_events(20))
    assert len(events) == 20
    assert [type(e).__name__ for e in events[:2]] == ["CallArrived", "CallQueued"]


def test_append_rate_single_batched_and_grouped(db_url: URL) -> None:
    url = db_url.render_as_string(hide_password=False)
    assert append_rate(url, 40) > 0
    assert append_rate(url, 100, batch=32) > 0
    assert append_rate(url, 60, threads=3) > 0
    engine = create_engine(db_url)
    assert [e.id for e in replay(engine)] == list(range(1, 201))
    engine.dispose()
