"""The file step: what one job's transaction writes once its file has been read.

Filed (or put on the filer's triage list): the document, its text, its renditions (their
blobs made while reading), the classifier's suggestions,
a child job for each attachment, the job's outcome and an audit entry. A duplicate or a rejected
file ends its job here too. Nothing here commits: the pipeline runs these in one transaction
that first checks that the worker still owns the job, so a crash before the commit leaves the
job to be done again, and never done twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import SYSTEM, Principal
from edrm.documents.contributors import record_people
from edrm.documents.models import Document, DocumentText
from edrm.documents.service import NewDocument, create_document
from edrm.errors import EdrmError, NotFoundError, RefusedError
from edrm.ingest import jobs, quarantine
from edrm.ingest.models import (
    DONE,
    DUPLICATE,
    FAILED,
    FILED,
    INTO_REFUSED,
    TRIAGE,
    DocumentSuggestion,
    IngestJob,
)
from edrm.ingest.types import DocumentMetadata, Reading, RejectedInputError, Suggestion
from edrm.markings import Marking
from edrm.people.service import principal_for
from edrm.renditions.models import Rendition
from edrm.storage import BlobStore


def file_reading(
    session: Session, job: IngestJob, reading: Reading, code: str | None, top: Suggestion | None
) -> None:
    """File what was read into class `code` (None: the filer's triage list); the caller commits.

    `top` is the classifier's best suggestion, whose confidence the job keeps. A document
    derived from another (an attachment: any child job) goes where its parent is, whatever the
    classifier says, and is marked at least as its parent is.
    """
    actor = filing_actor(session, job)
    placement = _placement(session, job, reading, code)
    document, code, refused = _create(session, job, reading, placement, actor)
    record_people(session, document.id, job.hints or {}, reading.extraction.properties)
    if job.parent_document_id:
        document.relations = [{"type": "attachment_of", "document_id": job.parent_document_id}]
    _keep_text(session, document, reading)
    _keep_renditions(session, document, reading)
    _keep_suggestions(session, document, reading.suggestions)
    _submit_attachments(session, job, reading.attachments, document)
    _close_filed(session, job, reading, document, code, top, actor)
    _note_refusal(job, refused)


def filing_actor(session: Session, job: IngestJob) -> Principal:
    """Who files the job's document: the system only when it was submitted as the system
    (never for want of a name: a job with no submitter files as no one)."""
    if job.submitted_by == SYSTEM.username:
        return SYSTEM
    if not job.submitted_by:
        raise RefusedError("no one submitted it, so there is no one to file it as")
    return principal_for(session, job.submitted_by)


@dataclass(frozen=True)
class _Placement:
    """Where a document goes and how it is marked."""

    code: str | None  # the class or folder; None: the filer's triage list
    marking: str | None  # the marking asked for; None: the floor and the class decide
    floor: Marking  # it is marked at least this
    triage_if_refused: bool  # when the destination refuses it, the triage list (or fail)


def _placement(session: Session, job: IngestJob, reading: Reading, code: str | None) -> _Placement:
    """A file of its own: where it was sent or classified, marked at least as its text says.

    A derived document (a child job): where its parent is now (its parent's folder or class,
    or the triage list when the parent waits there), marked at least as its parent's resolved
    marking and its own text say; if that destination refuses it, it fails rather than land
    anywhere more open.
    """
    found = reading.metadata.marking_found
    floor = Marking.parse(found) if found else Marking.OFFICIAL
    if not job.parent_document_id:
        return _Placement(code, job.marking, floor, True)
    parent = session.get(Document, job.parent_document_id)
    if parent is None or parent.status == "destroyed":
        raise RefusedError(f"document {job.parent_document_id}, which it came in, is gone")
    marks = [floor, parent.marking]
    if job.marking:
        marks.append(Marking.parse(job.marking))
    where = parent.node.code if parent.node is not None else None
    return _Placement(where, None, Marking.highest(*marks), False)


def _create(
    session: Session, job: IngestJob, reading: Reading, placement: _Placement, actor: Principal
) -> tuple[Document, str | None, str | None]:
    """The document, filed where `placement` says; on the triage list when the destination
    refuses it (unless the placement forbids that).

    Returns the document, the code it was filed into (None when it went to triage) and, when
    the destination the submitter named (`--into`) refused it, why (in words naming the code).
    """
    code = placement.code
    new = _new_document(job, reading.metadata, code, placement.marking)

    def create(triage: bool, extra: dict[str, Any]) -> Document:
        return create_document(
            session,
            job.sha256,
            job.size,
            reading.sniffed.mime,
            new,
            actor=actor,
            triage=triage,
            marking_floor=placement.floor,
            extra=extra,
        )

    extra = _document_extra(job, reading)
    try:
        return create(code is None, extra), code, None
    except EdrmError as exc:
        if code is None or not placement.triage_if_refused:
            raise
        # The destination refused it (closed, unknown, marking, no retention rule, or a class
        # that takes records only in its folders): the filer's triage list instead. Only a
        # place the submitter named is an error of theirs; the classifier's choice is not.
        why = refusal_reason(code, exc) if job.into_code else None
        return create(True, {**extra, "filing_refused": str(exc)}), None, why


def refusal_reason(code: str, exc: EdrmError) -> str:
    """Why a document sent to `code` is on the triage list instead, naming the code. A class
    that does not exist and one the person may not file into read alike."""
    if isinstance(exc, NotFoundError):
        cause = "no class or folder that you can file into has that code"
    else:
        cause = str(exc)
    return f"not filed in {code!r}: {cause}; it is on your triage list"


def _note_refusal(job: IngestJob, refused: str | None) -> None:
    """The job's error: why it is not where it was sent (None when it is, clearing any error
    an earlier, failed attempt left)."""
    job.error_reason = INTO_REFUSED if refused else None
    job.error = f"{job.safe_name}: {refused}" if refused else None


def _new_document(
    job: IngestJob, meta: DocumentMetadata, code: str | None, marking: str | None
) -> NewDocument:
    """The document's metadata: the submitter's hints first, then what was found in the file."""
    hints = job.hints or {}
    created = None
    if hints.get("created_at"):
        created = datetime.fromisoformat(hints["created_at"])
    elif meta.document_date:
        d = meta.document_date
        created = datetime(d.year, d.month, d.day, tzinfo=UTC)
    return NewDocument(
        filename=job.safe_name,
        into_code=code or "",
        title=hints.get("title") or meta.title,
        marking=marking,
        creator=hints.get("creator") or meta.author[:200],  # found in the file: cut to fit
        description=hints.get("description", ""),
        doc_type=hints.get("doc_type", ""),
        language=meta.language if meta.language != "und" else "en",
        created_at=created,
    )


def _document_extra(job: IngestJob, reading: Reading) -> dict[str, Any]:
    meta = reading.metadata
    sniffed = reading.sniffed
    extra: dict[str, Any] = {
        "document_date": meta.document_date.isoformat() if meta.document_date else None,
        "references": meta.references,
        "page_count": meta.page_count,
        "pii": meta.pii,
        "marking_found": meta.marking_found,
        "sniffed_type": sniffed.mime,
        "sniffed_description": sniffed.description,
        "extension_mismatch": sniffed.extension_mismatch,
        "warnings": reading.extraction.warnings,
        "ingest_job": job.id,
        "properties": {k: v for k, v in reading.extraction.properties.items() if v},
    }
    if reading.extraction.attachments:  # what the classifier reads of an e-mail, for training
        extra["attachment_names"] = [item.filename for item in reading.extraction.attachments]
    if job.original_name != job.safe_name:
        extra["original_filename"] = job.original_name
    if reading.preview_sha256:
        extra["preview_sha256"] = reading.preview_sha256
    if reading.rendition_note:
        extra["rendition_note"] = reading.rendition_note
    if not reading.text.strip():
        extra["no_text_found"] = True
    return extra


def _keep_text(session: Session, document: Document, reading: Reading) -> None:
    session.add(
        DocumentText(
            document_id=document.id,
            text=reading.text,
            pages=[
                {"number": p.number, "source": p.source, "confidence": p.ocr_confidence}
                for p in reading.pages
            ],
            extracted_at=clock.now(),
        )
    )


def _keep_renditions(session: Session, document: Document, reading: Reading) -> None:
    """The renditions made while reading (their blobs already stored), of the first version."""
    if not reading.renditions:
        return
    session.flush()  # the version's id
    for made in reading.renditions:
        session.add(
            Rendition(
                document_id=document.id,
                version_id=document.latest.id,
                kind=made.kind,
                sha256=made.sha256,
                size=made.size,
                mime=made.mime,
                created_at=clock.now(),
            )
        )


def _keep_suggestions(session: Session, document: Document, suggestions: list[Suggestion]) -> None:
    for rank, s in enumerate(suggestions, start=1):
        session.add(
            DocumentSuggestion(
                document_id=document.id,
                rank=rank,
                class_code=s.class_code,
                confidence=s.confidence,
                reason=s.reason,
            )
        )


def _submit_attachments(
    session: Session, job: IngestJob, attachments: list[tuple[str, str, int]], document: Document
) -> None:
    """A child job for each attachment (already in the blob store), linked to its parent, for
    where the parent went (its folder or class, or the triage list) and at its marking; the
    child's own filing checks the parent again."""
    where = document.node.code if document.node is not None else None
    for name, sha256, size in attachments:
        jobs.submit_stored(
            session,
            sha256,
            size,
            name,
            jobs.Submission(
                submitted_by=job.submitted_by,
                source="attachment",
                batch=job.batch,
                into_code=where,
                marking=document.marking_value,
                parent_document_id=document.id,
            ),
        )


def _close_filed(
    session: Session,
    job: IngestJob,
    reading: Reading,
    document: Document,
    code: str | None,
    top: Suggestion | None,
    actor: Principal,
) -> None:
    """The job's outcome (filed or triage) and its audit entry."""
    job.status = DONE
    job.outcome = FILED if code else TRIAGE
    job.document_id = document.id
    job.class_code = document.class_code
    job.confidence = top.confidence if top else None
    job.finished_at = clock.now()
    audit.record(
        session,
        actor.username,
        "ingest.filed" if code else "ingest.triage",
        "ingest_job",
        job.id,
        {
            "document": document.id,
            "class": document.class_code,
            "confidence": job.confidence,
            "type": reading.sniffed.mime,
            "extension_mismatch": reading.sniffed.extension_mismatch,
        },
    )


def mark_duplicate(session: Session, job: IngestJob, existing_id: int) -> None:
    job.status = DONE
    job.outcome = DUPLICATE
    job.document_id = existing_id
    job.finished_at = clock.now()
    audit.record(
        session,
        job.submitted_by,
        "ingest.duplicate",
        "ingest_job",
        job.id,
        {"document": existing_id},
    )


def mark_failed(
    session: Session,
    job: IngestJob,
    error: RejectedInputError,
    blobs: BlobStore,
    quarantine_dir: Path,
) -> None:
    """A file the pipeline will not take: the reason is kept and the original quarantined."""
    message = f"{job.safe_name}: {error}"
    quarantine.keep(blobs, quarantine_dir, job, error.reason, message)
    job.status = FAILED
    job.outcome = FAILED
    job.error_reason = error.reason
    job.error = message
    job.finished_at = clock.now()
    audit.record(
        session,
        job.submitted_by or "-",
        "ingest.rejected",
        "ingest_job",
        job.id,
        {"reason": error.reason, "error": message},
    )
