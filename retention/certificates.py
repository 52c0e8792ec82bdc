"""Certificates of destruction: what a completed batch destroyed, under which authority, who
approved it and why, when it went, the checksums of its content and the audit entries that
record it; a PDF (or HTML) certificate with a CSV schedule of the records, both filed as
records in the records-management class (config/disposal.toml). A batch that removed records
transferred to the archive files a transfer receipt instead, worded as one.

What a certificate says is retention.certificate_content (read by retention.certificate_facts);
it is rendered by retention.certificate_pdf and retention.certificate_html.

A certificate is issued only for a batch whose every item is done (retention.batch_completion
calls `issue_certificate` then); so a certificate never reports a destruction that did not finish.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit
from edrm.access import SYSTEM, Principal, visible_document_ids
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, create_document, declare_record
from edrm.errors import InvalidInputError, NotFoundError
from edrm.runtime import Runtime
from retention.certificate_content import DESTRUCTION, Certificate
from retention.certificate_facts import certificate_for
from retention.certificate_html import render_html
from retention.certificate_pdf import render_pdf
from retention.disposal_config import load_config
from retention.models import DisposalBatch, DisposalItem, ResidualStub

DOC_TYPE = DESTRUCTION  # a transfer's batch files a "Transfer receipt" (certificate_content)
__all__ = ["Certificate", "certificate_for", "render_html", "render_pdf"]
CSV_COLUMNS = (
    "identifier",
    "document_id",
    "title",
    "class_code",
    "folder_code",
    "marking",
    "created_at",
    "declared_at",
    "rule",
    "authority",
    "approved_by",
    "destroyed_at",
    "destroyed_by",
    "batch",
    "note",
    "approval_reasons",
    "content_sha256",
)


def _approved_by(stub: ResidualStub) -> str:
    return "; ".join(
        f"{a.get('by')} ({str(a.get('at', ''))[:10]}, stage {a.get('stage')})"
        for a in stub.approvers or []
    )


def _reasons(stub: ResidualStub) -> str:
    return "; ".join(
        f"{a.get('by')} (stage {a.get('stage')}): {a.get('reason') or ''}"
        for a in stub.approvers or []
    )


def _row(cert: Certificate, stub: ResidualStub) -> dict[str, Any]:
    return {
        "identifier": stub.identifier,
        "document_id": stub.document_id,
        "title": stub.title,
        "class_code": stub.class_code,
        "folder_code": stub.folder_code or "",
        "marking": stub.marking,
        "created_at": stub.created_at.isoformat(),
        "declared_at": stub.declared_at.isoformat() if stub.declared_at else "",
        "rule": stub.rule_code,
        "authority": stub.authority,
        "approved_by": _approved_by(stub),
        "destroyed_at": stub.destroyed_at.isoformat(),
        "destroyed_by": stub.destroyed_by,
        "batch": stub.batch_id,
        "note": stub.note,
        "approval_reasons": _reasons(stub),
        "content_sha256": " ".join(cert.checksums.get(stub.document_id, [])),
    }


# --- rendering --------------------------------------------------------------------------------


def render_csv(cert: Certificate) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for stub in cert.stubs:
        writer.writerow(_row(cert, stub))
    return out.getvalue().encode("utf-8")


# --- issuing and listing ----------------------------------------------------------------------


def _description(cert: Certificate) -> str:
    return (
        f"{cert.kind} of disposal batch {cert.batch_id}: "
        f"{len(cert.stubs)} records, completed {cert.completed_at:%Y-%m-%d %H:%M} UTC."
    )


def issue_certificate(
    rt: Runtime, session: Session, batch: DisposalBatch, *, actor: Principal
) -> Document:
    """Render the batch's certificate and CSV schedule, file both as declared records in the
    certificates' class, and mark the batch complete (in the caller's transaction)."""
    config = load_config(rt.settings)
    cert = certificate_for(session, batch, actor=actor, archive=config.archive_name)
    if config.certificate_format == "html":
        content, mime, ext = render_html(cert), "text/html", "html"
    else:
        content, mime, ext = render_pdf(cert), "application/pdf", "pdf"
    schedule = render_csv(cert)
    name = f"{cert.kind.lower().replace(' ', '-')}-batch-{batch.id}"
    certificate = NewDocument(
        filename=f"{name}.{ext}",
        title=cert.title,
        into_code=config.certificate_class,
        creator=actor.username,
        doc_type=cert.kind,
        description=_description(cert),
    )
    try:
        stored = rt.blobs.put_bytes(content)
        document = create_document(
            session,
            stored.sha256,
            stored.size,
            mime,
            certificate,
            actor=SYSTEM,
            marking_floor=cert.marking,
            extra={"disposal_batch": batch.id, "certificate": True},
        )
        stored_csv = rt.blobs.put_bytes(schedule)
        listing = create_document(
            session,
            stored_csv.sha256,
            stored_csv.size,
            "text/csv",
            replace(
                certificate,
                filename=f"{name}.csv",
                title=f"{cert.title}: schedule of records (CSV)",
            ),
            actor=SYSTEM,
            marking_floor=cert.marking,
            extra={"disposal_batch": batch.id, "certificate_schedule": True},
        )
    except NotFoundError:
        raise InvalidInputError(
            f"the certificates' class {config.certificate_class!r} is not in the file plan "
            "(set certificate_class in config/disposal.toml)"
        ) from None
    document.relations = [{"type": "has_part", "document_id": listing.id}]
    listing.relations = [{"type": "part_of", "document_id": document.id}]
    document.extra = {**document.extra, "schedule_document_id": listing.id}
    declare_record(session, document.id, actor=SYSTEM)
    declare_record(session, listing.id, actor=SYSTEM)
    batch.status = "complete"
    batch.completed_at = cert.completed_at
    batch.certificate_document_id = document.id
    session.flush()
    audit.record(
        session,
        actor.username,
        "disposal.certificate",
        "disposal_batch",
        batch.id,
        {
            "certificate": document.id,
            "schedule": listing.id,
            "records": [s.document_id for s in cert.stubs],
            "format": ext,
            "kind": cert.kind,
            "audit_range": list(cert.audit_range) if cert.audit_range else None,
        },
    )
    return document


def list_certificates(session: Session) -> list[dict[str, Any]]:
    """Every completed batch with its certificate, newest first."""
    counts = dict(
        session.execute(
            select(DisposalItem.batch_id, func.count())
            .where(DisposalItem.batch_id.is_not(None))
            .group_by(DisposalItem.batch_id)
        ).all()
    )
    rows = []
    for batch, document in session.execute(
        select(DisposalBatch, Document)
        .join(Document, Document.id == DisposalBatch.certificate_document_id)
        .order_by(DisposalBatch.completed_at.desc(), DisposalBatch.id.desc())
    ):
        rows.append(
            {
                "batch_id": batch.id,
                "action": batch.action,
                "records": counts.get(batch.id, 0),
                "created_at": batch.created_at.isoformat(),
                "created_by": batch.created_by,
                "completed_at": batch.completed_at.isoformat() if batch.completed_at else None,
                "certificate_document_id": document.id,
                "schedule_document_id": (document.extra or {}).get("schedule_document_id"),
                "title": document.title,
                "identifier": document.identifier,
                "format": document.format,
            }
        )
    return rows


def batches(session: Session) -> list[dict[str, Any]]:
    """Every batch with its progress (for the pages): items done / total, complete or not."""
    totals: dict[int, dict[str, int]] = {}
    for batch_id, status, n in session.execute(
        select(DisposalItem.batch_id, DisposalItem.status, func.count())
        .where(DisposalItem.batch_id.is_not(None))
        .group_by(DisposalItem.batch_id, DisposalItem.status)
    ):
        if batch_id is not None:  # always: the query leaves out unbatched items
            totals.setdefault(batch_id, {})[status] = n
    out = []
    for batch in session.scalars(select(DisposalBatch).order_by(DisposalBatch.id.desc())):
        by_status = totals.get(batch.id, {})
        out.append(
            {
                "id": batch.id,
                "action": batch.action,
                "status": batch.status,
                "items": sum(by_status.values()),
                "done": by_status.get("done", 0),
                "created_at": batch.created_at.isoformat(),
                "created_by": batch.created_by,
                "completed_at": batch.completed_at.isoformat() if batch.completed_at else None,
                "certificate_document_id": batch.certificate_document_id,
            }
        )
    return out


def batch_records(session: Session, batch_id: int, *, viewer: Principal) -> list[dict[str, Any]]:
    """The records of one batch, in identifier order, as the person may see them: document id,
    identifier, title and class, or for a record they may not see only `withheld` (with the
    item's status, so that the records still add up to the batch)."""
    if session.get(DisposalBatch, batch_id) is None:
        raise NotFoundError(f"disposal batch {batch_id} not found")
    rows = session.execute(
        select(DisposalItem.id, DisposalItem.status, DisposalItem.class_code, Document)
        .join(Document, Document.id == DisposalItem.document_id)
        .where(DisposalItem.batch_id == batch_id)
        .order_by(Document.identifier, Document.id)
    ).all()
    visible = visible_document_ids(session, viewer, [r[3].id for r in rows])
    out: list[dict[str, Any]] = []
    for item_id, status, class_code, document in rows:
        if document.id in visible:
            out.append(
                {
                    "item": item_id,
                    "status": status,
                    "withheld": False,
                    "document_id": document.id,
                    "identifier": document.identifier,
                    "title": document.title,
                    "class_code": class_code,
                }
            )
        else:
            out.append({"item": item_id, "status": status, "withheld": True})
    return out
