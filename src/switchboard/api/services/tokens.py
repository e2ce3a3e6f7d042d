"""API tokens: created for a user (shown once), listed, revoked; every change audited."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from switchboard.api.errors import NotFound
from switchboard.api.schemas.common import PageOut
from switchboard.api.schemas.users import TokenCreate, TokenCreated, TokenPublic, TokenQuery
from switchboard.api.security import Principal
from switchboard.api.services import audit
from switchboard.store.credentials import new_token
from switchboard.store.models import ApiToken, User, utcnow

__all__ = ["create_token", "list_tokens", "revoke_token"]


def list_tokens(db: Session, user: User, query: TokenQuery) -> PageOut[TokenPublic]:
    """The user's tokens (revoked ones included), newest first."""
    select = sa.select(ApiToken).where(ApiToken.user_id == user.id)
    total = db.scalar(sa.select(sa.func.count()).select_from(select.subquery())) or 0
    rows = db.scalars(select.order_by(ApiToken.id.desc()).limit(query.limit)
                      .offset(query.offset))
    return PageOut[TokenPublic](items=[TokenPublic.model_validate(r) for r in rows],
                                total=total, limit=query.limit, offset=query.offset)


def create_token(db: Session, actor: Principal, user: User, body: TokenCreate) -> TokenCreated:
    """A new token for ``user``; the only time the token itself is shown."""
    token, prefix, token_hash = new_token()
    expires = None if body.expires_in_days is None else \
        utcnow() + dt.timedelta(days=body.expires_in_days)
    row = ApiToken(user_id=user.id, name=body.name, prefix=prefix, token_hash=token_hash,
                   expires_at=expires)
    db.add(row)
    db.flush()
    public = TokenPublic.model_validate(row)
    audit.record(db, actor, action="create", object_type="api_token", object_id=row.id,
                 tenant_id=user.tenant_id, after=public.model_dump(mode="json"))
    db.commit()
    return TokenCreated(token=token, **public.model_dump())


def revoke_token(db: Session, actor: Principal, user: User, token_id: int) -> None:
    """Revoke one of ``user``'s tokens (idempotent)."""
    row = db.scalars(sa.select(ApiToken).where(ApiToken.id == token_id,
                                               ApiToken.user_id == user.id)).first()
    if row is None:
        raise NotFound(f"no token {token_id}", field="token_id")
    if row.revoked_at is not None:
        return
    before = TokenPublic.model_validate(row).model_dump(mode="json")
    row.revoked_at = utcnow()
    db.flush()
    audit.record(db, actor, action="revoke", object_type="api_token", object_id=row.id,
                 tenant_id=user.tenant_id, before=before,
                 after=TokenPublic.model_validate(row).model_dump(mode="json"))
    db.commit()
