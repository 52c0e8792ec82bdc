"""Transfer to the archive: approved `transfer` items leave as a BagIt bag, and the records are
destroyed here only after the archive's receipt is recorded.

    export_transfer(rt, *, actor, item_ids=None, out_dir=None) -> Transfer
        Every approved transfer item (or just `item_ids`) not under a legal hold is written to
        a bag under EDRM_HOME/transfers/<bag_id>/ (or `out_dir`/<bag_id>/):

            bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
            data/transfer.json                          the records in the bag
            data/<identifier>/content/v<n>/<filename>   the bytes of every version
            data/<identifier>/metadata.json             metadata, versions, retention, decisions
            data/<identifier>/dublin_core.xml           Dublin Core (oai_dc)
            data/<identifier>/audit_history.json        the record's audit trail, oldest first

        The bag is validated (and each content file's manifest checksum compared with the
        version's SHA-256 in the database) before the Transfer is recorded as `exported`; the
        items become `transferred`: out of the review queue and of execution, nothing destroyed.
        What goes in the bag is read by retention.bag_records and written by retention.bags.
    list_transfers(session) -> list[Transfer]
    get_transfer(session, bag_id) -> Transfer
    transfer_as_dict(session, transfer) -> dict

The archive's receipt and the local destruction that follows are
retention.transfer_confirmation.confirm_transfer.

Only records managers export or confirm. Each function opens its own transactions.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, may_see_document, require_records_manager
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.runtime import Runtime
from retention.bag_records import BagRecord, snapshot
from retention.bags import make_and_validate_bag, write_payload
from retention.holds import held_document_ids
from retention.models import DisposalItem, Transfer, TransferItem

#: How our bags are named, and the prefix of a bag's directory while it is being written.
BAG_NAME = re.compile(r"edrm-\d{8}T\d{6}-[0-9a-f]{6}")
STAGING = ".staging-"


def transfers_dir(rt: Runtime) -> Path:
    return rt.settings.home / "transfers"


def stub_note(bag_id: str, archive: str = "the archive") -> str:
    """The residual stub's note of a transferred record (ResidualStub.transferred reads it)."""
    return f"transferred to {archive} in bag {bag_id}"


# --- export -----------------------------------------------------------------------------------


def export_transfer(
    rt: Runtime,
    *,
    actor: Principal,
    item_ids: Iterable[int] | None = None,
    out_dir: Path | None = None,
    tna: bool = False,
) -> Transfer:
    """Write the approved transfer items' records to a validated bag and record the Transfer
    (with `tna`, the bag also carries metadata.csv in The National Archives' shape, with each
    record's closure: retention.closure).

    Items under a legal hold (or that `actor` may not see) are left approved for a later
    transfer; if nothing can go, nothing is written and the reason is given.

    Three steps, so that no transaction stays open while the bytes are copied: read what goes
    in the bag; write and validate the bag; then, if the items are still approved and unheld,
    record the Transfer (otherwise the bag is removed and nothing has changed). Until that last
    transaction commits the items are still approved: a crash before it leaves at most a bag
    directory nothing refers to (see retention.bags), and the next export starts afresh,
    removing that directory first (a copy of records that may later be destroyed must not stay
    behind). One export at a time writes into a folder (a lock file in it)."""
    require_records_manager(actor, "transfer records to the archive")
    wanted = None if item_ids is None else sorted(set(item_ids))
    root = Path(out_dir) if out_dir is not None else transfers_dir(rt)
    with _exporting(root):
        _discard_unrecorded(rt, root, actor)
        now = clock.now()
        bag_id = f"edrm-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        final = root / bag_id
        staging = root / f"{STAGING}{bag_id}"
        with rt.uow() as session:
            items, skipped = _exportable(session, actor, wanted)
            records = snapshot(session, items, bag_id=bag_id, now=now, actor=actor)
        try:
            staging.mkdir()
            content = write_payload(rt, staging, records, bag_id, now, actor, tna=tna)
            make_and_validate_bag(staging, bag_id, now, actor, content, rt.settings.service_name)
            staging.rename(final)
            with rt.uow() as session:
                transfer = _record_transfer(
                    session, records, skipped, bag_id=bag_id, path=final, now=now, actor=actor
                )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(final, ignore_errors=True)
            raise
    return transfer


@contextmanager
def _exporting(root: Path) -> Iterator[None]:
    """Hold the folder's export lock (an exclusive lock on the folder itself, which the
    system releases however the process ends, even by SIGKILL)."""
    root.mkdir(parents=True, exist_ok=True)
    folder = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def _discard_unrecorded(rt: Runtime, root: Path, actor: Principal) -> None:
    """Remove the bags (and staging directories) in `root` that an export killed before it
    recorded them left behind: with the export lock held, no export that could still record
    them is running. Only directories named as our bags are touched. Audited."""
    candidates = [
        entry
        for entry in root.iterdir()
        if entry.is_dir() and BAG_NAME.fullmatch(entry.name.removeprefix(STAGING))
    ]
    if not candidates:
        return
    with rt.uow() as session:
        recorded = set(session.scalars(select(Transfer.path)))
        for entry in candidates:
            if str(entry.resolve()) in recorded:
                continue
            shutil.rmtree(entry)
            audit.record(
                session,
                actor.username,
                "transfer.discard",
                "transfer",
                entry.name.removeprefix(STAGING),
                {"path": str(entry.resolve()), "why": "left by an export that did not finish"},
            )


def _record_transfer(
    session: Session,
    records: Sequence[BagRecord],
    skipped: dict[int, str],
    *,
    bag_id: str,
    path: Path,
    now: datetime,
    actor: Principal,
) -> Transfer:
    """The Transfer and its items, if every record in the bag is still approved and unheld."""
    ids = [r.item_id for r in records]
    items = {
        i.id: i
        for i in session.scalars(
            select(DisposalItem).where(DisposalItem.id.in_(ids)).with_for_update()
        )
    }
    _refuse_if_changed(session, records, items)
    transfer = Transfer(
        bag_id=bag_id,
        path=str(path.resolve()),
        status="exported",
        created_at=now,
        created_by=actor.username,
    )
    session.add(transfer)
    session.flush()
    for record in records:
        _mark_transferred(session, transfer, items[record.item_id], record, actor)
    audit.record(
        session,
        actor.username,
        "transfer.export",
        "transfer",
        bag_id,
        {
            "path": transfer.path,
            "items": ids,
            "documents": [r.document_id for r in records],
            "skipped": {str(k): v for k, v in skipped.items()},
        },
    )
    session.flush()
    return transfer


def _refuse_if_changed(
    session: Session, records: Sequence[BagRecord], items: dict[int, DisposalItem]
) -> None:
    """Refuse the whole export if any item changed while its bag was written."""
    held = set(
        session.scalars(
            select(Document.id).where(
                Document.id.in_([r.document_id for r in records]),
                Document.id.in_(held_document_ids(session)),
            )
        )
    )
    for record in records:
        item = items.get(record.item_id)
        if item is None:
            change = "it no longer exists"
        elif item.status != "approved":
            change = f"it is now {item.status}"
        elif record.document_id in held:
            change = "its record is now under legal hold"
        else:
            continue
        raise RefusedError(
            f"item {record.item_id} changed while the bag was written ({change}): "
            "nothing was transferred; export again"
        )


def _mark_transferred(
    session: Session,
    transfer: Transfer,
    item: DisposalItem,
    record: BagRecord,
    actor: Principal,
) -> None:
    """One item in the transfer: `transferred`, with the versions the bag holds (audited)."""
    session.add(
        TransferItem(transfer_id=transfer.id, item_id=item.id, document_id=item.document_id)
    )
    item.status = "transferred"
    item.progress = {
        **(item.progress or {}),
        "transfer": transfer.bag_id,
        "exported": [v.sha256 for v in record.versions],
    }
    item.last_error = None
    audit.record(
        session,
        actor.username,
        "transfer.export",
        "document",
        item.document_id,
        {"item": item.id, "bag": transfer.bag_id},
    )


def _exportable(
    session: Session, actor: Principal, wanted: Sequence[int] | None
) -> tuple[list[DisposalItem], dict[int, str]]:
    """The approved transfer items to export now, and {item id: why not} for the others."""
    stmt = (
        select(DisposalItem)
        .where(DisposalItem.action == "transfer", DisposalItem.status == "approved")
        .order_by(DisposalItem.id)
    )
    if wanted is not None:
        stmt = stmt.where(DisposalItem.id.in_(wanted))
    candidates = list(session.scalars(stmt))
    if wanted is not None:
        found = {i.id for i in candidates}
        wrong = [i for i in wanted if i not in found]
        if wrong:
            raise InvalidInputError(
                "not approved for transfer: " + ", ".join(_describe_item(session, i) for i in wrong)
            )
    if not candidates:
        raise InvalidInputError("nothing to transfer: no approved transfer items")
    doc_ids = [i.document_id for i in candidates]
    held = set(
        session.scalars(
            select(Document.id).where(
                Document.id.in_(doc_ids), Document.id.in_(held_document_ids(session))
            )
        )
    )
    documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(doc_ids)))}
    items: list[DisposalItem] = []
    skipped: dict[int, str] = {}
    for item in candidates:
        document = documents[item.document_id]
        if item.document_id in held:
            skipped[item.id] = "under legal hold"
        elif document.status == "destroyed":
            skipped[item.id] = "already destroyed"
        elif not may_see_document(actor, document):
            skipped[item.id] = "not visible to you"
        else:
            items.append(item)
    if not items:
        why = "; ".join(f"item {i}: {reason}" for i, reason in sorted(skipped.items()))
        raise RefusedError(f"nothing can be transferred now ({why})")
    return items, skipped


def _describe_item(session: Session, item_id: int) -> str:
    item = session.get(DisposalItem, item_id)
    if item is None:
        return f"item {item_id} does not exist"
    return f"item {item_id} is a {item.action} item, {item.status}"


# --- reading ----------------------------------------------------------------------------------


def list_transfers(session: Session) -> list[Transfer]:
    return list(session.scalars(select(Transfer).order_by(Transfer.id.desc())))


def get_transfer(session: Session, bag_id: str) -> Transfer:
    transfer = session.scalar(select(Transfer).where(Transfer.bag_id == bag_id))
    if transfer is None:
        raise NotFoundError(f"no transfer with bag id {bag_id!r}")
    return transfer


def transfer_as_dict(session: Session, transfer: Transfer) -> dict[str, Any]:
    rows = session.execute(
        select(TransferItem.item_id, TransferItem.document_id, DisposalItem.status)
        .join(DisposalItem, DisposalItem.id == TransferItem.item_id)
        .where(TransferItem.transfer_id == transfer.id)
        .order_by(TransferItem.item_id)
    ).all()
    return {
        "id": transfer.id,
        "bag_id": transfer.bag_id,
        "path": transfer.path,
        "status": transfer.status,
        "created_at": transfer.created_at.isoformat(),
        "created_by": transfer.created_by,
        "confirmed_at": transfer.confirmed_at.isoformat() if transfer.confirmed_at else None,
        "confirmed_by": transfer.confirmed_by,
        "receipt": transfer.receipt,
        "count": len(rows),
        "items": [r.item_id for r in rows],
        "documents": [r.document_id for r in rows],
        "destroyed": sum(1 for r in rows if r.status == "done"),
    }
