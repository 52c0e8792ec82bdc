"""The access report: who viewed, previewed or downloaded which record, read from the audit
trail, per record, per person and per period, for records managers.

Read-only. It lists only the accesses to records the asker may see, so an access to a record
beyond them is neither listed nor counted: the report answers as if it had never happened
(`edrm.access.visible_document_ids`). Which accesses are in the trail at all is the
`audit_all_views` setting's choice (edrm.documents.service.note_view): every download, every
view and preview of a record above OFFICIAL, and with the setting on every other view too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, require_records_manager, visible_document_ids
from edrm.audit.chain import AuditEvent
from edrm.audit.search import AuditQuery, statement_for
from edrm.documents.models import Document

#: The trail's actions that are accesses, and what the report calls each.
ACCESSES = {
    "document.view": "viewed",
    "document.preview": "previewed",
    "document.download": "downloaded",
}
#: Entries read from the trail at a time.
CHUNK = 500
#: The columns of the CSV export, in order (the keys of `Access.as_dict`).
COLUMNS = ("at", "person", "access", "document_id", "identifier", "title", "marking", "version")


@dataclass(frozen=True)
class AccessQuery:
    document_id: int | None = None
    person: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive


@dataclass(frozen=True)
class Access:
    at: str
    person: str
    access: str  # viewed | previewed | downloaded
    document_id: int
    identifier: str
    title: str
    marking: str
    version: int | None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in COLUMNS}


@dataclass(frozen=True)
class AccessReport:
    """The accesses, newest first, with their totals by record and by person; `truncated` when
    more matched than the limit let through (the CSV export has them all)."""

    accesses: list[Access] = field(default_factory=list)
    truncated: bool = False

    def by_document(self) -> list[dict[str, Any]]:
        return _totals(self.accesses, lambda a: (a.document_id, a.identifier, a.title))

    def by_person(self) -> list[dict[str, Any]]:
        return _totals(self.accesses, lambda a: (a.person,))

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `edrm audit access --json`."""
        return {
            "accesses": [a.as_dict() for a in self.accesses],
            "by_document": self.by_document(),
            "by_person": self.by_person(),
            "truncated": self.truncated,
        }


def _totals(accesses: list[Access], key: Any) -> list[dict[str, Any]]:
    counts: dict[tuple[Any, ...], Counter[str]] = {}
    people: dict[tuple[Any, ...], set[str]] = {}
    for a in accesses:
        k = key(a)
        counts.setdefault(k, Counter())[a.access] += 1
        people.setdefault(k, set()).add(a.person)
    rows = []
    for k, counter in counts.items():
        row: dict[str, Any] = (
            {"document_id": k[0], "identifier": k[1], "title": k[2], "people": len(people[k])}
            if len(k) == 3
            else {"person": k[0]}
        )
        row.update({kind: counter.get(kind, 0) for kind in ACCESSES.values()})
        row["total"] = sum(counter.values())
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["total"], str(r.get("identifier", r.get("person")))))


def access_report(
    session: Session, query: AccessQuery, *, viewer: Principal, limit: int | None = 1000
) -> AccessReport:
    """The accesses matching `query` that `viewer` (a records manager) may know of, newest
    first; at most `limit` (None: all)."""
    require_records_manager(viewer, "see who looked at records")
    found: list[Access] = []
    for access in _accesses(session, query, viewer):
        if limit is not None and len(found) == limit:
            return AccessReport(found, truncated=True)
        found.append(access)
    return AccessReport(found)


def _accesses(session: Session, query: AccessQuery, viewer: Principal) -> Iterator[Access]:
    trail = AuditQuery(
        actor=query.person,
        object_type="document",
        object_id="" if query.document_id is None else str(query.document_id),
        date_from=query.date_from,
        date_to=query.date_to,
    )
    stmt = statement_for(trail).where(AuditEvent.action.in_(tuple(ACCESSES)))
    before: int | None = None
    while True:
        older = stmt if before is None else stmt.where(AuditEvent.seq < before)
        chunk = list(session.scalars(older.limit(CHUNK)))
        if not chunk:
            return
        ids = {int(e.object_id) for e in chunk if e.object_id.isdigit()}
        shown = visible_document_ids(session, viewer, ids)
        documents = {
            d.id: d for d in session.scalars(select(Document).where(Document.id.in_(sorted(shown))))
        }
        for event in chunk:
            document = documents.get(int(event.object_id)) if event.object_id.isdigit() else None
            if document is None:
                continue
            details = event.details_dict
            yield Access(
                at=event.at,
                person=event.actor,
                access=ACCESSES[event.action],
                document_id=document.id,
                identifier=document.identifier,
                title=document.title,
                marking=str(details.get("marking") or document.marking_value),
                version=details.get("version") if isinstance(details.get("version"), int) else None,
            )
        if len(chunk) < CHUNK:
            return
        before = chunk[-1].seq
