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
    confirm_transfer(rt, bag_id, *, actor, receipt="") -> list[int]
        Records the archive's receipt (`confirmed`), then destroys the records locally through
        retention.execution.destroy_items, each stub saying "transferred to the archive in bag
        X". When every item is done the transfer is `complete` and the local copy of a bag kept
        under EDRM_HOME/transfers is removed (the archive has it). Running it again resumes a
        destruction left unfinished (e.g. a record placed under a hold in between). A record
        whose content changed after the export is not destroyed: it leaves the transfer and is
        approved again, for a new bag.
    list_transfers(session) -> list[Transfer]
    get_transfer(session, bag_id) -> Transfer
    transfer_as_dict(session, transfer) -> dict

Only records managers export or confirm. Each function opens its own transactions.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import bagit
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, may_see_document, require_records_manager
from edrm.audit import AuditEvent
from edrm.documents.filenames import safe_filename
from edrm.documents.models import Document, DocumentVersion
from edrm.documents.service import document_as_dict
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.storage import BlobMissingError
from retention.holds import held_document_ids
from retention.models import (
    DisposalDecision,
    DisposalItem,
    RetentionRule,
    Transfer,
    TransferItem,
)

if TYPE_CHECKING:
    from edrm.runtime import Runtime

#: The one checksum algorithm of our bags (the blob store is SHA-256 addressed too).
ALGORITHM = "sha256"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"


def transfers_dir(rt: Runtime) -> Path:
    return rt.settings.home / "transfers"


def stub_note(bag_id: str) -> str:
    return f"transferred to the archive in bag {bag_id}"


# --- export -----------------------------------------------------------------------------------


def export_transfer(
    rt: Runtime,
    *,
    actor: Principal,
    item_ids: Iterable[int] | None = None,
    out_dir: Path | None = None,
) -> Transfer:
    """Write the approved transfer items' records to a validated bag and record the Transfer.

    Items under a legal hold (or that `actor` may not see) are left approved for a later
    transfer; if nothing can go, nothing is written and the reason is given.

    Three steps, so that no transaction stays open while the bytes are copied: read what goes
    in the bag; write and validate the bag; then, if the items are still approved and unheld,
    record the Transfer (otherwise the bag is removed and nothing has changed)."""
    require_records_manager(actor, "transfer records to the archive")
    wanted = None if item_ids is None else sorted(set(item_ids))
    now = clock.now()
    bag_id = f"edrm-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    root = Path(out_dir) if out_dir is not None else transfers_dir(rt)
    final = root / bag_id
    staging = root / f".staging-{bag_id}"
    with rt.uow() as session:
        items, skipped = _exportable(session, actor, wanted)
        records = _snapshot(session, items, bag_id=bag_id, now=now, actor=actor)
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        content = _write_payload(rt, staging, records, bag_id, now, actor)
        _make_and_validate_bag(staging, bag_id, now, actor, content, rt.settings.service_name)
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


def _record_transfer(
    session: Session,
    records: Sequence[_Record],
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
        item = items[record.item_id]
        session.add(
            TransferItem(transfer_id=transfer.id, item_id=item.id, document_id=item.document_id)
        )
        item.status = "transferred"
        item.progress = {
            **(item.progress or {}),
            "transfer": bag_id,
            "exported": [v.sha256 for v in record.versions],
        }
        item.last_error = None
        audit.record(
            session,
            actor.username,
            "transfer.export",
            "document",
            item.document_id,
            {"item": item.id, "bag": bag_id},
        )
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


# --- the bag ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Version:
    number: int
    filename: str
    sha256: str


@dataclass(frozen=True)
class _Record:
    """What one record puts in the bag, read in one transaction and written after it."""

    item_id: int
    document_id: int
    directory: str
    versions: list[_Version]
    metadata: dict[str, Any]
    dublin_core: bytes
    audit_history: list[dict[str, Any]]
    listing: dict[str, Any]


def _snapshot(
    session: Session,
    items: Sequence[DisposalItem],
    *,
    bag_id: str,
    now: datetime,
    actor: Principal,
) -> list[_Record]:
    documents = {
        d.id: d
        for d in session.scalars(
            select(Document).where(Document.id.in_([i.document_id for i in items]))
        )
    }
    rules = {
        r.code: r
        for r in session.scalars(
            select(RetentionRule).where(RetentionRule.code.in_({i.rule_code for i in items}))
        )
    }
    decisions: dict[int, list[DisposalDecision]] = {}
    for d in session.scalars(
        select(DisposalDecision)
        .where(DisposalDecision.item_id.in_([i.id for i in items]))
        .order_by(DisposalDecision.id)
    ):
        decisions.setdefault(d.item_id, []).append(d)
    histories = _audit_histories(session, list(documents))
    exported = {"bag_id": bag_id, "exported_at": now.isoformat(), "exported_by": actor.username}
    records = []
    used: set[str] = set()
    for item in items:
        document = documents[item.document_id]
        directory = safe_filename(document.identifier, fallback=f"document-{document.id}")
        if directory.casefold() in used:
            directory = f"{directory}-{document.id}"
        used.add(directory.casefold())
        versions = [_Version(v.number, v.filename, v.sha256) for v in document.versions]
        rule = rules.get(item.rule_code)
        records.append(
            _Record(
                item_id=item.id,
                document_id=document.id,
                directory=directory,
                versions=versions,
                metadata=_metadata(document, item, rule, decisions.get(item.id, []), exported),
                dublin_core=_dublin_core(document, rule),
                audit_history=histories[document.id],
                listing={
                    "identifier": document.identifier,
                    "document_id": document.id,
                    "title": document.title,
                    "class_code": item.class_code,
                    "folder_code": document.folder_code,
                    "rule": item.rule_code,
                    "directory": directory,
                    "versions": len(versions),
                },
            )
        )
    return records


def _version_path(record: _Record, version: _Version) -> PurePosixPath:
    """Where a version's bytes go, relative to data/."""
    return PurePosixPath(record.directory, "content", f"v{version.number}", version.filename)


def _write_payload(
    rt: Runtime,
    staging: Path,
    records: Sequence[_Record],
    bag_id: str,
    now: datetime,
    actor: Principal,
) -> dict[str, str]:
    """Write every record's content and metadata into `staging` (the future data/ directory).
    Returns {bag path of each content file: the version's sha256}."""
    content: dict[str, str] = {}
    for record in records:
        for version in record.versions:
            relative = _version_path(record, version)
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                rt.blobs.copy_to(version.sha256, target)
            except BlobMissingError as exc:
                raise RefusedError(
                    f"document {record.document_id} cannot be transferred: "
                    f"version {version.number}: {exc}"
                ) from None
            content[f"data/{relative}"] = version.sha256
        record_dir = staging / record.directory
        _write_json(record_dir / "metadata.json", record.metadata)
        (record_dir / "dublin_core.xml").write_bytes(record.dublin_core)
        _write_json(record_dir / "audit_history.json", record.audit_history)
    _write_json(
        staging / "transfer.json",
        {
            "bag_id": bag_id,
            "source": rt.settings.service_name,
            "exported_at": now.isoformat(),
            "exported_by": actor.username,
            "records": [r.listing for r in records],
        },
    )
    return content


def _metadata(
    document: Document,
    item: DisposalItem,
    rule: RetentionRule | None,
    decisions: Sequence[DisposalDecision],
    exported: dict[str, str],
) -> dict[str, Any]:
    data = document_as_dict(document)
    node = document.node
    data.update(
        {
            "identifier": document.identifier,
            "class_title": node.class_node().title if node is not None else None,
            "versions": [
                {
                    "number": v.number,
                    "file": f"content/v{v.number}/{v.filename}",
                    "filename": v.filename,
                    "sha256": v.sha256,
                    "size": v.size,
                    "mime": v.mime,
                    "created_at": v.created_at.isoformat(),
                    "created_by": v.created_by,
                }
                for v in document.versions
            ],
            "retention": {
                "rule": item.rule_code,
                "rule_title": rule.title if rule else None,
                "action": item.action,
                "authority": rule.authority if rule else "",
                "description": rule.description if rule else "",
                "due": item.due_on.isoformat(),
            },
            "decisions": [
                {
                    "stage": d.stage,
                    "decision": d.decision,
                    "reason": d.reason,
                    "new_date": d.new_date.isoformat() if d.new_date else None,
                    "by": d.decided_by,
                    "at": d.decided_at.isoformat(),
                }
                for d in decisions
            ],
            "transfer": {**exported, "queue_item": item.id},
        }
    )
    return data


def _dublin_core(document: Document, rule: RetentionRule | None) -> bytes:
    """The record as simple Dublin Core (the OAI-PMH oai_dc container)."""
    ET.register_namespace("oai_dc", OAI_DC_NS)
    ET.register_namespace("dc", DC_NS)
    root = ET.Element(f"{{{OAI_DC_NS}}}dc")
    node = document.node
    subject = document.subject or (node.class_node().title if node is not None else "")
    elements: list[tuple[str, str]] = [
        ("identifier", document.identifier),
        ("title", document.title),
        ("creator", document.creator),
        ("subject", subject),
        ("description", document.description),
        ("date", document.created_at.date().isoformat()),
        ("type", document.doc_type),
        ("format", document.format),
        ("language", document.language),
        ("coverage", document.coverage),
        ("rights", document.marking_value),
    ]
    if node is not None:
        elements.append(("source", f"file plan {node.class_node().code}"))
    for relation in document.relations or []:
        elements.append(("relation", json.dumps(relation, sort_keys=True, default=str)))
    if rule is not None and rule.authority:
        elements.append(("rights", f"disposal authority: {rule.authority}"))
    for name, value in elements:
        if value:
            ET.SubElement(root, f"{{{DC_NS}}}{name}").text = str(value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _audit_histories(session: Session, document_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Every audit entry about each record, oldest first, with the chain's hashes so that the
    archive sees each entry's place in the chain."""
    histories: dict[int, list[Any]] = {i: [] for i in document_ids}
    keys = [str(i) for i in document_ids]
    for start in range(0, len(keys), 500):
        events = session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "document",
                AuditEvent.object_id.in_(keys[start : start + 500]),
            )
            .order_by(AuditEvent.seq)
        )
        for e in events:
            histories[int(e.object_id)].append(
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "object_type": e.object_type,
                    "object_id": e.object_id,
                    "details": e.details_dict,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
            )
    return histories


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    path.write_text(text + "\n", encoding="utf-8")


# bagit.make_bag changes the process's working directory while it works, which would disturb
# the other threads of a web server or scheduler (the data directory may be a relative path):
# it runs in a child process of its own.
_MAKE_BAG = """
import json, sys, bagit
args = json.load(sys.stdin)
bagit.make_bag(args["path"], bag_info=args["info"], checksums=args["checksums"])
"""


def _make_and_validate_bag(
    staging: Path,
    bag_id: str,
    now: datetime,
    actor: Principal,
    content: dict[str, str],
    source: str,
) -> None:
    records = len({p.split("/")[1] for p in content})
    info = {
        "Source-Organization": source,
        "External-Identifier": bag_id,
        "External-Description": f"{records} records transferred to the archive",
        "Contact-Name": actor.username,
        "Bagging-Date": now.date().isoformat(),
        "Bag-Software-Agent": f"edrm, bagit.py {bagit.VERSION}",
    }
    made = subprocess.run(
        [sys.executable, "-c", _MAKE_BAG],
        input=json.dumps({"path": str(staging.resolve()), "info": info, "checksums": [ALGORITHM]}),
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        lines = made.stderr.strip().splitlines() or ["no message"]
        raise RefusedError(f"the bag {bag_id} could not be made: {lines[-1]}")
    try:
        bag = validate_bag(staging)
    except bagit.BagError as exc:
        raise RefusedError(f"the bag {bag_id} failed validation: {exc}") from None
    # The copy is faithful: each content file's manifest checksum is the version's own.
    for path, expected in content.items():
        got = bag.entries.get(path, {}).get(ALGORITHM)
        if got != expected:
            raise RefusedError(
                f"the bag {bag_id} failed validation: {path} has checksum {got}, "
                f"the record's version has {expected}"
            )


def validate_bag(path: Path) -> bagit.Bag:
    """Open and fully validate a bag (bagit.BagValidationError says what is wrong)."""
    bag = bagit.Bag(str(path))
    bag.validate(processes=1)
    return bag


# --- confirmation and local destruction ---------------------------------------------------------


def confirm_transfer(rt: Runtime, bag_id: str, *, actor: Principal, receipt: str = "") -> list[int]:
    """Record the archive's receipt of the bag, then destroy its records locally. Returns the
    queue item ids finished now. Run again, it resumes what is left (e.g. a record placed under
    a hold after the export is destroyed once the hold is lifted).

    A record whose content changed after the export (a new version the archive has not got)
    is not destroyed: it leaves this transfer and is approved for transfer again, to go in a
    new bag."""
    from retention.execution import destroy_items

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
        result = destroy_items(rt, remaining, actor=actor, note=stub_note(bag_id))
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
