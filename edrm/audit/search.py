"""Searching the audit trail (for the records managers' page): by actor, action, object and dates.

Read-only: it never changes an entry. Dates compare on the ISO timestamps the trail stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.audit.chain import AuditEvent


@dataclass(frozen=True)
class AuditQuery:
    actor: str = ""
    action: str = ""  # an exact action, or a prefix ending in "." (e.g. "hold.")
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    before_seq: int | None = None  # paging: entries older than this one

    @property
    def empty(self) -> bool:
        return not any(
            (self.actor, self.action, self.object_type, self.object_id, self.date_from)
        ) and (self.date_to is None)


def search_audit(session: Session, query: AuditQuery, *, limit: int = 50) -> list[AuditEvent]:
    """Matching entries, newest first, at most `limit` (ask again with `before_seq` for more)."""
    stmt = select(AuditEvent)
    if query.actor:
        stmt = stmt.where(AuditEvent.actor == query.actor)
    if query.action:
        if query.action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(query.action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == query.action)
    if query.object_type:
        stmt = stmt.where(AuditEvent.object_type == query.object_type)
    if query.object_id:
        stmt = stmt.where(AuditEvent.object_id == query.object_id)
    if query.date_from is not None:
        stmt = stmt.where(AuditEvent.at >= query.date_from.isoformat())
    if query.date_to is not None:
        stmt = stmt.where(AuditEvent.at < (query.date_to + timedelta(days=1)).isoformat())
    if query.before_seq is not None:
        stmt = stmt.where(AuditEvent.seq < query.before_seq)
    return list(session.scalars(stmt.order_by(AuditEvent.seq.desc()).limit(limit)))


def known_actions(session: Session) -> list[str]:
    """Every action the trail holds, for the filter's list."""
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
