"""The pipeline for one job: sniff → extract → OCR → metadata → classify → file (or triage).

The slow part (reading the file, OCR) runs outside any transaction, the parser in an isolated
child process; then one short transaction files the document, its text, suggestions, child
jobs for attachments and the job's outcome together, after checking that this worker still
owns the job. So a crash at any point leaves the job to be done again, and never done twice.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import SYSTEM, Principal
from edrm.documents.models import Document, DocumentText, DocumentVersion
from edrm.documents.service import NewDocument, create_document
from edrm.errors import EdrmError
from edrm.ingest import jobs, quarantine
from edrm.ingest.classify import RuleSet, TrainedModel, suggest, threshold_for
from edrm.ingest.extract import extract
from edrm.ingest.isolation import IsolatedRunner
from edrm.ingest.metadata import ReferencePattern, extract_metadata
from edrm.ingest.models import (
    DONE,
    DUPLICATE,
    FAILED,
    FILED,
    TRIAGE,
    DocumentSuggestion,
    IngestJob,
)
from edrm.ingest.ocr import OcrEngine
from edrm.ingest.sniff import sniff
from edrm.ingest.types import (
    DocumentMetadata,
    ExtractedPage,
    Extraction,
    IngestConfig,
    RejectedInputError,
    Sniffed,
    Suggestion,
)
from edrm.markings import Marking
from edrm.people.service import principal_for
from edrm.storage import BlobStore

CHILD_MEMORY_BYTES = 4 * 1024**3


@dataclass
class PipelineContext:
    """What every job needs, built once per worker."""

    config: IngestConfig
    blobs: BlobStore
    ocr: OcrEngine
    rules: RuleSet
    model: TrainedModel | None
    reference_patterns: list[ReferencePattern]
    quarantine_dir: Path
    known_codes: frozenset[str] = frozenset()  # classes in the file plan (suggest only these)
    isolated: IsolatedRunner = field(
        default_factory=lambda: IsolatedRunner(memory_bytes=CHILD_MEMORY_BYTES)
    )


@dataclass
class Reading:
    """Everything learned from the file before anything is written."""

    sniffed: Sniffed
    extraction: Extraction
    pages: list[ExtractedPage]
    text: str
    metadata: DocumentMetadata
    suggestions: list[Suggestion]
    preview_sha256: str | None
    attachments: list[tuple[str, str, int]]  # (name, sha256, size) already in the blob store


def read_file(job: IngestJob, ctx: PipelineContext) -> Reading:
    """Everything but the filing: may take long; writes only blobs (content-addressed)."""
    started = time.monotonic()
    limit = float(ctx.config.limits.max_seconds_per_file)
    path = ctx.blobs.path(job.sha256)
    sniffed = sniff(path, job.original_name, ctx.config)
    with tempfile.TemporaryDirectory(prefix="edrm-ingest-") as tmp:
        workdir = Path(tmp)
        extraction = ctx.isolated.run(extract, path, sniffed, ctx.config, workdir, timeout=limit)
        pages = list(extraction.pages)
        if extraction.ocr_images:
            numbers = sorted(extraction.ocr_images)
            remaining = max(limit - (time.monotonic() - started), 1.0)
            results = ctx.ocr.recognise(
                [extraction.ocr_images[n] for n in numbers], timeout=remaining
            )
            for number, result in zip(numbers, results, strict=True):
                source = "ocr" if result.text.strip() else "none"
                pages.append(ExtractedPage(number, result.text, source, result.confidence))
        pages.sort(key=lambda p: p.number)
    text = "\n\n".join(p.text for p in pages if p.text.strip())
    properties = extraction.properties
    metadata = extract_metadata(
        text, properties, job.safe_name, extraction.page_count, ctx.reference_patterns
    )
    sender = properties.get("sender_email", properties.get("sender", ""))
    suggestions = [
        s
        for s in suggest(text, job.safe_name, sender, ctx.rules, ctx.model, top=6)
        if not ctx.known_codes or s.class_code in ctx.known_codes
    ][:3]
    preview = ctx.blobs.put_bytes(extraction.preview_png) if extraction.preview_png else None
    attachments = []
    for item in extraction.attachments:
        stored = ctx.blobs.put_bytes(item.data)
        attachments.append((item.filename, stored.sha256, stored.size))
    return Reading(
        sniffed,
        extraction,
        pages,
        text,
        metadata,
        suggestions,
        preview.sha256 if preview else None,
        attachments,
    )


def _existing_document(session: Session, sha256: str) -> int | None:
    return session.scalar(
        select(DocumentVersion.document_id)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(DocumentVersion.sha256 == sha256, Document.status != "destroyed")
        .limit(1)
    )


def _actor(session: Session, job: IngestJob) -> Principal:
    if job.submitted_by in ("", SYSTEM.username):
        return SYSTEM
    return principal_for(session, job.submitted_by)


def _choose_class(
    job: IngestJob, reading: Reading, ctx: PipelineContext
) -> tuple[str | None, Suggestion | None]:
    """(code to file into, or None for triage; the top suggestion)."""
    top = reading.suggestions[0] if reading.suggestions else None
    if job.into_code:
        return job.into_code, top
    if top is not None:
        threshold = threshold_for(top.class_code, ctx.rules, ctx.config.default_threshold)
        if top.confidence >= threshold:
            return top.class_code, top
    return None, top


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
    if job.original_name != job.safe_name:
        extra["original_filename"] = job.original_name
    if reading.preview_sha256:
        extra["preview_sha256"] = reading.preview_sha256
    if not reading.text.strip():
        extra["no_text_found"] = True
    return extra


def file_reading(session: Session, job: IngestJob, reading: Reading, ctx: PipelineContext) -> None:
    """The one transaction that files what was read (the caller commits)."""
    actor = _actor(session, job)
    code, top = _choose_class(job, reading, ctx)
    meta = reading.metadata
    floor = Marking.parse(meta.marking_found) if meta.marking_found else Marking.OFFICIAL
    hints = job.hints or {}
    created = None
    if hints.get("created_at"):
        created = datetime.fromisoformat(hints["created_at"])
    elif meta.document_date:
        d = meta.document_date
        created = datetime(d.year, d.month, d.day, tzinfo=UTC)
    new = NewDocument(
        filename=job.safe_name,
        into_code=code or "",
        title=hints.get("title") or meta.title,
        marking=job.marking,
        creator=hints.get("creator") or meta.author,
        description=hints.get("description", ""),
        doc_type=hints.get("doc_type", ""),
        language=meta.language if meta.language != "und" else "en",
        created_at=created,
    )

    def create(triage: bool, extra: dict[str, Any]) -> Document:
        return create_document(
            session,
            job.sha256,
            job.size,
            reading.sniffed.mime,
            new,
            actor=actor,
            triage=triage,
            marking_floor=floor,
            extra=extra,
        )

    extra = _document_extra(job, reading)
    try:
        document = create(code is None, extra)
    except EdrmError as exc:
        if code is None:
            raise
        # The destination refused it (closed, unknown, marking): the filer's triage list instead.
        document = create(True, {**extra, "filing_refused": str(exc)})
        code = None
    if job.parent_document_id:
        document.relations = [{"type": "attachment_of", "document_id": job.parent_document_id}]
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
    for rank, s in enumerate(reading.suggestions, start=1):
        session.add(
            DocumentSuggestion(
                document_id=document.id,
                rank=rank,
                class_code=s.class_code,
                confidence=s.confidence,
                reason=s.reason,
            )
        )
    for name, sha256, size in reading.attachments:
        jobs.submit_stored(
            session,
            sha256,
            size,
            name,
            jobs.Submission(
                submitted_by=job.submitted_by,
                source="attachment",
                batch=job.batch,
                into_code=code if job.into_code else None,
                marking=job.marking,
                parent_document_id=document.id,
            ),
        )
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
    session: Session, job: IngestJob, error: RejectedInputError, ctx: PipelineContext
) -> None:
    """A file the pipeline will not take: the reason is kept and the original quarantined."""
    message = f"{job.safe_name}: {error}"
    quarantine.keep(ctx.blobs, ctx.quarantine_dir, job, error.reason, message)
    job.status = FAILED
    job.outcome = FAILED
    job.error_reason = error.reason
    job.error = message
    job.finished_at = clock.now()
    audit.record(
        session,
        job.submitted_by,
        "ingest.rejected",
        "ingest_job",
        job.id,
        {"reason": error.reason, "error": message},
    )


def process_job(sessions: Any, job_id: int, worker: str, ctx: PipelineContext) -> str:
    """Run one claimed job to its end; returns the job's outcome. `sessions` is a sessionmaker."""
    with sessions() as session:
        job = session.get(IngestJob, job_id)
        if job is None:
            return FAILED
        existing = _existing_document(session, job.sha256)
        session.expunge(job)
    if existing is not None:
        return _finish(sessions, job_id, worker, lambda s, j: mark_duplicate(s, j, existing), ctx)
    try:
        reading = read_file(job, ctx)
    except RejectedInputError as exc:
        rejection = exc
    else:
        return _finish(sessions, job_id, worker, lambda s, j: file_reading(s, j, reading, ctx), ctx)
    return _finish(sessions, job_id, worker, lambda s, j: mark_failed(s, j, rejection, ctx), ctx)


def _finish(sessions: Any, job_id: int, worker: str, action: Any, ctx: PipelineContext) -> str:
    """Apply `action` to the job in one transaction if this worker still owns it."""
    with sessions() as session, session.begin():
        job = jobs.lock_own(session, job_id, worker)
        if job is None:
            return "lost"  # another worker took it over after this one seemed dead
        try:
            with session.begin_nested():
                action(session, job)
        except EdrmError as exc:  # refused while filing, e.g. marking above the filer's clearance
            error = (
                exc
                if isinstance(exc, RejectedInputError)
                else RejectedInputError("not_allowed", str(exc))
            )
            mark_failed(session, job, error, ctx)
        return job.outcome or FAILED


def document_ingest_view(session: Session, document: Document) -> dict[str, Any]:
    """The ingest part of `edrm doc show --json`: text, suggestions, extracted metadata."""
    text = session.get(DocumentText, document.id)
    suggestions = session.scalars(
        select(DocumentSuggestion)
        .where(DocumentSuggestion.document_id == document.id)
        .order_by(DocumentSuggestion.rank)
    ).all()
    extra = document.extra or {}
    return {
        "text": text.text if text else None,
        "pages": text.pages if text else [],
        "suggestions": [
            {"class_code": s.class_code, "confidence": round(s.confidence, 4), "reason": s.reason}
            for s in suggestions
        ],
        "extracted": {
            key: extra.get(key)
            for key in (
                "document_date",
                "references",
                "page_count",
                "pii",
                "marking_found",
                "sniffed_type",
                "extension_mismatch",
                "warnings",
                "no_text_found",
            )
            if key in extra
        },
    }
