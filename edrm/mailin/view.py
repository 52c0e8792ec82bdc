"""The "Sent by e-mail" part of a document page: its transmission, and its attachments that
the viewer may see (read only: nothing here, or anywhere, changes a transmission)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, document_filter
from edrm.documents.models import Document
from edrm.ingest.models import IngestJob
from edrm.mailin.models import Transmission


@dataclass(frozen=True)
class SentByEmail:
    transmission: Transmission
    attachments: list[tuple[int, str]]  # (document id, title) of those the viewer may see


def transmission_of(session: Session, document: Document) -> Transmission | None:
    """The transmission of the message this document is (None: it did not come by e-mail)."""
    job_id = (document.extra or {}).get("ingest_job")
    if not isinstance(job_id, int):
        return None
    return session.scalar(select(Transmission).where(Transmission.ingest_job_id == job_id))


def sent_by_email(session: Session, document: Document, viewer: Principal) -> SentByEmail | None:
    """For a document the viewer may already see: how it was sent, if it came by e-mail."""
    transmission = transmission_of(session, document)
    if transmission is None:
        return None
    return SentByEmail(transmission, _attachments(session, document, viewer))


def attached_to(session: Session, document: Document, viewer: Principal) -> tuple[int, str] | None:
    """The e-mail this document came attached to, when the viewer may see that message."""
    parent_ids = [
        r.get("document_id") for r in document.relations or [] if r.get("type") == "attachment_of"
    ]
    if not parent_ids or not isinstance(parent_ids[0], int):
        return None
    parent = session.scalar(
        select(Document).where(
            Document.id == parent_ids[0],
            Document.status != "destroyed",
            document_filter(session, viewer),
        )
    )
    if parent is None or transmission_of(session, parent) is None:
        return None
    return parent.id, parent.title


def _attachments(session: Session, document: Document, viewer: Principal) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Document.id, Document.title)
        .join(IngestJob, IngestJob.document_id == Document.id)
        .where(
            IngestJob.parent_document_id == document.id,
            Document.status != "destroyed",
            document_filter(session, viewer),
        )
        .order_by(Document.id)
    ).all()
    return [(i, t) for i, t in rows]
