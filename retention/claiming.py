"""Claiming queue items for destruction: the startable ones become `executing` in a batch (new
items get a new batch, one per action, at most `batch_size` items each; an item left
`executing` by an earlier run keeps its batch), the others are reported with the reason.

An item whose record the person carrying out disposal may not see is not claimed either: it is
left as it is, for a records manager cleared for it (`ExecutionResult.uncleared`).

A record under a legal hold is not claimed: an item not yet begun goes back to the status it
was claimed from, out of its batch; one whose destruction had begun stays `executing` with the
reason, and resumes once the hold is lifted. A transfer item may be destroyed here only once the
archive has confirmed receiving its bag.

Claiming is one transaction per group of items (the rows locked): a crash before its commit
claims nothing; after it, the items are `executing` with nothing done, and any later run picks
them up (retention.progress).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, visible_document_ids
from edrm.db import table_of
from edrm.runtime import Runtime
from retention.disposal_config import DisposalConfig
from retention.holds import held as held_now
from retention.models import DisposalBatch, DisposalItem, Transfer, TransferItem
from retention.progress import DESTROYABLE, ExecutionResult, set_progress

AuditEntry = tuple[str, str, str, int, dict[str, Any]]


@dataclass
class _Sorted:
    """The claimable rows, sorted by what happens to them."""

    resumed: list[int] = field(default_factory=list)  # executing already, in a batch
    fresh: dict[str, list[Any]] = field(default_factory=dict)  # by action: for new batches
    back: list[dict[str, Any]] = field(default_factory=list)  # held: status, batch, reason
    held_events: list[AuditEntry] = field(default_factory=list)


def claim(
    rt: Runtime,
    item_ids: Sequence[int],
    actor: Principal,
    config: DisposalConfig,
    result: ExecutionResult,
) -> list[int]:
    """Move the startable items to `executing` in a batch (new items get a new batch, one per
    action, at most `batch_size` items each); report the ones that cannot start."""
    with rt.uow() as session:
        rows = _locked_items(session, item_ids)
        found = {r.id for r in rows}
        for missing in sorted(set(item_ids) - found):
            result.failed.append((missing, f"disposal item {missing} not found"))
        rows = _cleared(session, rows, actor, result)
        held = held_now(session, [r.document_id for r in rows])
        receipted = _receipted(session, [r.id for r in rows if r.action == "transfer"])
        now = clock.now()
        sorted_rows = _sort(rows, held, receipted, actor, result)
        audit.record_many(session, sorted_rows.held_events)
        _put_back(session, sorted_rows.back)
        claimed = sorted_rows.resumed + _new_batches(
            session, sorted_rows.fresh, actor, config, now, result
        )
    return sorted(claimed)


def _locked_items(session: Session, item_ids: Sequence[int]) -> Sequence[Row[Any]]:
    return session.execute(
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


def _cleared(
    session: Session, rows: Sequence[Row[Any]], actor: Principal, result: ExecutionResult
) -> list[Row[Any]]:
    """The rows whose record the actor may see; the others are reported, left untouched."""
    visible = visible_document_ids(session, actor, [r.document_id for r in rows])
    result.uncleared.extend(r.id for r in rows if r.document_id not in visible)
    return [r for r in rows if r.document_id in visible]


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


def _sort(
    rows: Sequence[Row[Any]],
    held: set[int],
    receipted: set[int],
    actor: Principal,
    result: ExecutionResult,
) -> _Sorted:
    """Each row: refused (reported), held (put back, audited), resumed, or fresh."""
    out = _Sorted()
    for row in rows:
        why = _why_not(row, receipted)
        if why:
            result.failed.append((row.id, why))
            continue
        if row.document_id in held:
            result.held.append(row.id)
            back = _held_back(row, dict(row.progress or {}))
            if back is not None:
                out.back.append(back)
            out.held_events.append(
                (actor.username, "disposal.held", "document", row.document_id, {"item": row.id})
            )
            continue
        if row.status == "executing" and row.batch_id is not None:
            out.resumed.append(row.id)
            if row.batch_id not in result.batches:
                result.batches.append(row.batch_id)
        else:
            out.fresh.setdefault(row.action, []).append(row)
    return out


def _why_not(row: Any, receipted: set[int]) -> str:
    """Why this item cannot be destroyed now ("" when it can)."""
    if row.status not in DESTROYABLE:
        return f"disposal item {row.id} is {row.status}"
    if row.action not in ("destroy", "transfer"):
        return f"disposal item {row.id} is a {row.action}"
    if row.action == "transfer" and row.id not in receipted:
        return f"disposal item {row.id} awaits the archive's receipt of its transfer"
    return ""


def _held_back(row: Any, progress: dict[str, Any]) -> dict[str, Any] | None:
    """What a held `executing` item becomes (None: an approved item simply stays as it is)."""
    if row.status == "executing" and not progress.get("db"):
        # Not begun: out of its batch, back to what it was, for when it is lifted.
        return {
            "b_id": row.id,
            "b_status": progress.get("from", "approved"),
            "b_batch": None,
            "b_error": "under legal hold",
        }
    if row.status == "executing":
        return {
            "b_id": row.id,
            "b_status": "executing",
            "b_batch": row.batch_id,
            "b_error": "under legal hold: destruction resumes when it is lifted",
        }
    return None


def _put_back(session: Session, back: list[dict[str, Any]]) -> None:
    if not back:
        return
    queue = table_of(DisposalItem)
    session.execute(
        update(queue)
        .where(queue.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            batch_id=bindparam("b_batch"),
            last_error=bindparam("b_error"),
        ),
        back,
    )


def _new_batches(
    session: Session,
    fresh: dict[str, list[Any]],
    actor: Principal,
    config: DisposalConfig,
    now: datetime,
    result: ExecutionResult,
) -> list[int]:
    """Fresh items into new batches (one per action, at most `batch_size` items), audited."""
    claimed: list[int] = []
    for action, group in fresh.items():
        for start in range(0, len(group), config.batch_size):
            part = group[start : start + config.batch_size]
            batch = DisposalBatch(
                action=action, status="executing", created_at=now, created_by=actor.username
            )
            session.add(batch)
            session.flush()
            set_progress(
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
    return claimed
