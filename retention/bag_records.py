"""What each record puts in a transfer bag, read in one transaction before any byte is copied: its
versions (where their bytes go) and renditions (beside them), its metadata (metadata.json: the
record, its versions, retention and the review decisions), its Dublin Core (dublin_core.xml,
oai_dc) and its audit history (audit_history.json, oldest first, with the chain's hashes), and its
line in the bag's listing (data/transfer.json).

Read-only: it writes nothing; retention.bags writes what it read.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.audit import AuditEvent
from edrm.documents.filenames import safe_filename
from edrm.documents.models import Document
from edrm.documents.representation import document_as_dict
from edrm.renditions.models import Rendition
from retention.closure import Closure, closure_of, tna_cells
from retention.models import DisposalDecision, DisposalItem, RetentionRule

DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"


@dataclass(frozen=True)
class BagVersion:
    number: int
    filename: str
    sha256: str


@dataclass(frozen=True)
class BagRendition:
    """A rendition that goes in the bag beside the original (a scan's searchable PDF/A)."""

    version: int
    kind: str
    filename: str
    sha256: str
    size: int


@dataclass(frozen=True)
class BagRecord:
    """What one record puts in the bag, read in one transaction and written after it."""

    item_id: int
    document_id: int
    directory: str
    versions: list[BagVersion]
    metadata: dict[str, Any]
    dublin_core: bytes
    audit_history: list[dict[str, Any]]
    listing: dict[str, Any]
    #: The record's line of metadata.csv (`edrm transfer export --format tna`): the record's
    #: latest version and TNA's closure fields (retention.closure.TNA_COLUMNS but file_path).
    tna: dict[str, str]
    renditions: list[BagRendition] = field(default_factory=list)


def snapshot(
    session: Session,
    items: Sequence[DisposalItem],
    *,
    bag_id: str,
    now: datetime,
    actor: Principal,
) -> list[BagRecord]:
    """Each item's record as it goes in the bag (directory names unique in the bag)."""
    documents = {
        d.id: d
        for d in session.scalars(
            select(Document).where(Document.id.in_([i.document_id for i in items]))
        )
    }
    rules = {
        r.code: r
        for r in session.scalars(
            select(RetentionRule).where(RetentionRule.code.in_({i.rule_code for i in items}))
        )
    }
    decisions: dict[int, list[DisposalDecision]] = {}
    for d in session.scalars(
        select(DisposalDecision)
        .where(DisposalDecision.item_id.in_([i.id for i in items]))
        .order_by(DisposalDecision.id)
    ):
        decisions.setdefault(d.item_id, []).append(d)
    histories = _audit_histories(session, list(documents))
    derivatives = _renditions(session, documents)
    exported = {"bag_id": bag_id, "exported_at": now.isoformat(), "exported_by": actor.username}
    records = []
    used: set[str] = set()
    for item in items:
        document = documents[item.document_id]
        directory = safe_filename(document.identifier, fallback=f"document-{document.id}")
        if directory.casefold() in used:
            directory = f"{directory}-{document.id}"
        used.add(directory.casefold())
        versions = [BagVersion(v.number, v.filename, v.sha256) for v in document.versions]
        derived = derivatives.get(document.id, [])
        rule = rules.get(item.rule_code)
        records.append(
            BagRecord(
                item_id=item.id,
                document_id=document.id,
                directory=directory,
                versions=versions,
                metadata={
                    **_metadata(document, item, rule, decisions.get(item.id, []), exported),
                    "renditions": [_rendition_entry(r) for r in derived],
                },
                dublin_core=_dublin_core(document, rule),
                audit_history=histories[document.id],
                listing={
                    "identifier": document.identifier,
                    "document_id": document.id,
                    "title": document.title,
                    "class_code": item.class_code,
                    "folder_code": document.folder_code,
                    "rule": item.rule_code,
                    "directory": directory,
                    "versions": len(versions),
                },
                tna=_tna_line(document, closure_of(session, document.id)),
                renditions=derived,
            )
        )
    return records


def rendition_file(rendition: BagRendition) -> str:
    """Where a rendition goes, relative to its record's directory."""
    return f"renditions/v{rendition.version}/{rendition.filename}"


def _rendition_entry(rendition: BagRendition) -> dict[str, Any]:
    return {
        "kind": rendition.kind,
        "of_version": rendition.version,
        "file": rendition_file(rendition),
        "sha256": rendition.sha256,
        "size": rendition.size,
    }


def _renditions(session: Session, documents: dict[int, Document]) -> dict[int, list[BagRendition]]:
    """Each document's renditions, named after the version they render ("scan.pdfa.pdf")."""
    numbers = {v.id: v for d in documents.values() for v in d.versions}
    found: dict[int, list[BagRendition]] = {}
    for r in session.scalars(
        select(Rendition)
        .where(Rendition.document_id.in_(list(documents)))
        .order_by(Rendition.version_id, Rendition.kind)
    ):
        version = numbers[r.version_id]
        name = f"{PurePosixPath(version.filename).stem or 'document'}.{r.kind}.pdf"
        found.setdefault(r.document_id, []).append(
            BagRendition(version.number, r.kind, name, r.sha256, r.size)
        )
    return found


def _tna_line(document: Document, closure: Closure) -> dict[str, str]:
    latest = document.latest
    return {
        "file_name": latest.filename,
        "identifier": document.identifier,
        "title": document.title,
        "description": document.description,
        "language": document.language,
        "date_last_modified": document.modified_at.date().isoformat(),
        "checksum_sha256": latest.sha256,
        **tna_cells(closure),
    }


def _metadata(
    document: Document,
    item: DisposalItem,
    rule: RetentionRule | None,
    decisions: Sequence[DisposalDecision],
    exported: dict[str, str],
) -> dict[str, Any]:
    data = document_as_dict(document)
    node = document.node
    data.update(
        {
            "identifier": document.identifier,
            "class_title": node.class_node().title if node is not None else None,
            "versions": [
                {
                    "number": v.number,
                    "file": f"content/v{v.number}/{v.filename}",
                    "filename": v.filename,
                    "sha256": v.sha256,
                    "size": v.size,
                    "mime": v.mime,
                    "created_at": v.created_at.isoformat(),
                    "created_by": v.created_by,
                }
                for v in document.versions
            ],
            "retention": {
                "rule": item.rule_code,
                "rule_title": rule.title if rule else None,
                "action": item.action,
                "authority": rule.authority if rule else "",
                "description": rule.description if rule else "",
                "due": item.due_on.isoformat(),
            },
            "decisions": [
                {
                    "stage": d.stage,
                    "decision": d.decision,
                    "reason": d.reason,
                    "new_date": d.new_date.isoformat() if d.new_date else None,
                    "by": d.decided_by,
                    "at": d.decided_at.isoformat(),
                }
                for d in decisions
            ],
            "transfer": {**exported, "queue_item": item.id},
        }
    )
    return data


def _dublin_core(document: Document, rule: RetentionRule | None) -> bytes:
    """The record as simple Dublin Core (the OAI-PMH oai_dc container)."""
    ET.register_namespace("oai_dc", OAI_DC_NS)
    ET.register_namespace("dc", DC_NS)
    root = ET.Element(f"{{{OAI_DC_NS}}}dc")
    node = document.node
    subject = document.subject or (node.class_node().title if node is not None else "")
    elements: list[tuple[str, str]] = [
        ("identifier", document.identifier),
        ("title", document.title),
        ("creator", document.creator),
        ("subject", subject),
        ("description", document.description),
        ("date", document.created_at.date().isoformat()),
        ("type", document.doc_type),
        ("format", document.format),
        ("language", document.language),
        ("coverage", document.coverage),
        ("rights", document.marking_value),
    ]
    if node is not None:
        elements.append(("source", f"file plan {node.class_node().code}"))
    for relation in document.relations or []:
        elements.append(("relation", json.dumps(relation, sort_keys=True, default=str)))
    if rule is not None and rule.authority:
        elements.append(("rights", f"disposal authority: {rule.authority}"))
    for name, value in elements:
        if value:
            ET.SubElement(root, f"{{{DC_NS}}}{name}").text = str(value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _audit_histories(session: Session, document_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Every audit entry about each record, oldest first, with the chain's hashes so that the
    archive sees each entry's place in the chain."""
    histories: dict[int, list[Any]] = {i: [] for i in document_ids}
    keys = [str(i) for i in document_ids]
    for start in range(0, len(keys), 500):
        events = session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "document",
                AuditEvent.object_id.in_(keys[start : start + 500]),
            )
            .order_by(AuditEvent.seq)
        )
        for e in events:
            histories[int(e.object_id)].append(
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "details": e.details_dict,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
            )
    return histories
