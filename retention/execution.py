"""Carrying out approved disposal: destruction that leaves a residual stub, in resumable parts,
grouped into batches whose certificate is issued only when every item is fully gone.

Public interface (the transfer confirmation, the scheduled job, the CLI and the pages call these):

    execute_approved(rt, *, actor, limit=None) -> ExecutionResult
        Every approved `destroy` item (and every item left `executing` by an earlier run),
        destroyed in batches; approved `review` items get their new review date. Approved
        `transfer` items are left to retention.transfer (they wait for the archive's receipt).
    destroy_items(rt, item_ids, *, actor, note="") -> ExecutionResult
        Destroy exactly these queue items (status approved, transferred, or executing for a
        retry), whatever their action; `note` goes on each stub (e.g. "transferred to the
        archive in bag X"). Used by retention.transfer_confirmation.confirm_transfer.

Both ask the change guards (edrm.documents.guards, as every change to a document does) whether
each record may be destroyed: when the items are claimed and again for each chunk, inside the
transaction that destroys it (retention.destruction_guard). A record under a legal hold is
never destroyed, even when the hold is placed during the run: its item is put back, the refusal
audited, and the run reports it as `held`.

Each function opens its own transactions (it takes the Runtime, not a session): destruction
is committed part by part so that a crash or a failed part leaves the item `executing` with the
parts already done recorded in `DisposalItem.progress`, and the next run resumes it. This module
only runs the steps in order; each step's crash story is in its own module:

- claiming (retention.claiming): items become `executing` in a batch; records the guards refuse
  are skipped, left approved (or, if their destruction had already begun, `executing` with the
  reason).
- per chunk of items (one transaction, one blob sweep, one index call each), the parts in order:
  1. `db` (retention.destruction_db): the guards asked again (no hold can be placed until the
     part commits; refused items are put back), the residual stub (retention.stubs), text,
     suggestions, content-derived metadata, status `destroyed`, a search-outbox delete. From
     here on nothing serves its content.
  2. `blobs` (retention.destruction_blobs): the versions' and preview's blobs, unless a live
     document (or a pending ingest job) still uses the same bytes.
  3. `index` (retention.destruction_index): the search index entries, retried item by item
     when the chunk's call fails.
  The chunk's end records the blob and index parts and each item's outcome
  (retention.progress); an item with every part done is `done`.
- batch completion (retention.batch_completion): the certificate of every batch whose items are
  all done.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from edrm import audit, clock
from edrm.access import Principal, require_records_manager
from edrm.errors import RefusedError
from edrm.runtime import Runtime
from retention.batch_completion import certify_finished_batches
from retention.claiming import claim
from retention.destruction_blobs import delete_blobs, version_shas
from retention.destruction_db import db_part
from retention.destruction_guard import report, require_hold_guard
from retention.destruction_index import delete_from_index
from retention.disposal_config import load_config
from retention.models import DisposalDecision, DisposalItem
from retention.progress import ExecutionResult, record_outcome
from retention.review import set_review_date, years_later

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
    result.merge(certify_finished_batches(rt, actor=actor))
    return result


def destroy_items(
    rt: Runtime, item_ids: Iterable[int], *, actor: Principal, note: str = ""
) -> ExecutionResult:
    """Destroy these queue items' records, leaving stubs; certify each batch once all done."""
    require_records_manager(actor, "carry out disposal")
    require_hold_guard()
    config = load_config(rt.settings)
    result = ExecutionResult()
    wanted = sorted(set(item_ids))
    claimed: list[int] = []
    for start in range(0, len(wanted), config.batch_size):
        claimed += claim(rt, wanted[start : start + config.batch_size], actor, config, result)
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
    result.merge(certify_finished_batches(rt, actor=actor, only=result.batches))
    return result


# --- a chunk's parts ----------------------------------------------------------------------------


@dataclass
class _Chunk:
    """A chunk between its start (database part, blob deletion set going, index entries
    deleted) and its end (blob deletion awaited, progress recorded)."""

    items: dict[int, Any]  # item id -> (id, document_id, progress)
    progress: dict[int, dict[str, Any]]
    errors: dict[int, str]
    blob_items: list[int]
    blobs: Future[None] | None
    refused: dict[int, RefusedError]  # put back by the database part: the guards refused


def _start_chunk(
    rt: Runtime,
    item_ids: list[int],
    *,
    actor: Principal,
    note: str,
    background: ThreadPoolExecutor,
) -> _Chunk:
    refused = db_part(rt, item_ids, actor=actor, note=note)
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
        shas = version_shas(rt, [items[i].document_id for i in blob_items])
        previews = [s for i in blob_items for s in progress[i].get("previews", [])]
        derived = [s for i in blob_items for s in progress[i].get("renditions", [])]
        blobs = background.submit(delete_blobs, rt, shas, previews=previews, renditions=derived)
    chunk = _Chunk(items, progress, {}, blob_items, blobs, refused)
    index_items = [i for i, p in progress.items() if p.get("db") and not p.get("index")]
    if index_items:
        failures = delete_from_index(rt, {i: items[i].document_id for i in index_items})
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
    report(result, chunk.refused)
    record_outcome(rt, chunk.progress, chunk.errors, chunk.items, actor=actor, result=result)


# --- review items -----------------------------------------------------------------------------


def _review_approved(rt: Runtime, *, actor: Principal, limit: int | None) -> ExecutionResult:
    """Approved `review` items: the record is kept and gets its next review date (the date the
    last approval gave, or `review_years` from today); the item is done. One transaction: a
    crash leaves every item approved, for the next run."""
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
