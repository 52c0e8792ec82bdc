"""Claiming queue items for destruction: the startable ones become `executing` in a batch (new
items get a new batch, one per action, at most `batch_size` items each; an item left
`executing` by an earlier run keeps its batch), the others are reported with the reason.

An item whose record the person carrying out disposal may not see is not claimed either: it is
left as it is, for a records manager cleared for it (`ExecutionResult.uncleared`).

A record that the change guards refuse to destroy (a legal hold covers it) is not claimed:
retention.destruction_guard puts it back and audits the refusal (the guards are asked again for
each chunk, inside the transaction that destroys it). A transfer item may be destroyed here only
once the archive has confirmed receiving its bag.

Claiming is one transaction per group of items (the rows locked): a crash before its commit
claims nothing; after it, the items are `executing` with nothing done, and any later run picks
them up (retention.progress).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, visible_document_ids
from edrm.runtime import Runtime
from retention.destruction_guard import refuse_guarded, report
from retention.disposal_config import DisposalConfig
from retention.models import DisposalBatch, DisposalItem, Transfer, TransferItem
from retention.progress import DESTROYABLE, ExecutionResult, set_progress


@dataclass
class _Sorted:
    """The claimable rows, sorted by what happens to them."""

    resumed: list[int] = field(default_factory=list)  # executing already, in a batch
    fresh: dict[str, list[Any]] = field(default_factory=dict)  # by action: for new batches


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
        receipted = _receipted(session, [r.id for r in rows if r.action == "transfer"])
        startable = []
        for row in rows:
            why = _why_not(row, receipted)
            if why:
                result.failed.append((row.id, why))
            else:
                startable.append(row)
        refused = refuse_guarded(session, startable, actor)
        report(result, refused)
        now = clock.now()
        sorted_rows = _sort([r for r in startable if r.id not in refused], result)
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


def _sort(rows: Sequence[Row[Any]], result: ExecutionResult) -> _Sorted:
    """Each startable row: resumed (executing already, in its batch) or fresh."""
    out = _Sorted()
    for row in rows:
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
