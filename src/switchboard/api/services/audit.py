"""The audit log: every configuration change, with who, when, what, and the object before/after.

Entries are added to the request's own session, so an entry is written exactly when the change
it describes is committed (and never for a refused request).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from switchboard.api.security import Principal
from switchboard.store.models import AuditEntry

__all__ = ["record"]


def record(session: Session, principal: Principal | None, *, action: str, object_type: str,
           object_id: object = "", tenant_id: int | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           actor: str | None = None) -> AuditEntry:
    """Add an audit entry to ``session`` (committed with the change it describes)."""
    entry = AuditEntry(
        tenant_id=tenant_id,
        user_id=principal.user_id if principal is not None else None,
        actor=actor or (principal.username if principal is not None else "system"),
        action=action, object_type=object_type, object_id=str(object_id),
        before=before, after=after)
    session.add(entry)
    return entry
