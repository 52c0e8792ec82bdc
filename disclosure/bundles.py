"""A request's bundle: the records found for it, each under the request's hold.

Records are added one by one (`edrm request add --doc`) or in bulk from a search run as the
case officer (every hit). Only records the person adding them may see are added: an id they may
not see is refused exactly like one that does not exist.

Crash story: the bundle rows, the request hold's items (through disclosure.request_holds), the
request's event and the audit entries are written in the caller's one transaction, so a crash
leaves either the records in the bundle *and* held, or neither; adding a record already in the
bundle is a no-op, so a repeated command does nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from disclosure.models import LIVE_STATUSES, BundleItem, InformationRequest
from disclosure.request_events import record_event
from disclosure.request_holds import request_holds
from disclosure.requests import STATUS_LABELS, get_request
from edrm import clock
from edrm.access import WITHHELD, Principal, visible_document_ids
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError

_CHUNK = 900
#: The most records one call adds (a search's hits are paged up to this).
MAX_ADD = 5000


@dataclass(frozen=True)
class Added:
    """What an add did: the ids newly in the bundle and those that were there already."""

    added: list[int]
    already: list[int]


def bundle_document_ids(session: Session, request_id: int) -> list[int]:
    return list(
        session.scalars(
            select(BundleItem.document_id)
            .where(BundleItem.request_id == request_id)
            .order_by(BundleItem.added_at, BundleItem.document_id)
        )
    )


def _live_documents(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """{id: status} of the documents among `ids` that exist."""
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = session.execute(select(Document.id, Document.status).where(Document.id.in_(chunk)))
        found.update((row[0], row[1]) for row in rows)
    return found


def add_records(
    session: Session,
    actor: Principal,
    ref: int | str,
    document_ids: Iterable[int],
    *,
    search_id: int | None = None,
) -> Added:
    """Add records to the request's bundle and put them under its hold. Refused as a whole
    when any id is not a record the person may see, or one has been destroyed."""
    request = get_request(session, actor, ref)
    if request.status not in LIVE_STATUSES:
        raise RefusedError(
            f"request {request.reference} is {STATUS_LABELS[request.status].lower()}: "
            "records cannot be added to it"
        )
    wanted = sorted(set(document_ids))
    if not wanted:
        raise InvalidInputError("give at least one record to add")
    if len(wanted) > MAX_ADD:
        raise InvalidInputError(f"at most {MAX_ADD:,} records can be added at once")
    visible = visible_document_ids(session, actor, wanted)
    missing = [d for d in wanted if d not in visible]
    if missing:
        raise NotFoundError(f"document {missing[0]} not found")
    statuses = _live_documents(session, wanted)
    destroyed = [d for d in wanted if statuses.get(d) == "destroyed"]
    if destroyed:
        raise RefusedError(f"document {destroyed[0]} has been destroyed; nothing is left to add")
    have = set(bundle_document_ids(session, request.id))
    new = [d for d in wanted if d not in have]
    if new:
        now = clock.now()
        session.execute(
            insert(BundleItem),
            [
                {
                    "request_id": request.id,
                    "document_id": d,
                    "added_at": now,
                    "added_by": actor.username,
                    "search_id": search_id,
                }
                for d in new
            ],
        )
    protect(session, request, actor.username)
    if new:
        details: dict[str, Any] = {"documents": new}
        if search_id is not None:
            details["search"] = search_id
        record_event(session, request, "add", actor.username, details)
    return Added(added=new, already=[d for d in wanted if d in have])


def protect(session: Session, request: InformationRequest, actor: str) -> None:
    """Make the request's hold cover every record in its bundle (placing it, or putting it
    back in force, when needed)."""
    ids = bundle_document_ids(session, request.id)
    if not ids:
        return
    request.hold_id = request_holds().hold(
        session, reference=request.reference, document_ids=ids, actor=actor, hold_id=request.hold_id
    )
    request.hold_lifted_at = None


def bundle_rows(session: Session, viewer: Principal, request_id: int) -> list[dict[str, Any]]:
    """The bundle's records for a page or JSON: title, marking and status for those the viewer
    may see; the rest only as withheld."""
    items = list(
        session.scalars(
            select(BundleItem)
            .where(BundleItem.request_id == request_id)
            .order_by(BundleItem.added_at, BundleItem.document_id)
        )
    )
    ids = [i.document_id for i in items]
    visible = visible_document_ids(session, viewer, ids)
    docs: dict[int, Document] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = [d for d in ids[start : start + _CHUNK] if d in visible]
        if chunk:
            docs.update(
                (d.id, d) for d in session.scalars(select(Document).where(Document.id.in_(chunk)))
            )
    rows = []
    for item in items:
        doc = docs.get(item.document_id)
        rows.append(
            {
                "document_id": item.document_id if doc is not None else None,
                "title": doc.title if doc is not None else WITHHELD,
                "marking": doc.marking_value if doc is not None else None,
                "status": doc.status if doc is not None else None,
                "withheld": doc is None,
                "added_at": item.added_at.isoformat(),
                "added_by": item.added_by,
                "search_id": item.search_id,
            }
        )
    return rows
