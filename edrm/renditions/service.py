"""Reading renditions: those of a document the caller may see, and one's bytes, asked of the
access module (what may not be seen answers as what does not exist) and audited as a download."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit
from edrm.access import Principal, get_visible_document
from edrm.documents.models import Document
from edrm.errors import GoneError, NotFoundError
from edrm.renditions.models import KINDS, Rendition
from edrm.storage import BlobStore


def renditions_of(session: Session, document_id: int) -> list[Rendition]:
    """Every rendition of the document, newest version first (for a document the caller has
    already been allowed to see)."""
    return list(
        session.scalars(
            select(Rendition)
            .where(Rendition.document_id == document_id)
            .order_by(Rendition.version_id.desc(), Rendition.kind)
        )
    )


def described(session: Session, document_id: int) -> list[dict[str, Any]]:
    """`renditions` of `edrm doc show --json` and the API: kind, sha256, size, created."""
    return [r.describe() for r in renditions_of(session, document_id)]


def open_rendition(
    session: Session, blobs: BlobStore, document_id: int, kind: str, actor: Principal
) -> tuple[Document, Rendition]:
    """The document and its latest version's rendition of `kind`, whose bytes the person is
    about to read: access asked first, then audited (`document.download`, with the kind)."""
    if kind not in KINDS:
        raise NotFoundError(f"there is no kind of rendition called {kind!r}")
    document = get_visible_document(session, actor, document_id)
    if document.status == "destroyed":
        raise GoneError(
            f"document {document_id} ({document.identifier}) has been destroyed under its "
            "retention rule: only its residual stub remains",
            document_id=document_id,
        )
    found = session.scalar(
        select(Rendition).where(
            Rendition.document_id == document.id,
            Rendition.version_id == document.latest.id,
            Rendition.kind == kind,
        )
    )
    if found is None:
        raise NotFoundError(f"document {document_id} has no {kind} rendition")
    if not blobs.exists(found.sha256):
        raise NotFoundError(f"the {kind} rendition of document {document_id} is missing")
    audit.record(
        session,
        actor.username,
        "document.download",
        "document",
        document.id,
        {"rendition": kind, "version": document.latest.number, "marking": document.marking_value},
    )
    return document, found
