"""Retention events: something that happened to a folder or a record on a date (e.g.
`employee_left`, `contract_ended`) and starts the clock of rules triggered by `event:<name>`.

An event must name exactly one target: a folder (it then applies to every record in it and in
its sub-folders) or one record.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, get_visible_document, may_see_node
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.people.roles import Role
from retention.loader import EVENT_RE
from retention.models import RetentionEvent
from retention.schedule import fy_start_month
from retention.sweep import recompute

MAX_NOTE = 2000


def may_record_events(actor: Principal) -> bool:
    """Records managers, administrators and HR (who know when people leave)."""
    return actor.manages_records or actor.role is Role.HR


def _subtree_ids(session: Session, root_id: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for node_id, parent_id in session.execute(select(FilePlanNode.id, FilePlanNode.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(node_id)
    found, stack = [], [root_id]
    while stack:
        node_id = stack.pop()
        found.append(node_id)
        stack.extend(children.get(node_id, ()))
    return found


def _check_event(
    name: str,
    occurred_on: date,
    note: str,
    actor: Principal,
    folder_code: str | None,
    document_id: int | None,
) -> None:
    if not EVENT_RE.match(name):
        raise InvalidInputError(
            f"event name {name!r}: use lower-case letters, digits and underscores, "
            "e.g. employee_left"
        )
    if (folder_code is None or not folder_code.strip()) == (document_id is None):
        raise InvalidInputError(
            "an event must name what it applies to: exactly one folder (--folder CODE) "
            "or one record (--doc ID)"
        )
    if not isinstance(occurred_on, date):
        raise InvalidInputError("the event needs the date it happened on")
    if occurred_on > clock.now().date():
        raise InvalidInputError(f"the event date {occurred_on.isoformat()} is in the future")
    if len(note) > MAX_NOTE:
        raise InvalidInputError(f"the note is too long (at most {MAX_NOTE} characters)")
    if not may_record_events(actor):
        raise RefusedError("only records managers and HR may record retention events")


def _event_folder(session: Session, actor: Principal, code: str) -> FilePlanNode:
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))
    if node is None or not may_see_node(actor, node):
        raise NotFoundError(f"file-plan node {code!r} not found")
    if not node.is_folder:
        raise InvalidInputError(
            f"{code!r} is a {node.kind_value}: events are recorded for a folder or a record"
        )
    return node


def _event_record(session: Session, actor: Principal, document_id: int) -> Document:
    document = get_visible_document(session, actor, document_id)
    if document.status != "filed":
        raise InvalidInputError(
            f"document {document_id} is {document.status}: events apply to filed records"
        )
    return document


def _records_reached(
    session: Session, node: FilePlanNode | None, document: Document | None
) -> list[int]:
    """The filed records an event reaches: the record, or everything in the folder's subtree."""
    if node is None:
        return [document.id] if document is not None else []
    node_ids = _subtree_ids(session, node.id)
    return list(
        session.scalars(
            select(Document.id).where(Document.node_id.in_(node_ids), Document.status == "filed")
        )
    )


def record_event(
    session: Session,
    name: str,
    *,
    occurred_on: date,
    folder_code: str | None = None,
    document_id: int | None = None,
    actor: Principal,
    note: str = "",
) -> RetentionEvent:
    """Record that `name` happened on `occurred_on` to a folder or a record; the records it
    reaches get their due dates recomputed. Audited."""
    name = (name or "").strip()
    _check_event(name, occurred_on, note, actor, folder_code, document_id)
    node: FilePlanNode | None = None
    document: Document | None = None
    if folder_code is not None and folder_code.strip():
        node = _event_folder(session, actor, folder_code.strip())
    else:
        assert document_id is not None
        document = _event_record(session, actor, document_id)
    event = RetentionEvent(
        name=name,
        node_id=node.id if node else None,
        document_id=document.id if document else None,
        occurred_on=occurred_on,
        note=note.strip(),
        recorded_at=clock.now(),
        recorded_by=actor.username,
    )
    session.add(event)
    session.flush()
    reached = _records_reached(session, node, document)
    recompute(session, fy_start_month=fy_start_month(session), document_ids=reached)
    audit.record(
        session,
        actor.username,
        "retention.event",
        "folder" if node is not None else "document",
        node.code if node is not None else str(document_id),
        {
            "event_id": event.id,
            "name": name,
            "occurred_on": occurred_on.isoformat(),
            "note": event.note,
            "records": len(reached),
        },
    )
    return event


def event_as_dict(event: RetentionEvent, folder_code: str | None = None) -> dict[str, object]:
    return {
        "id": event.id,
        "name": event.name,
        "occurred_on": event.occurred_on.isoformat(),
        "folder": folder_code,
        "document_id": event.document_id,
        "note": event.note,
        "recorded_at": event.recorded_at.isoformat(),
        "recorded_by": event.recorded_by,
    }


def list_events(session: Session, *, limit: int = 100, offset: int = 0) -> list[dict[str, object]]:
    """Events, newest first: `limit` of them from `offset` in that order."""
    rows = session.execute(
        select(RetentionEvent, FilePlanNode.code)
        .outerjoin(FilePlanNode, FilePlanNode.id == RetentionEvent.node_id)
        .order_by(RetentionEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [event_as_dict(event, code) for event, code in rows]
