"""Downloading a transfer package: the bag a transfer wrote (retention.transfer), streamed as
one gzipped tar file (<bag_id>.tar.gz, every file under <bag_id>/) from where it is stored,
a file at a time (the package is never held whole in memory).

Only a records manager cleared to see every record in the bag may download it (the bag holds
their content); the local copy exists until the archive's receipt is recorded and every record
is removed here (retention.transfer_confirmation), after which the archive has it.
"""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit
from edrm.access import Principal, require_records_manager, visible_document_ids
from edrm.errors import NotFoundError, RefusedError
from retention.models import Transfer, TransferItem

CHUNK = 256 * 1024


class _Pipe:
    """A write-only file whose contents are taken out as they are written."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def package_name(transfer: Transfer) -> str:
    return f"{transfer.bag_id}.tar.gz"


def open_package(session: Session, transfer: Transfer, *, actor: Principal) -> Path:
    """The bag's folder, once `actor` may download it (audited); refused with the reason."""
    require_records_manager(actor, "download a transfer package")
    doc_ids = list(
        session.scalars(
            select(TransferItem.document_id).where(TransferItem.transfer_id == transfer.id)
        )
    )
    if len(visible_document_ids(session, actor, doc_ids)) < len(set(doc_ids)):
        raise RefusedError(
            "this transfer package holds records you are not cleared to see: a records "
            "manager cleared for all of them must download it"
        )
    folder = Path(transfer.path)
    if not folder.is_dir():
        raise NotFoundError(
            f"the local copy of transfer package {transfer.bag_id} is no longer kept: it was "
            "removed once the archive's receipt was recorded"
        )
    audit.record(
        session,
        actor.username,
        "transfer.download",
        "transfer",
        transfer.bag_id,
        {"documents": len(doc_ids)},
    )
    return folder


def stream_package(folder: Path, bag_id: str) -> Iterator[bytes]:
    """The bag as a gzipped tar, in pieces, files in name order under `bag_id`/."""
    pipe = _Pipe()
    with tarfile.open(fileobj=pipe, mode="w|gz") as tar:  # type: ignore[call-overload]
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            info = tar.gettarinfo(str(path), arcname=f"{bag_id}/{path.relative_to(folder)}")
            with path.open("rb") as handle:
                tar.addfile(info, handle)
            if data := pipe.take():
                yield data
    if data := pipe.take():
        yield data
