"""Vital records: the records a department needs to go on working after a disaster (MoReq2010,
ISO 15489). Records managers flag a record as vital and clear the flag, each with a reason;
every vital record is reviewed once a cycle (`vital_review_months`, 12 by default), and the
records managers are reminded of the ones whose review has fallen due. The report lists them
by class, only those the asker may see.

Each change is one row of `vital_records` and one audit entry, in the caller's transaction: a
crash before the commit leaves the flag as it was, after it the change and its audit entry are
both there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import (
    Principal,
    document_filter,
    get_visible_document,
    require_records_manager,
)
from edrm.documents.models import Document
from edrm.errors import InvalidInputError
from edrm.fileplan.models import FilePlanNode
from edrm.notifications.kinds import VITAL_REVIEW_DUE
from edrm.notifications.outbox import MAX_DOCUMENTS, notify
from edrm.notifications.recipients import usernames_with_role
from edrm.people.roles import Role
from retention.models import VitalRecord
from retention.rules import add_months

REPORT_PATH = "/records-management/vital"


@dataclass(frozen=True)
class VitalEntry:
    """One line of the vital-records report."""

    document_id: int
    identifier: str
    title: str
    class_code: str
    reason: str
    set_by: str
    set_at: str
    review_due: date
    overdue: bool


def _reason(reason: str, what: str) -> str:
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInputError(f"give a reason to {what}")
    return cleaned


def vital_of(session: Session, document_id: int) -> VitalRecord | None:
    """The record's vital flag (None: it is not vital). For a record the caller may see."""
    return session.get(VitalRecord, document_id)


def vital_as_dict(flag: VitalRecord | None) -> dict[str, Any]:
    """The `vital` keys of `edrm doc show --json` and `edrm doc vital --json`."""
    if flag is None:
        return {"vital": False, "vital_reason": None, "vital_review_due": None}
    return {
        "vital": True,
        "vital_reason": flag.reason,
        "vital_review_due": flag.review_due.isoformat(),
    }


def set_vital(
    session: Session, document_id: int, reason: str, *, actor: Principal, cycle_months: int
) -> VitalRecord:
    """Flag a record as vital (again: a new reason, and the review cycle starts afresh)."""
    require_records_manager(actor, "mark records as vital")
    document = get_visible_document(session, actor, document_id)
    why = _reason(reason, "mark a record as vital")
    if document.status == "destroyed":
        raise InvalidInputError(f"document {document_id} has been destroyed: it cannot be vital")
    now = clock.now()
    flag = session.get(VitalRecord, document_id)
    if flag is None:
        flag = VitalRecord(document_id=document_id)
        session.add(flag)
    flag.reason, flag.set_by, flag.set_at = why, actor.username, now
    flag.review_due = add_months(now.date(), cycle_months)
    flag.reviewed_by = flag.reviewed_at = None
    audit.record(
        session,
        actor.username,
        "document.vital_set",
        "document",
        document_id,
        {"reason": why, "review_due": flag.review_due.isoformat()},
    )
    session.flush()
    return flag


def clear_vital(session: Session, document_id: int, reason: str, *, actor: Principal) -> None:
    """Take the vital flag off a record, with the reason."""
    require_records_manager(actor, "clear a record's vital flag")
    get_visible_document(session, actor, document_id)
    why = _reason(reason, "clear a record's vital flag")
    flag = session.get(VitalRecord, document_id)
    if flag is None:
        raise InvalidInputError(f"document {document_id} is not marked as vital")
    session.delete(flag)
    audit.record(
        session, actor.username, "document.vital_clear", "document", document_id, {"reason": why}
    )
    session.flush()


def review_vital(
    session: Session, document_id: int, note: str, *, actor: Principal, cycle_months: int
) -> VitalRecord:
    """Record that a vital record was reviewed and is still vital: the next review is due a
    cycle from today."""
    require_records_manager(actor, "review vital records")
    get_visible_document(session, actor, document_id)
    flag = session.get(VitalRecord, document_id)
    if flag is None:
        raise InvalidInputError(f"document {document_id} is not marked as vital")
    now = clock.now()
    flag.reviewed_by, flag.reviewed_at = actor.username, now
    flag.review_due = add_months(now.date(), cycle_months)
    audit.record(
        session,
        actor.username,
        "document.vital_review",
        "document",
        document_id,
        {"note": note.strip(), "review_due": flag.review_due.isoformat()},
    )
    session.flush()
    return flag


def vital_report(session: Session, viewer: Principal) -> list[VitalEntry]:
    """Every vital record the viewer may see, by class code then title."""
    require_records_manager(viewer, "see the vital-records report")
    today = clock.now().date()
    rows = session.execute(
        select(VitalRecord, Document, FilePlanNode.code)
        .join(Document, Document.id == VitalRecord.document_id)
        .outerjoin(FilePlanNode, FilePlanNode.id == Document.node_id)
        .where(document_filter(session, viewer), Document.status != "destroyed")
    ).all()
    entries = [
        VitalEntry(
            document_id=doc.id,
            identifier=doc.identifier,
            title=doc.title,
            class_code=_class_code(session, doc, code),
            reason=flag.reason,
            set_by=flag.set_by,
            set_at=flag.set_at.isoformat(),
            review_due=flag.review_due,
            overdue=flag.review_due <= today,
        )
        for flag, doc, code in rows
    ]
    return sorted(entries, key=lambda e: (e.class_code, e.title.lower(), e.document_id))


def _class_code(session: Session, document: Document, node_code: str | None) -> str:
    """The class a record is filed in: its node, or the class above its folder."""
    node = document.node
    while node is not None and node.kind_value == "folder":
        node = node.parent
    return node.code if node is not None else (node_code or "")


def remind_reviewers(session: Session) -> int:
    """Tell the records managers of vital records whose review has fallen due (once a day at
    most); how many such records there are."""
    today = clock.now().date()
    due = list(
        session.scalars(
            select(VitalRecord.document_id)
            .where(VitalRecord.review_due <= today)
            .order_by(VitalRecord.review_due, VitalRecord.document_id)
        )
    )
    if not due:
        return 0
    notify(
        session,
        VITAL_REVIEW_DUE,
        usernames_with_role(session, Role.RECORDS_MANAGER),
        summary=(
            f"{len(due)} vital {'record is' if len(due) == 1 else 'records are'} due for "
            "review: confirm each is still vital, or clear its flag with a reason."
        ),
        link=REPORT_PATH,
        document_ids=due[:MAX_DOCUMENTS],
        key=f"vital-review:{today.isoformat()}",
    )
    return len(due)
