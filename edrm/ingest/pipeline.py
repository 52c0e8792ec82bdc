"""The pipeline for one job: sniff → extract → OCR → rendition → metadata → classify → file
(or triage).

Each step is a module of its own beside this one (`sniff`, `extract` with the readers in
`formats/`, `ocr`, `renditions`, `metadata`, `classify`, `filing`); this module runs them in
order. The slow
part (reading the file, OCR) runs outside any transaction, the parser in an isolated child
process; then one short transaction files the document, its text, suggestions, child jobs for
attachments and the job's outcome together, after checking that this worker still owns the job.
So a crash at any point leaves the job to be done again, and never done twice.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import metrics
from edrm.access import Principal, document_filter, suggestable_codes
from edrm.db import READS_FIRST
from edrm.documents.models import Document, DocumentText, DocumentVersion
from edrm.errors import EdrmError
from edrm.fileplan.models import FilePlanNode
from edrm.ingest import jobs
from edrm.ingest.classify.reasons import plain_reason
from edrm.ingest.classify.rules import Evidence, RuleSet, rule_evidence
from edrm.ingest.classify.suggestions import (
    Classifier,
    ModelReading,
    choose_class,
    read_for_model,
    suggest,
)
from edrm.ingest.extract import extract
from edrm.ingest.filing import file_reading, filing_actor, mark_duplicate, mark_failed
from edrm.ingest.isolation import IsolatedRunner
from edrm.ingest.metadata import ReferencePattern, extract_metadata
from edrm.ingest.models import FAILED, DocumentSuggestion, IngestJob
from edrm.ingest.renditions import make_renditions
from edrm.ingest.sniff import sniff
from edrm.ingest.types import (
    ExtractedPage,
    Extraction,
    IngestConfig,
    OcrResult,
    Reading,
    RejectedInputError,
    Suggestion,
)
from edrm.storage import BlobStore

if TYPE_CHECKING:  # the worker makes the engine: importing it here would load numpy and PIL
    from edrm.ingest.ocr import OcrEngine  # into `edrm doc show` and the web pages

CHILD_MEMORY_BYTES = 4 * 1024**3


@dataclass
class PipelineContext:
    """What every job needs, built once per worker."""

    config: IngestConfig
    blobs: BlobStore
    ocr: OcrEngine
    rules: RuleSet
    model: Classifier | None  # the compact form when the model has one (no scikit-learn)
    reference_patterns: list[ReferencePattern]
    quarantine_dir: Path
    known_codes: frozenset[str] = frozenset()  # classes in the file plan (suggest only these)
    # per submitter, the codes they may be offered (refreshed with known_codes): see offerable
    offerable_codes: dict[str, frozenset[str]] = field(default_factory=dict)
    isolated: IsolatedRunner = field(
        default_factory=lambda: IsolatedRunner(memory_bytes=CHILD_MEMORY_BYTES)
    )
    _scratch: Path | None = None

    def scratch(self) -> Path:
        """This worker's temporary folder, under which each job that writes page images gets
        a folder of its own (removed after the job; a killed worker's are left to the system's
        temporary-file cleaning, as a temporary directory would be)."""
        if self._scratch is None or not self._scratch.is_dir():
            self._scratch = Path(tempfile.mkdtemp(prefix="edrm-ingest-"))
        return self._scratch

    def remove_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def read_file(
    job: IngestJob, ctx: PipelineContext, offered: frozenset[str] | None = None
) -> Reading:
    """Everything but the filing: may take long; writes only blobs (content-addressed).

    sniff → extract (in the isolated child) → OCR → rendition (a scan's searchable PDF/A from the
    page images and the words OCR read, while the images are still in the work folder) → metadata →
    classify, extract and OCR together within the file's time limit. Two sets of suggestions: those
    kept for every reader (classes of the plan; rules naming any other class are not weighed) and,
    with `offered` (the classes the submitter may be offered), the submitter's own, which only
    weigh rules for those classes and decide whether the document is filed automatically.
    """
    started = time.monotonic()
    limit = float(ctx.config.limits.max_seconds_per_file)
    path = ctx.blobs.path(job.sha256)
    workdir = ctx.scratch() / f"job-{job.id}-{uuid.uuid4().hex[:8]}"  # made only if needed
    try:
        sniffed = sniff(path, job.original_name, ctx.config)
        extraction = ctx.isolated.run(extract, path, sniffed, ctx.config, workdir, timeout=limit)
        left = limit - (time.monotonic() - started)
        pages, results = _with_ocr(extraction, ctx.ocr, left)
        made, note = make_renditions(
            path,
            job.safe_name,
            sniffed,
            extraction,
            results,
            ctx.blobs,
            job.created_at,
            ctx.config.ocr.dpi,
        )
    finally:
        ctx.blobs.release(job.sha256)  # a shared store's local copy is not kept
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
    text = "\n\n".join(p.text for p in pages if p.text.strip())
    properties = extraction.properties
    metadata = extract_metadata(
        text, properties, job.safe_name, extraction.page_count, ctx.reference_patterns
    )
    sender = properties.get("sender_email", properties.get("sender", ""))
    attachment_names = [item.filename for item in extraction.attachments]
    view = read_for_model(ctx.model, text, job.safe_name, properties, attachment_names)
    found = rule_evidence(text, job.safe_name, sender, ctx.rules)  # once for both sets
    suggestions = _suggestions(text, job.safe_name, sender, ctx, view, None, found)
    filer = None
    if offered is not None:  # the same classes weighed give the same suggestions: not twice
        same = offered == ctx.known_codes
        name = job.safe_name
        filer = suggestions if same else _suggestions(text, name, sender, ctx, view, offered, found)
    preview = ctx.blobs.put_bytes(extraction.preview_png) if extraction.preview_png else None
    return Reading(
        sniffed,
        extraction,
        pages,
        text,
        metadata,
        suggestions,
        preview.sha256 if preview else None,
        _store_attachments(extraction, ctx.blobs),
        filer,
        made,
        note,
    )


def _with_ocr(
    extraction: Extraction, ocr: OcrEngine, seconds_left: float
) -> tuple[list[ExtractedPage], dict[int, OcrResult]]:
    """The pages read from the file and those recognised from its page images, in order, and
    what OCR found on each page image (its words and their boxes: the rendition's text layer).

    OCR gets what is left of the file's time limit (at least a second).
    """
    pages = list(extraction.pages)
    found: dict[int, OcrResult] = {}
    if extraction.ocr_images:
        numbers = sorted(extraction.ocr_images)
        remaining = max(seconds_left, 1.0)
        with metrics.ocr(len(numbers)):
            results = ocr.recognise([extraction.ocr_images[n] for n in numbers], timeout=remaining)
        for number, result in zip(numbers, results, strict=True):
            source: Literal["ocr", "none"] = "ocr" if result.text.strip() else "none"
            pages.append(ExtractedPage(number, result.text, source, result.confidence))
            found[number] = result
    pages.sort(key=lambda p: p.number)
    return pages, found


def _suggestions(
    text: str,
    filename: str,
    sender: str,
    ctx: PipelineContext,
    view: ModelReading | None,
    offered: frozenset[str] | None,
    evidence: dict[str, Evidence] | None = None,
) -> list[Suggestion]:
    """The classifier's best three classes among those the file plan has (and, given
    `offered`, among those only), none less confident than the configured minimum (a 0%
    suggestion helps no one). Rules for any other class are not weighed. `evidence`: the
    rules' findings in this document, when already made."""
    allowed = offered if offered is not None else (ctx.known_codes or None)
    found = suggest(
        text,
        filename,
        sender,
        ctx.rules,
        ctx.model,
        top=3,
        allowed=allowed,
        view=view,
        evidence=evidence,
    )
    return [s for s in found if s.confidence >= ctx.config.min_confidence]


def offerable(session: Session, job: IngestJob, ctx: PipelineContext) -> frozenset[str] | None:
    """The codes the job's submitter may be offered as a place to file (`suggestable_codes`),
    remembered per submitter until the worker next refreshes the plan's codes; None when the
    plan is not known (every class) or there is no one to file as (the file step says so)."""
    if not ctx.known_codes:
        return None
    try:
        submitter = filing_actor(session, job)
    except EdrmError:
        return None
    found = ctx.offerable_codes.get(submitter.username)
    if found is None:
        found = frozenset(suggestable_codes(session, submitter, ctx.known_codes))
        ctx.offerable_codes[submitter.username] = found
    return found


def _store_attachments(extraction: Extraction, blobs: BlobStore) -> list[tuple[str, str, int]]:
    """(name, sha256, size) of each attachment, its bytes now in the blob store."""
    attachments = []
    for item in extraction.attachments:
        stored = blobs.put_bytes(item.data)
        attachments.append((item.filename, stored.sha256, stored.size))
    return attachments


def _visible_duplicate(session: Session, job: IngestJob) -> int | None:
    """A live document with the same bytes that the submitter may see, if there is one.

    Only what they may see: that a document they may not see holds these bytes is not theirs
    to learn, so their upload is filed as a document of their own (the blob is shared). The
    checksum is looked up first (an index): only when some version holds the same bytes is the
    submitter resolved and access asked.
    """
    if not _same_bytes_held(session, job.sha256):
        return None
    try:
        submitter = filing_actor(session, job)
    except EdrmError:
        return None  # no one to file it as: the file step says so
    return session.scalar(
        select(DocumentVersion.document_id)
        .join(Document, Document.id == DocumentVersion.document_id)
        .where(
            DocumentVersion.sha256 == job.sha256,
            Document.status != "destroyed",
            document_filter(session, submitter),
        )
        .order_by(DocumentVersion.document_id)
        .limit(1)
    )


def _same_bytes_held(session: Session, sha256: str) -> bool:
    """Whether any version of any document holds these bytes (no access asked: nothing about
    that document is told to anyone, it only decides whether access is asked at all)."""
    found = session.scalar(
        select(DocumentVersion.id).where(DocumentVersion.sha256 == sha256).limit(1)
    )
    return found is not None


def _file(session: Session, job: IngestJob, reading: Reading, ctx: PipelineContext) -> None:
    """classify's decision (a class, or triage), then the file step; a duplicate instead when
    a document the submitter may see got the same bytes while this one was being read (a job
    before it in the same group, or another worker)."""
    existing = _visible_duplicate(session, job)
    if existing is not None:
        mark_duplicate(session, job, existing)
        return
    deciding = (
        reading.suggestions if reading.filer_suggestions is None else reading.filer_suggestions
    )
    code, top = choose_class(
        job.into_code, deciding, ctx.rules, ctx.config.default_threshold, ctx.model
    )
    file_reading(session, job, reading, code, top)


Action = Callable[[Session, IngestJob], None]
"""What a job's transaction does to it once its file has been read (file, duplicate, reject)."""


def read_job(sessions: Any, job_id: int, ctx: PipelineContext) -> Action | None:
    """The slow part of one claimed job, outside any transaction: its file read (or found to
    be a duplicate, or rejected). Returns what its transaction is to do; None if the job is
    gone. Writes only blobs (content-addressed), so a crash here leaves nothing to undo."""
    with sessions() as session:
        reads_only(session)
        job = session.get(IngestJob, job_id)
        if job is None:
            return None
        existing = _visible_duplicate(session, job)
        offered = offerable(session, job, ctx) if existing is None else None
        session.expunge(job)
    if existing is not None:
        return lambda s, j: mark_duplicate(s, j, existing)
    try:
        reading = read_file(job, ctx, offered)
    except RejectedInputError as exc:
        rejection = exc
        return lambda s, j: mark_failed(s, j, rejection, ctx.blobs, ctx.quarantine_dir)
    return lambda s, j: _file(s, j, reading, ctx)


def reads_only(session: Session) -> None:
    """Begin the session's transaction as one that only reads: on SQLite it then takes no write
    lock (BEGIN DEFERRED; WAL lets it read beside a writer), so workers reading their next
    files do not queue behind another's filing transaction. Call before the first query."""
    session.connection(execution_options=dict.fromkeys([READS_FIRST], True))


def process_job(sessions: Any, job_id: int, worker: str, ctx: PipelineContext) -> str:
    """Run one claimed job to its end; returns the job's outcome. `sessions` is a sessionmaker."""
    action = read_job(sessions, job_id, ctx)
    if action is None:
        return FAILED
    outcomes, errors = finish_group(sessions, worker, [(job_id, action)], ctx)
    if job_id in errors:
        raise errors[job_id]
    return outcomes[job_id]


def finish_group(
    sessions: Any, worker: str, actions: list[tuple[int, Action]], ctx: PipelineContext
) -> tuple[dict[int, str], dict[int, Exception]]:
    """Apply each job's action in ONE transaction, each job in a savepoint of its own, and only
    to the jobs this worker still owns; returns (outcome per job, error per job not done).

    Crash story: the documents and the jobs' outcomes (done) are committed together, so a crash
    before the commit leaves every job of the group running for a dead worker (requeued and
    done again; only content-addressed blobs were written), and after it none is done again. A
    job whose savepoint fails (an unexpected error) is undone alone and returned in the errors,
    for the caller to retry; the others are still committed. An error that breaks the whole
    transaction (the database refuses the commit) is raised: nothing of the group was filed.
    """
    outcomes: dict[int, str] = {}
    errors: dict[int, Exception] = {}
    finished: list[tuple[str, str | None]] = []
    with sessions() as session, session.begin():
        owned = jobs.lock_own_many(session, [job_id for job_id, _ in actions], worker)
        for job_id, action in actions:
            try:
                with session.begin_nested():  # this job alone is undone if anything fails
                    outcome, reason = _finish_one(session, owned.get(job_id), action, ctx)
            except Exception as exc:  # transient or a bug: retried by the caller, alone
                errors[job_id] = exc
                continue
            outcomes[job_id] = outcome
            finished.append((outcome, reason))
    for outcome, reason in finished:  # committed
        metrics.ingest_job_finished(outcome, reason)
    return outcomes, errors


def _finish_one(
    session: Session, job: IngestJob | None, action: Action, ctx: PipelineContext
) -> tuple[str, str | None]:
    """Apply `action` to the job, None when this worker no longer owns it (in the caller's
    transaction, the job locked)."""
    if job is None:
        return "lost", None  # another worker took it over: this one seemed dead
    try:
        with session.begin_nested():
            action(session, job)
    except EdrmError as exc:  # refused while filing, e.g. marking above the clearance
        error = (
            exc
            if isinstance(exc, RejectedInputError)
            else RejectedInputError("not_allowed", str(exc))
        )
        mark_failed(session, job, error, ctx.blobs, ctx.quarantine_dir)
    return job.outcome or FAILED, job.error_reason


def document_ingest_view(session: Session, document: Document, viewer: Principal) -> dict[str, Any]:
    """The ingest part of `edrm doc show --json`: text, suggestions, extracted metadata.

    The suggestions are those naming classes the viewer may see and file into (the stored
    ones are for every reader of the document).
    """
    text = session.get(DocumentText, document.id)
    stored = session.scalars(
        select(DocumentSuggestion)
        .where(DocumentSuggestion.document_id == document.id)
        .order_by(DocumentSuggestion.rank)
    ).all()
    open_to_viewer = suggestable_codes(session, viewer, {s.class_code for s in stored})
    suggestions = [s for s in stored if s.class_code in open_to_viewer]
    titles = dict(
        session.execute(
            select(FilePlanNode.code, FilePlanNode.title).where(
                FilePlanNode.code.in_(open_to_viewer)
            )
        ).all()
    )
    extra = document.extra or {}
    return {
        "text": text.text if text else None,
        "pages": text.pages if text else [],
        "suggestions": [
            {
                "class_code": s.class_code,
                "class_title": titles.get(s.class_code, s.class_code),
                "confidence": round(s.confidence, 4),
                "reason": s.reason,
                "reason_text": plain_reason(s.reason),
            }
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
