"""Carrying out approved disposal: destruction that leaves a residual stub, in resumable parts,
grouped into batches whose certificate is issued only when every item is fully gone.

Public interface (the transfer module, the scheduled job, the CLI and the pages call these):

    execute_approved(rt, *, actor, limit=None) -> ExecutionResult
        Every approved `destroy` item (and every item left `executing` by an earlier run),
        destroyed in batches; approved `review` items get their new review date. Approved
        `transfer` items are left to retention.transfer (they wait for the archive's receipt).
    destroy_items(rt, item_ids, *, actor, note="") -> ExecutionResult
        Destroy exactly these queue items (status approved, transferred, or executing for a
        retry), whatever their action; `note` goes on each stub (e.g. "transferred to the
        archive in bag X"). Used by retention.transfer.confirm_transfer.
    destroy_document(rt, document_id, *, actor, note="") -> ExecutionResult
        Destroy one record through its approved (or transferred) queue item. A record under a
        legal hold is refused (RefusedError, audited through the change guards) before anything
        else is looked at; a record without an approved decision is refused.
    refuse_if_destroyed(session, document, change, actor)
        A change guard for edrm.documents.guards.register: a destroyed record's stub cannot be
        moved, re-filed, declared or edited.
    stub_for(session, document_id) -> ResidualStub | None
    stub_as_dict(stub) -> dict[str, Any]

Each function opens its own transactions (it takes the Runtime, not a session): destruction
is committed part by part so that a crash or a failed part leaves the item `executing` with the
parts already done recorded in `DisposalItem.progress`, and the next run resumes it.

Parts, in order, per chunk of items (one transaction, one blob sweep, one index call each):
1. `db`: write the residual stub, delete the extracted text and classifier suggestions, drop
   content-derived metadata (preview, personal-data indicators, properties), mark the document
   `destroyed` and note a search-outbox delete. From here on nothing serves its content.
2. `blobs`: delete the blob of every version and the preview, unless a live document (or a
   pending ingest job) still uses the same bytes (the store is content-addressed).
3. `index`: delete the search index entry and commit it. A failure of the chunk's call is
   retried item by item so that it is pinned on the items that really failed.
An item with every part done is `done`. A record placed under a hold in the meantime is
skipped: left approved (or, if its destruction had already begun, `executing` with the reason).
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, require_records_manager
from edrm.documents import guards
from edrm.documents.models import Document, DocumentText, DocumentVersion
from edrm.errors import NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.ingest.models import DONE, FAILED, DocumentSuggestion, IngestJob
from edrm.outbox import DELETE, OutboxEntry
from edrm.settings import Settings
from retention.holds import held as held_now
from retention.models import (
    DisposalBatch,
    DisposalDecision,
    DisposalItem,
    ResidualStub,
    RetentionRule,
    Transfer,
    TransferItem,
)
from retention.review import set_review_date, years_later

if TYPE_CHECKING:
    from edrm.runtime import Runtime

log = logging.getLogger(__name__)

#: Item statuses from which destruction may start (or resume).
DESTROYABLE = ("approved", "transferred", "executing")
#: Parts of an item's destruction, in order (keys of DisposalItem.progress).
PARTS = ("db", "blobs", "index")
#: Metadata that survives destruction on the document row (the rest came from the content).
#: Blob deletions run side by side: each unlink waits on the file system, not the CPU.
UNLINK_THREADS = 16
KEPT_EXTRA = ("original_filename", "ingest_job", "sniffed_type", "page_count", "document_date")


@dataclass(frozen=True)
class DisposalConfig:
    """config/disposal.toml: where certificates are filed and how work is divided."""

    certificate_class: str = "INFO-IM-DSP"
    certificate_format: str = "pdf"  # pdf | html (the CSV schedule always goes with it)
    chunk_size: int = 500  # items per transaction / blob sweep / index call
    batch_size: int = 1000  # items per batch (one certificate each)
    review_years: int = 1  # an approved `review` item's next review date, if none was given


def load_config(settings: Settings) -> DisposalConfig:
    path = settings.config_path("disposal.toml")
    if not path.is_file():
        return DisposalConfig()
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    known = DisposalConfig.__dataclass_fields__
    values = {k: v for k, v in data.items() if k in known}
    config = DisposalConfig(**values)
    if config.certificate_format not in ("pdf", "html"):
        from edrm.errors import InvalidInputError

        raise InvalidInputError(f"{path}: certificate_format must be 'pdf' or 'html'")
    return config


@dataclass
class ExecutionResult:
    finished: list[int] = field(default_factory=list)  # item ids fully done
    failed: list[tuple[int, str]] = field(default_factory=list)  # (item id, why)
    batches: list[int] = field(default_factory=list)  # batches this run worked on
    certificates: list[int] = field(default_factory=list)  # certificate document ids issued
    held: list[int] = field(default_factory=list)  # item ids skipped: under a legal hold now
    reviewed: list[int] = field(default_factory=list)  # `review` items given a new date
    problems: list[str] = field(default_factory=list)  # batch-level (e.g. certificate) failures

    def merge(self, other: ExecutionResult) -> None:
        for name in self.__dataclass_fields__:
            mine = getattr(self, name)
            for value in getattr(other, name):
                if value not in mine:
                    mine.append(value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "finished": self.finished,
            "failed": [{"id": i, "error": e} for i, e in self.failed],
            "batches": self.batches,
            "certificates": self.certificates,
            "held": self.held,
            "reviewed": self.reviewed,
            "problems": self.problems,
        }


# --- entry points -----------------------------------------------------------------------------


def execute_approved(rt: Runtime, *, actor: Principal, limit: int | None = None) -> ExecutionResult:
    """Carry out what reviewers approved: destroy approved `destroy` items, resume items left
    `executing`, set new review dates for approved `review` items, and certify every batch
    whose items are all gone. Never touches anything nobody approved."""
    require_records_manager(actor, "carry out disposal")
    result = ExecutionResult()
    result.merge(_review_approved(rt, actor=actor, limit=limit))
    with rt.uow() as session:
        stmt = (
            select(DisposalItem.id)
            .where(
                or_(
                    (DisposalItem.status == "approved") & (DisposalItem.action == "destroy"),
                    DisposalItem.status == "executing",
                )
            )
            .order_by(DisposalItem.id)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        item_ids = list(session.scalars(stmt))
    if item_ids:
        result.merge(destroy_items(rt, item_ids, actor=actor))
    result.merge(_certify_finished_batches(rt, actor=actor))
    return result


def destroy_items(
    rt: Runtime, item_ids: Iterable[int], *, actor: Principal, note: str = ""
) -> ExecutionResult:
    """Destroy these queue items' records, leaving stubs; certify each batch once all done."""
    require_records_manager(actor, "carry out disposal")
    config = load_config(rt.settings)
    result = ExecutionResult()
    wanted = sorted(set(item_ids))
    claimed: list[int] = []
    for start in range(0, len(wanted), config.batch_size):
        claimed += _claim(rt, wanted[start : start + config.batch_size], actor, config, result)
    # Chunk by chunk; a chunk's blobs are deleted in the background while its index entries
    # go and the next chunk's database part runs (blob deletion waits on the disk, not on us).
    with ThreadPoolExecutor(max_workers=1) as background:
        previous: _Chunk | None = None
        for start in range(0, len(claimed), config.chunk_size):
            ids = claimed[start : start + config.chunk_size]
            chunk = _start_chunk(rt, ids, actor=actor, note=note, background=background)
            if previous is not None:
                _end_chunk(rt, previous, actor=actor, result=result)
            previous = chunk
        if previous is not None:
            _end_chunk(rt, previous, actor=actor, result=result)
    result.merge(_certify_finished_batches(rt, actor=actor, only=result.batches))
    return result


def destroy_document(
    rt: Runtime, document_id: int, *, actor: Principal, note: str = ""
) -> ExecutionResult:
    """Destroy one record through its approved queue item (refused when held or unapproved)."""
    require_records_manager(actor, "carry out disposal")
    with rt.uow() as session:
        document = session.get(Document, document_id)
        if document is None:
            raise NotFoundError(f"document {document_id} not found")
        if document.status == "destroyed":
            raise RefusedError(f"document {document_id} has already been destroyed")
        guards.check(session, document, "destroy", actor)
        item_id = session.scalar(
            select(DisposalItem.id).where(
                DisposalItem.document_id == document_id,
                DisposalItem.status.in_(DESTROYABLE),
            )
        )
        if item_id is None:
            raise RefusedError(
                f"document {document_id} has no approved disposal decision: "
                "it cannot be destroyed until its review is approved"
            )
    return destroy_items(rt, [item_id], actor=actor, note=note)


def refuse_if_destroyed(
    session: Session, document: Document, change: str, actor: Principal
) -> None:
    """A change guard (edrm.documents.guards): nothing may change a destroyed record's stub."""
    if document.status == "destroyed":
        raise RefusedError(
            f"document {document.id} has been destroyed: only its residual stub remains, "
            f"and it cannot be changed ({change})"
        )


def stub_for(session: Session, document_id: int) -> ResidualStub | None:
    return session.get(ResidualStub, document_id)


def stub_as_dict(stub: ResidualStub) -> dict[str, Any]:
    return {
        "document_id": stub.document_id,
        "identifier": stub.identifier,
        "title": stub.title,
        "class_code": stub.class_code,
        "folder_code": stub.folder_code,
        "marking": stub.marking,
        "created_at": stub.created_at.isoformat(),
        "declared_at": stub.declared_at.isoformat() if stub.declared_at else None,
        "rule": stub.rule_code,
        "authority": stub.authority,
        "approvers": stub.approvers,
        "destroyed_at": stub.destroyed_at.isoformat(),
        "destroyed_by": stub.destroyed_by,
        "batch_id": stub.batch_id,
        "note": stub.note,
    }


# --- claiming ---------------------------------------------------------------------------------


def _set_items(session: Session, progress: dict[int, dict[str, Any]], **values: Any) -> None:
    """Set each item's progress (and `values`, the same for all): one UPDATE per distinct
    progress value, so a chunk whose items are at the same point costs one statement."""
    groups: dict[str, list[int]] = {}
    for item_id, parts in progress.items():
        groups.setdefault(json.dumps(parts, sort_keys=True), []).append(item_id)
    for key, ids in groups.items():
        session.execute(
            update(DisposalItem)
            .where(DisposalItem.id.in_(ids))
            .values(progress=json.loads(key), **values)
            .execution_options(synchronize_session=False)
        )


def _receipted(session: Session, item_ids: list[int]) -> set[int]:
    """The transfer items whose bag the archive has confirmed receiving (only those may be
    destroyed locally)."""
    if not item_ids:
        return set()
    return set(
        session.scalars(
            select(TransferItem.item_id)
            .join(Transfer, Transfer.id == TransferItem.transfer_id)
            .where(
                TransferItem.item_id.in_(item_ids),
                Transfer.status.in_(("confirmed", "complete")),
            )
        )
    )


def _claim(
    rt: Runtime,
    item_ids: Sequence[int],
    actor: Principal,
    config: DisposalConfig,
    result: ExecutionResult,
) -> list[int]:
    """Move the startable items to `executing` in a batch (new items get a new batch, one per
    action, at most `batch_size` items each); report the ones that cannot start."""
    with rt.uow() as session:
        rows = session.execute(
            select(
                DisposalItem.id,
                DisposalItem.document_id,
                DisposalItem.status,
                DisposalItem.action,
                DisposalItem.batch_id,
                DisposalItem.progress,
            )
            .where(DisposalItem.id.in_(item_ids))
            .with_for_update()
        ).all()
        found = {r.id for r in rows}
        for missing in sorted(set(item_ids) - found):
            result.failed.append((missing, f"disposal item {missing} not found"))
        held = held_now(session, [r.document_id for r in rows])
        receipted = _receipted(session, [r.id for r in rows if r.action == "transfer"])
        now = clock.now()
        claimed: list[int] = []
        fresh: dict[str, list[Any]] = {}
        back: list[dict[str, Any]] = []
        held_events: list[tuple[str, str, str, int, dict[str, Any]]] = []
        for row in rows:
            if row.status not in DESTROYABLE:
                result.failed.append((row.id, f"disposal item {row.id} is {row.status}"))
                continue
            if row.action not in ("destroy", "transfer"):
                result.failed.append((row.id, f"disposal item {row.id} is a {row.action}"))
                continue
            if row.action == "transfer" and row.id not in receipted:
                result.failed.append(
                    (row.id, f"disposal item {row.id} awaits the archive's receipt of its transfer")
                )
                continue
            progress = dict(row.progress or {})
            if row.document_id in held:
                result.held.append(row.id)
                if row.status == "executing" and not progress.get("db"):
                    # Not begun: out of its batch, back to what it was, for when it is lifted.
                    back.append(
                        {
                            "b_id": row.id,
                            "b_status": progress.get("from", "approved"),
                            "b_batch": None,
                            "b_error": "under legal hold",
                        }
                    )
                elif row.status == "executing":
                    back.append(
                        {
                            "b_id": row.id,
                            "b_status": "executing",
                            "b_batch": row.batch_id,
                            "b_error": "under legal hold: destruction resumes when it is lifted",
                        }
                    )
                held_events.append(
                    (actor.username, "disposal.held", "document", row.document_id, {"item": row.id})
                )
                continue
            if row.status == "executing" and row.batch_id is not None:
                claimed.append(row.id)
                if row.batch_id not in result.batches:
                    result.batches.append(row.batch_id)
            else:
                fresh.setdefault(row.action, []).append(row)
        audit.record_many(session, held_events)
        if back:
            session.execute(
                update(DisposalItem.__table__)
                .where(DisposalItem.__table__.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    batch_id=bindparam("b_batch"),
                    last_error=bindparam("b_error"),
                ),
                back,
            )
        for action, group in fresh.items():
            for start in range(0, len(group), config.batch_size):
                part = group[start : start + config.batch_size]
                batch = DisposalBatch(
                    action=action, status="executing", created_at=now, created_by=actor.username
                )
                session.add(batch)
                session.flush()
                _set_items(
                    session,
                    {r.id: {**(r.progress or {}), "from": r.status} for r in part},
                    status="executing",
                    batch_id=batch.id,
                    last_error=None,
                )
                audit.record(
                    session,
                    actor.username,
                    "disposal.batch",
                    "disposal_batch",
                    batch.id,
                    {"action": action, "items": [r.id for r in part]},
                )
                result.batches.append(batch.id)
                claimed.extend(r.id for r in part)
    return sorted(claimed)


# --- the parts --------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """A chunk between its start (database part, blob deletion set going, index entries
    deleted) and its end (blob deletion awaited, progress recorded)."""

    items: dict[int, Any]  # item id -> (id, document_id, progress)
    progress: dict[int, dict[str, Any]]
    errors: dict[int, str]
    blob_items: list[int]
    blobs: Future[None] | None


def _start_chunk(
    rt: Runtime,
    item_ids: list[int],
    *,
    actor: Principal,
    note: str,
    background: ThreadPoolExecutor,
) -> _Chunk:
    _db_part(rt, item_ids, actor=actor, note=note)
    with rt.uow() as session:
        items = {
            r.id: r
            for r in session.execute(
                select(DisposalItem.id, DisposalItem.document_id, DisposalItem.progress).where(
                    DisposalItem.id.in_(item_ids), DisposalItem.status == "executing"
                )
            )
        }
    progress = {i: dict(r.progress or {}) for i, r in items.items()}
    # Blobs: only of items whose database part is done (their documents are no longer live).
    blob_items = [i for i, p in progress.items() if p.get("db") and not p.get("blobs")]
    blobs = None
    if blob_items:
        shas = _version_shas(rt, [items[i].document_id for i in blob_items])
        previews = [s for i in blob_items for s in progress[i].get("previews", [])]
        blobs = background.submit(_delete_blobs, rt, shas, previews=previews)
    chunk = _Chunk(items, progress, {}, blob_items, blobs)
    index_items = [i for i, p in progress.items() if p.get("db") and not p.get("index")]
    if index_items:
        failures = _delete_from_index(rt, {i: items[i].document_id for i in index_items})
        for i in index_items:
            if i in failures:
                chunk.errors[i] = f"search index: {failures[i]}"
            else:
                progress[i]["index"] = True
    return chunk


def _end_chunk(rt: Runtime, chunk: _Chunk, *, actor: Principal, result: ExecutionResult) -> None:
    if chunk.blobs is not None:
        try:
            chunk.blobs.result()
            for i in chunk.blob_items:
                chunk.progress[i]["blobs"] = True
        except Exception as exc:  # recorded on the items; a retry resumes
            for i in chunk.blob_items:
                chunk.errors[i] = f"blob store: {exc}"
    _finish(rt, chunk.progress, chunk.errors, chunk.items, actor=actor, result=result)


def _version_shas(rt: Runtime, document_ids: list[int]) -> list[str]:
    """The content checksums of every version of these documents (the version rows stay)."""
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(DocumentVersion.sha256)
                .where(DocumentVersion.document_id.in_(document_ids))
                .distinct()
            )
        )


def _db_part(rt: Runtime, item_ids: list[int], *, actor: Principal, note: str) -> None:
    """Stubs, text, suggestions, metadata, status and outbox: one transaction for the chunk."""
    with rt.uow() as session:
        rows = session.execute(
            select(
                DisposalItem.id,
                DisposalItem.document_id,
                DisposalItem.progress,
                DisposalItem.rule_code,
                DisposalItem.class_code,
                DisposalItem.batch_id,
            )
            .where(DisposalItem.id.in_(item_ids), DisposalItem.status == "executing")
            .with_for_update()
        ).all()
        todo = [r for r in rows if not (r.progress or {}).get("db")]
        if not todo:
            return
        doc_ids = [r.document_id for r in todo]
        docs = {
            d.id: d
            for d in session.execute(
                select(
                    Document.id,
                    Document.identifier,
                    Document.title,
                    Document.marking_value,
                    Document.created_at,
                    Document.declared_at,
                    Document.node_id,
                    Document.extra,
                    Document.status,
                ).where(Document.id.in_(doc_ids))
            )
        }
        nodes = {
            n.id: n
            for n in session.execute(
                select(FilePlanNode.id, FilePlanNode.code, FilePlanNode.kind_value).where(
                    FilePlanNode.id.in_({d.node_id for d in docs.values() if d.node_id})
                )
            )
        }
        authorities = dict(
            session.execute(
                select(RetentionRule.code, RetentionRule.authority).where(
                    RetentionRule.code.in_({r.rule_code for r in todo})
                )
            ).all()
        )
        approvers: dict[int, list[dict[str, Any]]] = {}
        for d in session.execute(
            select(
                DisposalDecision.item_id,
                DisposalDecision.stage,
                DisposalDecision.decided_by,
                DisposalDecision.decided_at,
                DisposalDecision.reason,
            )
            .where(
                DisposalDecision.item_id.in_([r.id for r in todo]),
                DisposalDecision.decision == "approve",
            )
            .order_by(DisposalDecision.id)
        ):
            approvers.setdefault(d.item_id, []).append(
                {
                    "by": d.decided_by,
                    "at": d.decided_at.isoformat(),
                    "stage": d.stage,
                    "reason": d.reason,
                }
            )
        shas: dict[int, set[str]] = {}
        for doc_id, sha in session.execute(
            select(DocumentVersion.document_id, DocumentVersion.sha256).where(
                DocumentVersion.document_id.in_(doc_ids)
            )
        ):
            shas.setdefault(doc_id, set()).add(sha)
        have_stub = set(
            session.scalars(
                select(ResidualStub.document_id).where(ResidualStub.document_id.in_(doc_ids))
            )
        )
        now = clock.now()
        stubs: list[dict[str, Any]] = []
        documents: list[dict[str, Any]] = []
        items: dict[int, dict[str, Any]] = {}
        for row in todo:
            doc = docs[row.document_id]
            extra = dict(doc.extra or {})
            previews = [extra["preview_sha256"]] if extra.get("preview_sha256") else []
            node = nodes.get(doc.node_id) if doc.node_id else None
            if doc.id not in have_stub:
                stubs.append(
                    {
                        "document_id": doc.id,
                        "identifier": doc.identifier,
                        "title": doc.title,
                        "class_code": row.class_code,
                        "folder_code": node.code if node and node.kind_value == "folder" else None,
                        "marking": doc.marking_value,
                        "created_at": doc.created_at,
                        "declared_at": doc.declared_at,
                        "rule_code": row.rule_code,
                        "authority": authorities.get(row.rule_code, ""),
                        "approvers": approvers.get(row.id, []),
                        "destroyed_at": now,
                        "destroyed_by": actor.username,
                        "batch_id": row.batch_id,
                        "note": note,
                    }
                )
            kept = {k: extra[k] for k in KEPT_EXTRA if k in extra}
            if kept != extra:
                documents.append({"b_id": doc.id, "b_extra": kept})
            items[row.id] = {**(row.progress or {}), "db": True}
            if previews:
                items[row.id]["previews"] = previews
        if stubs:
            session.execute(insert(ResidualStub.__table__), stubs)
        session.execute(delete(DocumentText).where(DocumentText.document_id.in_(doc_ids)))
        session.execute(
            delete(DocumentSuggestion).where(DocumentSuggestion.document_id.in_(doc_ids))
        )
        session.execute(
            update(Document)
            .where(Document.id.in_(doc_ids))
            .values(status="destroyed")
            .execution_options(synchronize_session=False)
        )
        if documents:  # content-derived metadata (preview, personal data found, properties)
            table = Document.__table__
            session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(extra=bindparam("b_extra")),
                documents,
            )
        session.execute(
            insert(OutboxEntry.__table__),
            [{"document_id": i, "op": DELETE, "created_at": now} for i in doc_ids],
        )
        _set_items(session, items)
        audit.record_many(
            session,
            (
                (
                    actor.username,
                    "disposal.destroy",
                    "document",
                    row.document_id,
                    {
                        "item": row.id,
                        "batch": row.batch_id,
                        "identifier": docs[row.document_id].identifier,
                        "title": docs[row.document_id].title,
                        "rule": row.rule_code,
                        "versions": len(shas.get(row.document_id, ())),
                        **({"note": note} if note else {}),
                    },
                )
                for row in todo
            ),
        )


def _delete_blobs(rt: Runtime, shas: Iterable[str], *, previews: Iterable[str] = ()) -> None:
    """Delete these blobs (versions' content and previews) except those that a live document's
    version or preview, or an unfinished ingest job, still uses (the store keeps equal bytes
    once)."""
    preview_set = set(previews)
    wanted = sorted(set(shas) | preview_set)
    if not wanted:
        return
    keep: set[str] = set()
    with rt.sessions() as session:
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            keep.update(
                session.scalars(
                    select(DocumentVersion.sha256)
                    .join(Document, Document.id == DocumentVersion.document_id)
                    .where(DocumentVersion.sha256.in_(part), Document.status != "destroyed")
                    .distinct()
                )
            )
            keep.update(
                session.scalars(
                    select(IngestJob.sha256)
                    .where(IngestJob.sha256.in_(part), IngestJob.status.not_in((DONE, FAILED)))
                    .distinct()
                )
            )
        keep.update(_preview_users(session, sorted(preview_set - keep)))
    doomed = [rt.blobs.path(sha) for sha in wanted if sha not in keep]
    if len(doomed) < 16:
        for path in doomed:
            path.unlink(missing_ok=True)
        return
    with ThreadPoolExecutor(max_workers=UNLINK_THREADS) as pool:
        list(pool.map(lambda p: p.unlink(missing_ok=True), doomed))


def _preview_users(session: Session, shas: list[str]) -> set[str]:
    """Which of these checksums a live document names as its preview (different files may
    share a first page). One scan of the documents' metadata per 500."""
    used: set[str] = set()
    preview = Document.extra["preview_sha256"].as_string()
    for start in range(0, len(shas), 500):
        part = shas[start : start + 500]
        used.update(
            session.scalars(
                select(preview).where(Document.status != "destroyed", preview.in_(part)).distinct()
            )
        )
    return used


def _delete_from_index(rt: Runtime, documents: dict[int, int]) -> dict[int, str]:
    """Delete the documents' index entries: one call for the chunk; if it fails, one call per
    item to find which failed. Returns {item id: error} for the failures."""
    try:
        rt.search.delete(sorted(documents.values()))
        rt.search.commit()
        return {}
    except Exception as exc:  # any engine failure: retried item by item
        log.warning(
            "index delete of %d documents failed (%s); retrying one by one", len(documents), exc
        )
    failures: dict[int, str] = {}
    for item_id, document_id in sorted(documents.items()):
        try:
            rt.search.delete([document_id])
            rt.search.commit()
        except Exception as exc:
            failures[item_id] = str(exc) or exc.__class__.__name__
    return failures


def _finish(
    rt: Runtime,
    progress: dict[int, dict[str, Any]],
    errors: dict[int, str],
    items: dict[int, Any],
    *,
    actor: Principal,
    result: ExecutionResult,
) -> None:
    now = clock.now()
    done, pending = [], []
    for item_id, parts in progress.items():
        if all(parts.get(p) for p in PARTS):
            done.append({"b_id": item_id, "b_progress": parts})
            result.finished.append(item_id)
        else:
            why = errors.get(item_id, "not finished")
            pending.append({"b_id": item_id, "b_progress": parts, "b_error": why})
            result.failed.append((item_id, why))
    queue = DisposalItem.__table__
    with rt.uow() as session:
        if done:
            _set_items(
                session,
                {row["b_id"]: row["b_progress"] for row in done},
                status="done",
                last_error=None,
                finished_at=now,
            )
        if pending:
            session.execute(
                update(queue)
                .where(queue.c.id == bindparam("b_id"))
                .values(progress=bindparam("b_progress"), last_error=bindparam("b_error")),
                pending,
            )
            audit.record_many(
                session,
                (
                    (
                        actor.username,
                        "disposal.failed",
                        "document",
                        items[row["b_id"]].document_id,
                        {
                            "item": row["b_id"],
                            "error": row["b_error"],
                            "done": [p for p in PARTS if row["b_progress"].get(p)],
                        },
                    )
                    for row in pending
                ),
            )


# --- batches and certificates -----------------------------------------------------------------


def _certify_finished_batches(
    rt: Runtime, *, actor: Principal, only: Sequence[int] | None = None
) -> ExecutionResult:
    """Issue the certificate of every executing batch whose items are all done."""
    from retention.certificates import issue_certificate

    result = ExecutionResult()
    with rt.uow() as session:
        stmt = select(DisposalBatch.id).where(DisposalBatch.status == "executing")
        if only is not None:
            stmt = stmt.where(DisposalBatch.id.in_(only))
        batch_ids = list(session.scalars(stmt.order_by(DisposalBatch.id)))
    for batch_id in batch_ids:
        with rt.uow() as session:
            in_batch = DisposalItem.batch_id == batch_id
            total = session.scalar(select(func.count()).where(in_batch)) or 0
            done = (
                session.scalar(select(func.count()).where(in_batch, DisposalItem.status == "done"))
                or 0
            )
        if not total or done < total:
            continue
        try:
            with rt.uow() as session:
                batch = session.get(DisposalBatch, batch_id, with_for_update=True)
                if batch is None or batch.status != "executing":
                    continue
                document = issue_certificate(rt, session, batch, actor=actor)
                result.certificates.append(document.id)
                result.batches.append(batch_id)
        except Exception as exc:
            log.exception("certificate of batch %s failed", batch_id)
            why = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            result.problems.append(f"batch {batch_id}: certificate not issued: {why}")
    return result


# --- review items -----------------------------------------------------------------------------


def _review_approved(rt: Runtime, *, actor: Principal, limit: int | None) -> ExecutionResult:
    """Approved `review` items: the record is kept and gets its next review date (the date the
    last approval gave, or `review_years` from today); the item is done."""
    config = load_config(rt.settings)
    result = ExecutionResult()
    with rt.uow() as session:
        stmt = (
            select(DisposalItem)
            .where(DisposalItem.status == "approved", DisposalItem.action == "review")
            .order_by(DisposalItem.id)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        today = clock.now().date()
        now = clock.now()
        for item in session.scalars(stmt):
            given = session.scalar(
                select(DisposalDecision.new_date)
                .where(DisposalDecision.item_id == item.id, DisposalDecision.decision == "approve")
                .order_by(DisposalDecision.id.desc())
                .limit(1)
            )
            next_review = given or years_later(today, config.review_years)
            set_review_date(session, item, next_review)
            item.status = "done"
            item.finished_at = now
            audit.record(
                session,
                actor.username,
                "disposal.review",
                "document",
                item.document_id,
                {"item": item.id, "next_review": next_review.isoformat()},
            )
            result.reviewed.append(item.id)
    return result
