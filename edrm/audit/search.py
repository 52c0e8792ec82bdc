"""Searching the audit trail (for the records managers' page and `edrm audit log`): by actor,
action, object and dates, as one person sees it.

Read-only: it never changes an entry. Dates compare on the ISO timestamps the trail stores.
An entry naming a document or file-plan node the person may not see, or an HR event for
someone not in HR, is not shown and not counted (`edrm.access.may_see_audit_event`): the
search reads the trail newest first in chunks and keeps what the person may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from edrm.access import (
    Principal,
    may_know_hr_matters,
    may_see_audit_event,
    visible_document_ids,
    visible_node_codes,
)
from edrm.audit.chain import AuditEvent
from edrm.audit.subjects import AuditSubject, is_hr_only_action, subject_of

#: Entries read per query while looking for ones the person may see.
CHUNK = 200
#: At most this many entries are read for one page; the page then offers "older entries" from
#: where it stopped (a person who may see little of a long trail pages through it).
SCAN_LIMIT = 5000


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


@dataclass(frozen=True)
class AuditPage:
    """The entries shown, newest first, and where older ones start (None: there are none)."""

    entries: list[AuditEvent] = field(default_factory=list)
    older_than: int | None = None


def statement_for(query: AuditQuery) -> Select[Any]:
    """The trail's entries matching `query`, newest first (not yet trimmed to a viewer)."""
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
    return stmt.order_by(AuditEvent.seq.desc())


def entry_subject(event: AuditEvent) -> AuditSubject:
    return subject_of(event.action, event.object_type, event.object_id, event.details_dict)


def visible_entries(
    session: Session, viewer: Principal, events: Sequence[AuditEvent]
) -> list[AuditEvent]:
    """The entries among `events` the person may see, in the same order."""
    if viewer.is_system:
        return list(events)
    subjects = [entry_subject(e) for e in events]
    named = {d for s in subjects for d in s.documents}
    documents = visible_document_ids(session, viewer, named)
    nodes = visible_node_codes(session, viewer) if any(s.nodes for s in subjects) else set()
    return [
        e
        for e, s in zip(events, subjects, strict=True)
        if may_see_audit_event(viewer, s, visible_documents=documents, visible_nodes=nodes)
    ]


def search_audit(
    session: Session,
    query: AuditQuery,
    *,
    viewer: Principal,
    limit: int = 50,
    scan_limit: int = SCAN_LIMIT,
) -> AuditPage:
    """The newest `limit` matching entries the person may see (ask again with `before_seq`
    set to `older_than` for more)."""
    stmt = statement_for(query)
    shown: list[AuditEvent] = []
    before, scanned = query.before_seq, 0
    while True:
        chunk_stmt = stmt if before is None else stmt.where(AuditEvent.seq < before)
        chunk: list[AuditEvent] = list(session.scalars(chunk_stmt.limit(CHUNK)))
        if not chunk:
            return AuditPage(shown, None)
        for event in visible_entries(session, viewer, chunk):
            if len(shown) == limit:  # one more exists: the page ends at the last shown
                return AuditPage(shown, shown[-1].seq)
            shown.append(event)
        before, scanned = chunk[-1].seq, scanned + len(chunk)
        if len(chunk) < CHUNK:
            return AuditPage(shown, None)
        if scanned >= scan_limit:
            return AuditPage(shown, before)


def known_actions(session: Session, viewer: Principal) -> list[str]:
    """Every action the trail holds that the person may see entries of, for the filter's list."""
    actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    hr = may_know_hr_matters(viewer)
    return [a for a in actions if hr or not is_hr_only_action(a)]


def entry_as_dict(event: AuditEvent) -> dict[str, Any]:
    """The JSON shape of `edrm audit log --json`."""
    return {
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "object": f"{event.object_type}:{event.object_id}",
        "details": event.details_dict,
    }
