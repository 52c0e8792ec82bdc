"""Document services: file a document, add versions, declare a record, move, change metadata.

Every change is audited in the same transaction. Content lives in the blob store; the caller
stores the bytes first (so a crash never leaves a row without its content).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import magic
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError

from edrm import audit, clock
from edrm.access import (
    SYSTEM,
    Principal,
    document_filter,
    get_visible_document,
    may_change_document,
    may_file_into,
)
from edrm.documents import guards
from edrm.documents.filenames import safe_filename, title_from_filename
from edrm.documents.filing import refuse_without_destiny
from edrm.documents.links import drop_link_to, filed_in
from edrm.documents.models import Document, DocumentVersion
from edrm.documents.notices import tell_filer_of_triage
from edrm.errors import GoneError, InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking
from edrm.storage import BlobStore
from edrm.webhooks.outbox import DOCUMENT_FILED, RECORD_DECLARED, enqueue

# Metadata a person may change after filing (Dublin Core / e-GMS element names).
EDITABLE_FIELDS = {
    "title",
    "description",
    "creator",
    "subject",
    "doc_type",
    "language",
    "coverage",
}
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class NewDocument:
    """What a person says about a document they file; unset fields get sensible defaults."""

    filename: str
    into_code: str
    title: str = ""
    marking: str | None = None
    creator: str = ""
    description: str = ""
    subject: str = ""
    doc_type: str = ""
    language: str = "en"
    created_at: datetime | None = None


def sniff_mime(head: bytes) -> str:
    """The media type libmagic sees in the first bytes."""
    return magic.from_buffer(head[:SNIFF_BYTES], mime=True) or "application/octet-stream"


_NODES_BY_CODE = "edrm_nodes_by_code"


def _node_by_code(session: Session, code: str) -> FilePlanNode | None:
    """The node with this code, remembered by the session: filing many documents into one
    class in one transaction (an ingest group) loads it, its parents and their groups once.
    The remembered object is the session's own (changes made in the session are seen; after a
    commit or rollback its state is read again); one no longer holding the code, deleted or
    gone from the session is looked up afresh."""
    known: dict[str, FilePlanNode] = session.info.setdefault(_NODES_BY_CODE, {})
    node = known.get(code)
    if node is not None:
        state = inspect(node)
        try:
            if state.session is session and not state.deleted and node.code == code:
                return node
        except ObjectDeletedError:
            pass
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))
    if node is None:
        known.pop(code, None)
    else:
        known[code] = node
    return node


def _target_node(session: Session, actor: Principal, code: str) -> FilePlanNode:
    node = _node_by_code(session, code)
    if node is None or not may_file_into(actor, node):
        raise NotFoundError(f"file-plan node {code!r} not found")
    if node.is_folder and node.closed:
        raise RefusedError(f"folder {code!r} is closed; nothing new can be filed in it")
    if node.kind_value == "function":
        raise InvalidInputError(
            f"{code!r} is a function; file into an activity, transaction or folder"
        )
    refuse_without_destiny(session, node)  # class determines destiny
    return node


def _resolve_marking(
    actor: Principal,
    node: FilePlanNode | None,
    requested: str | None,
    *,
    floor: Marking = Marking.OFFICIAL,
) -> Marking:
    """The marking a document gets: at least the node's default (and `floor`), never above
    what the person filing it is cleared for."""
    default = Marking.highest(floor, *(n.marking for n in node.path())) if node else floor
    if requested is None:
        marking = default
    else:
        try:
            marking = Marking.parse(requested)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from None
        if marking.rank < default.rank:
            where = f"{node.code!r} holds" if node else "the document carries"
            raise InvalidInputError(
                f"{where} {default.value} material; "
                f"a document there cannot be marked lower ({marking.value})"
            )
    if not actor.clearance.admits(marking):
        raise RefusedError(
            f"you cannot file a {marking.value} document: your clearance is {actor.clearance.value}"
        )
    return marking


def allowed_markings(actor: Principal, document: Document) -> list[Marking]:
    """The markings a person may give this document: from its place's default (none lower,
    as `update_metadata` refuses) up to their clearance; its own marking always among them."""
    node = document.node
    floor = Marking.highest(*(n.marking for n in node.path())) if node else Marking.OFFICIAL
    return [
        m
        for m in Marking
        if m == document.marking or (m.rank >= floor.rank and actor.clearance.admits(m))
    ]


def add_document(
    session: Session,
    blobs: BlobStore,
    content: BinaryIO,
    new: NewDocument,
    *,
    actor: Principal = SYSTEM,
) -> Document:
    """Store the bytes, then file a new document with version 1, in the caller's transaction."""
    node = _target_node(session, actor, new.into_code)
    _resolve_marking(actor, node, new.marking)  # refuse before storing anything
    stored = blobs.put_stream(content)
    with blobs.open(stored.sha256) as fh:
        mime = sniff_mime(fh.read(SNIFF_BYTES))
    return create_document(session, stored.sha256, stored.size, mime, new, actor=actor)


def create_document(
    session: Session,
    sha256: str,
    size: int,
    mime: str,
    new: NewDocument,
    *,
    actor: Principal = SYSTEM,
    triage: bool = False,
    marking_floor: Marking = Marking.OFFICIAL,
    extra: dict[str, Any] | None = None,
) -> Document:
    """A new document whose bytes are already in the blob store. With `triage` it waits on
    the filer's triage list (no class yet) instead of being filed into `new.into_code`."""
    node = None if triage else _target_node(session, actor, new.into_code)
    marking = _resolve_marking(actor, node, new.marking, floor=marking_floor)
    filename = safe_filename(new.filename)
    now = clock.now()
    details: dict[str, Any] = dict(extra or {})
    if new.filename != filename:
        details["original_filename"] = new.filename
    version = DocumentVersion(
        number=1,
        sha256=sha256,
        size=size,
        filename=filename,
        mime=mime,
        created_at=now,
        created_by=actor.username,
    )
    document = Document(
        node_id=node.id if node else None,
        status="triage" if triage else "filed",
        title=(new.title or title_from_filename(filename)).strip()[:500],
        description=new.description,
        creator=new.creator or actor.username,
        subject=new.subject,
        identifier="",
        doc_type=new.doc_type,
        format=mime,
        language=new.language or "en",
        coverage="",
        marking_value=marking.value,
        relations=[],
        extra=details,
        created_at=new.created_at or now,
        modified_at=now,
        filed_at=None if triage else now,
        filed_by_id=actor.user_id,
        is_record=False,
        versions=[version],
    )
    if node is not None:
        document.node = node
    session.add(document)
    session.flush()  # the document and its first version, in one go
    document.identifier = f"EDRM-{document.id:07d}"
    audit.record(
        session,
        actor.username,
        "document.triage" if triage else "document.create",
        "document",
        document.id,
        {
            "title": document.title,
            "node": node.code if node else None,
            "marking": marking.value,
            "sha256": sha256,
            "filename": filename,
        },
    )
    if node is not None:
        _notify(session, DOCUMENT_FILED, document, actor)
    else:
        tell_filer_of_triage(session, document)
    return document


def _notify(session: Session, event: str, document: Document, actor: Principal) -> None:
    """A webhook event about a document: ids, class and marking only (never its title)."""
    enqueue(
        session,
        event,
        {
            "document": document.id,
            "identifier": document.identifier,
            "class": document.class_code,
            "folder": document.folder_code,
            "marking": document.marking_value,
            "by": actor.username,
        },
    )


def file_from_triage(
    session: Session, document_id: int, to_code: str, *, actor: Principal = SYSTEM
) -> Document:
    """File a document waiting on a triage list into the class or folder the person chose."""
    document = get_visible_document(session, actor, document_id)
    if not document.in_triage:
        raise InvalidInputError(f"document {document_id} is already filed")
    if not may_change_document(actor, document):
        raise RefusedError(f"you may not file document {document_id}")
    guards.check(session, document, "file", actor)
    target = _target_node(session, actor, to_code)
    marking = _resolve_marking(actor, target, None, floor=document.marking)
    document.node_id = target.id
    document.status = "filed"
    document.marking_value = marking.value
    document.modified_at = clock.now()
    if document.filed_at is None:
        document.filed_at = document.modified_at
    session.flush()
    session.expire(document, ["node"])
    audit.record(session, actor.username, "document.file", "document", document.id, {"to": to_code})
    _notify(session, DOCUMENT_FILED, document, actor)
    return document


def _refuse_unless_may_change(
    session: Session, document: Document, actor: Principal, verb: str, change: str
) -> None:
    """Refuse someone who may not change the document (only its filer and records managers
    may), saying also when a guard (a legal hold) would refuse the change whoever asked."""
    if may_change_document(actor, document):
        return
    held = guards.refusals(session, [document], change, actor).get(document.id)
    besides = f"; besides, {held}" if held is not None else ""
    raise RefusedError(
        f"you may not {verb} document {document.id}: only the person who filed it or a records "
        f"manager may{besides}"
    )


def add_version(
    session: Session,
    blobs: BlobStore,
    document_id: int,
    content: BinaryIO,
    filename: str,
    *,
    actor: Principal = SYSTEM,
) -> DocumentVersion:
    document = get_visible_document(session, actor, document_id)
    _refuse_unless_may_change(session, document, actor, "change", "content")
    if document.is_record:
        raise RefusedError(
            f"document {document_id} is a declared record; its content can no longer change"
        )
    guards.check(session, document, "content", actor)
    stored = blobs.put_stream(content)
    with blobs.open(stored.sha256) as fh:
        mime = sniff_mime(fh.read(SNIFF_BYTES))
    version = DocumentVersion(
        document_id=document.id,
        number=document.latest.number + 1,
        sha256=stored.sha256,
        size=stored.size,
        filename=safe_filename(filename),
        mime=mime,
        created_at=clock.now(),
        created_by=actor.username,
    )
    session.add(version)
    document.modified_at = version.created_at
    document.format = mime
    session.flush()
    session.refresh(document)
    audit.record(
        session,
        actor.username,
        "document.version",
        "document",
        document.id,
        {"number": version.number, "sha256": stored.sha256},
    )
    return version


def missing_for_declaration(document: Document) -> list[str]:
    """The mandatory metadata a record must have before it is declared, that this one lacks."""
    missing = [
        name
        for name, value in (
            ("title", document.title),
            ("creator", document.creator),
            ("type", document.doc_type or document.format),
        )
        if not (value or "").strip()
    ]
    if document.node_id is None:
        missing.append("file-plan class (it is still on a triage list)")
    return missing


def declare_record(session: Session, document_id: int, *, actor: Principal = SYSTEM) -> Document:
    document = get_visible_document(session, actor, document_id)
    if not may_change_document(actor, document):
        raise RefusedError(f"you may not declare document {document_id} a record")
    if document.is_record:
        return document
    missing = missing_for_declaration(document)
    if missing:
        raise InvalidInputError(
            f"document {document_id} cannot be declared a record: {', '.join(missing)} missing"
        )
    guards.check(session, document, "declare", actor)
    document.is_record = True
    document.declared_at = clock.now()
    document.declared_by = actor.username
    session.flush()
    audit.record(session, actor.username, "document.declare", "document", document.id)
    _notify(session, RECORD_DECLARED, document, actor)
    return document


def move_document(
    session: Session,
    document_id: int,
    to_code: str,
    *,
    actor: Principal = SYSTEM,
    reason: str = "",
) -> Document:
    """Move (re-file) a document to another class or folder; `reason` goes in the audit entry."""
    document = get_visible_document(session, actor, document_id)
    _refuse_unless_may_change(session, document, actor, "move", "move")
    if document.in_triage:
        return file_from_triage(session, document_id, to_code, actor=actor)
    target = _target_node(session, actor, to_code)
    if target.id == document.node_id:
        return document
    guards.check(session, document, "move", actor)
    floor = Marking.highest(*(n.marking for n in target.path()))
    if document.marking.rank < floor.rank:
        raise RefusedError(
            f"{to_code!r} holds {floor.value} material; raise the document's marking first"
        )
    source = document.node.code if document.node is not None else None
    document.node_id = target.id
    drop_link_to(document, target.id)  # moved into a place it was linked into: one place
    document.modified_at = clock.now()
    session.flush()
    session.expire(document, ["node"])
    audit.record(
        session,
        actor.username,
        "document.move",
        "document",
        document.id,
        {"from": source, "to": to_code, **({"reason": reason} if reason else {})},
    )
    return document


def update_metadata(
    session: Session,
    document_id: int,
    changes: dict[str, str],
    *,
    actor: Principal = SYSTEM,
    reason: str = "",
) -> Document:
    """Change descriptive metadata; allowed on records too, and always audited (the old and
    new values, and `reason` when given)."""
    document = get_visible_document(session, actor, document_id)
    _refuse_unless_may_change(session, document, actor, "change", "metadata")
    unknown = set(changes) - EDITABLE_FIELDS - {"marking"}
    if unknown:
        raise InvalidInputError(f"cannot change: {', '.join(sorted(unknown))}")
    before: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "marking":
            marking = _resolve_marking(actor, document.node, value)
            if marking != document.marking:
                before["marking"] = document.marking_value
                document.marking_value = marking.value
            continue
        if key == "title" and not value.strip():
            raise InvalidInputError("the title cannot be empty")
        if getattr(document, key) != value:
            before[key] = getattr(document, key)
            setattr(document, key, value)
    if not before:
        return document
    guards.check(session, document, "metadata", actor)
    document.modified_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor.username,
        "document.metadata",
        "document",
        document.id,
        {
            "before": before,
            "after": {k: changes[k] for k in before},
            **({"reason": reason} if reason else {}),
        },
    )
    return document


def open_content(
    session: Session,
    blobs: BlobStore,
    document_id: int,
    *,
    actor: Principal = SYSTEM,
    version: int | None = None,
) -> tuple[Document, DocumentVersion]:
    """The document and version whose bytes the person is about to read (audited)."""
    document = get_visible_document(session, actor, document_id)
    if document.status == "destroyed":
        raise GoneError(
            f"document {document_id} ({document.identifier}) has been destroyed under its "
            "retention rule: only its residual stub remains",
            document_id=document_id,
        )
    chosen = document.latest
    if version is not None:
        matches = [v for v in document.versions if v.number == version]
        if not matches:
            raise NotFoundError(f"document {document_id} has no version {version}")
        chosen = matches[0]
    if not blobs.exists(chosen.sha256):
        raise NotFoundError(f"the content of document {document_id} is missing from the store")
    audit.record(
        session,
        actor.username,
        "document.download",
        "document",
        document.id,
        {"version": chosen.number, "marking": document.marking_value},
    )
    return document, chosen


#: What looking at a record is called in the audit trail (`document.view`, `document.preview`);
#: reading its bytes is `document.download` (open_content), always recorded.
LOOKS = ("view", "preview")


def note_view(
    session: Session,
    document: Document,
    actor: Principal,
    *,
    kind: str = "view",
    every: bool = False,
) -> None:
    """Record that someone looked at a document (its page or metadata, or its preview): always
    when it is above OFFICIAL, and for OFFICIAL ones too when `every` (the `audit_all_views`
    setting)."""
    if kind not in LOOKS:
        raise ValueError(f"unknown kind of look {kind!r}")
    if every or document.marking is not Marking.OFFICIAL:
        audit.record(
            session,
            actor.username,
            f"document.{kind}",
            "document",
            document.id,
            {"marking": document.marking_value},
        )


def list_in_node(
    session: Session, node: FilePlanNode, actor: Principal, *, page: int = 1, per_page: int = 50
) -> tuple[list[Document], int]:
    """The documents filed or linked directly in a node that the person may see; their total."""
    condition = filed_in(node) & document_filter(session, actor)
    total = session.scalar(select(func.count()).select_from(Document).where(condition)) or 0
    docs = session.scalars(
        select(Document)
        .where(condition)
        .order_by(Document.created_at.desc(), Document.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(docs), total
