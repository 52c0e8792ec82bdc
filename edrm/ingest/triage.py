"""The triage list: documents the classifier was not sure about, waiting for their filer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import Principal, document_filter, suggestable_codes
from edrm.documents.models import Document
from edrm.documents.service import file_from_triage
from edrm.fileplan.models import FilePlanNode
from edrm.ingest.classify.reasons import plain_reason
from edrm.ingest.models import ClassificationCorrection, DocumentSuggestion
from edrm.ingest.types import load_ingest_config
from edrm.settings import Settings


def offered_minimum(settings: Settings) -> float:
    """The least confidence a suggestion needs to be offered (ingest.toml, [classify])."""
    return load_ingest_config(settings.config_path("ingest.toml")).min_confidence


def triage_items(
    session: Session, principal: Principal, limit: int = 200, *, min_confidence: float = 0.0
) -> list[dict[str, Any]]:
    """The person's own documents awaiting a class (records managers see everyone's), with
    the suggestions that name classes this person may see and file into, at least
    `min_confidence` sure. Each suggestion carries its class's title and its reason in plain
    words (`reason_text`) beside the reason as the classifier keeps it."""
    stmt = (
        select(Document)
        .where(Document.status == "triage", document_filter(session, principal))
        .order_by(Document.id)
        .limit(limit)
    )
    if not principal.manages_records and principal.user_id is not None:
        stmt = stmt.where(Document.filed_by_id == principal.user_id)
    documents = list(session.scalars(stmt))
    suggestions: dict[int, list[DocumentSuggestion]] = {}
    if documents:
        for s in session.scalars(
            select(DocumentSuggestion)
            .where(DocumentSuggestion.document_id.in_([d.id for d in documents]))
            .order_by(DocumentSuggestion.document_id, DocumentSuggestion.rank)
        ):
            suggestions.setdefault(s.document_id, []).append(s)
    offered = suggestable_codes(
        session, principal, {s.class_code for found in suggestions.values() for s in found}
    )
    titles = {
        code: title
        for code, title in session.execute(
            select(FilePlanNode.code, FilePlanNode.title).where(FilePlanNode.code.in_(offered))
        )
    }
    return [
        {
            "id": d.id,
            "title": d.title,
            "marking": d.marking_value,
            "created_at": d.created_at.isoformat(),
            "filename": d.latest.filename,
            "suggestions": [
                {
                    "class_code": s.class_code,
                    "confidence": s.confidence,
                    "reason": s.reason,
                    "class_title": titles.get(s.class_code, s.class_code),
                    "reason_text": plain_reason(s.reason),
                }
                for s in suggestions.get(d.id, [])
                if s.class_code in offered and s.confidence >= min_confidence
            ],
        }
        for d in documents
    ]


def confirm(session: Session, document_id: int, to_code: str, *, actor: Principal) -> Document:
    """File the document where the person chose; remember the choice as training data."""
    top = session.scalar(
        select(DocumentSuggestion.class_code)
        .where(DocumentSuggestion.document_id == document_id)
        .order_by(DocumentSuggestion.rank)
        .limit(1)
    )
    document = file_from_triage(session, document_id, to_code, actor=actor)
    session.add(
        ClassificationCorrection(
            document_id=document.id,
            suggested_code=top,
            chosen_code=document.class_code or to_code,
            decided_by=actor.username,
            decided_at=clock.now(),
        )
    )
    session.flush()
    return document
