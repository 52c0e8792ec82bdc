"""Confirming a transfer: the archive's receipt of a bag is recorded, then its records are
destroyed here (retention.execution.destroy_items, each stub saying "transferred to <the
archive named in config/disposal.toml> in bag X"). When every item is done the transfer is
`complete` and the local copy of a bag kept under EDRM_HOME/transfers is removed (the archive
has it).

A record whose content changed after the export (a new version the archive has not got) is not
destroyed: it leaves the transfer and is approved again, for a new bag.

Crash story: the receipt and the withdrawals commit in one transaction; the destruction is
resumable per part (see retention.execution); the completion is one more transaction, and the
local copy is removed only after it commits. Confirming again resumes whatever a crash, a
failure or a hold placed in between left unfinished.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, require_records_manager
from edrm.documents.models import DocumentVersion
from edrm.runtime import Runtime
from retention.disposal_config import load_config
from retention.execution import destroy_items
from retention.models import DisposalItem, Transfer, TransferItem
from retention.transfer import get_transfer, stub_note, transfers_dir


def confirm_transfer(rt: Runtime, bag_id: str, *, actor: Principal, receipt: str = "") -> list[int]:
    """Record the archive's receipt of the bag, then destroy its records locally. Returns the
    queue item ids finished now. Run again, it resumes what is left (e.g. a record placed under
    a hold after the export is destroyed once the hold is lifted).

    A record whose content changed after the export (a new version the archive has not got)
    is not destroyed: it leaves this transfer and is approved for transfer again, to go in a
    new bag."""
    require_records_manager(actor, "transfer records to the archive")
    with rt.uow() as session:
        transfer = get_transfer(session, bag_id)
        if transfer.status == "exported":
            transfer.status = "confirmed"
            transfer.confirmed_at = clock.now()
            transfer.confirmed_by = actor.username
            transfer.receipt = receipt
            audit.record(
                session,
                actor.username,
                "transfer.confirm",
                "transfer",
                bag_id,
                {"receipt": receipt},
            )
        items = list(
            session.scalars(
                select(DisposalItem)
                .join(TransferItem, TransferItem.item_id == DisposalItem.id)
                .where(TransferItem.transfer_id == transfer.id, DisposalItem.status != "done")
                .order_by(DisposalItem.id)
                .with_for_update()
            )
        )
        changed = _changed_since_export(session, items)
        for item in changed:
            _withdraw(session, transfer, item, actor)
        remaining = [i.id for i in items if i not in changed]
    finished: list[int] = []
    if remaining:
        archive = load_config(rt.settings).archive_name
        result = destroy_items(rt, remaining, actor=actor, note=stub_note(bag_id, archive))
        finished = sorted(result.finished)
    _complete_if_done(rt, bag_id, actor)
    return finished


def _changed_since_export(session: Session, items: Sequence[DisposalItem]) -> list[DisposalItem]:
    """Items not yet being destroyed whose record's versions differ from those in the bag."""
    waiting = [i for i in items if i.status == "transferred"]
    if not waiting:
        return []
    versions: dict[int, list[str]] = {}
    for document_id, sha in session.execute(
        select(DocumentVersion.document_id, DocumentVersion.sha256)
        .where(DocumentVersion.document_id.in_([i.document_id for i in waiting]))
        .order_by(DocumentVersion.document_id, DocumentVersion.number)
    ):
        versions.setdefault(document_id, []).append(sha)
    return [
        i
        for i in waiting
        if (i.progress or {}).get("exported") is not None
        and versions.get(i.document_id, []) != i.progress["exported"]
    ]


def _withdraw(session: Session, transfer: Transfer, item: DisposalItem, actor: Principal) -> None:
    """Take a changed record out of this transfer: approved again, for a new bag."""
    session.execute(
        delete(TransferItem).where(
            TransferItem.transfer_id == transfer.id, TransferItem.item_id == item.id
        )
    )
    progress = {k: v for k, v in (item.progress or {}).items() if k not in ("transfer", "exported")}
    item.progress = progress
    item.status = "approved"
    item.last_error = (
        f"its content changed after it was exported in bag {transfer.bag_id}: "
        "not destroyed; export it again"
    )
    audit.record(
        session,
        actor.username,
        "transfer.withdraw",
        "document",
        item.document_id,
        {"item": item.id, "bag": transfer.bag_id, "why": "content changed after the export"},
    )


def _complete_if_done(rt: Runtime, bag_id: str, actor: Principal) -> None:
    with rt.uow() as session:
        transfer = get_transfer(session, bag_id)
        if transfer.status != "confirmed":
            return
        left = session.scalar(
            select(func.count())
            .select_from(TransferItem)
            .join(DisposalItem, DisposalItem.id == TransferItem.item_id)
            .where(TransferItem.transfer_id == transfer.id, DisposalItem.status != "done")
        )
        if left:
            return
        transfer.status = "complete"
        local = Path(transfer.path)
        removed = _is_within(local, transfers_dir(rt)) and local.is_dir()
        audit.record(
            session,
            actor.username,
            "transfer.complete",
            "transfer",
            bag_id,
            {"local_copy_removed": removed},
        )
    if removed:
        shutil.rmtree(local, ignore_errors=True)


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True
