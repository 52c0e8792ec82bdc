"""The disclosure bundle of a request: every record in it that the officer may see, with its
approved redactions burned in (disclosure.bundle_pdf), as one new PDF.

    data, report = bundle_for(session, rt.blobs, config, actor=officer, request_id=7)
    write_file(path, data)

Refused while any redaction of the request is still only proposed: a bundle is never made with
a redaction someone meant to apply but nobody decided. The export is an audited event
(`request.export`: the records, the redactions applied, the pages and the file's checksum);
the records themselves are only read (their checksums do not change). `write_file` writes a
temporary file beside the target and renames it into place, so a crash leaves either the whole
previous file or the whole new one, never a part.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from disclosure.bundle_pdf import (
    AreaRedaction,
    BundlePart,
    BundleReport,
    TermRedaction,
    build_bundle,
)
from disclosure.models import BundleItem
from disclosure.record_pages import record_content
from disclosure.redaction_config import RedactionConfig
from disclosure.redactions import box_of, redactions_for, request_for
from edrm import audit, clock
from edrm.access import Principal
from edrm.errors import GoneError, InvalidInputError, NotFoundError, RefusedError
from edrm.storage import BlobStore


def bundle_for(
    session: Session,
    blobs: BlobStore,
    config: RedactionConfig,
    *,
    actor: Principal,
    request_id: int,
) -> tuple[bytes, BundleReport]:
    """The bundle's bytes and what went into it (see the module docstring)."""
    request = request_for(session, actor, request_id)
    pending = redactions_for(session, actor, request.id, status="proposed")
    if pending:
        raise RefusedError(
            f"request {request.reference} has {len(pending)} proposed redaction(s) not yet "
            "approved or rejected: decide them before exporting the bundle"
        )
    approved = redactions_for(session, actor, request.id, status="approved")
    items = session.scalars(
        select(BundleItem)
        .where(BundleItem.request_id == request.id)
        .order_by(BundleItem.added_at, BundleItem.document_id)
    )
    parts: list[BundlePart] = []
    included: list[int] = []
    skipped: list[int] = []
    for item in items:
        try:
            record = record_content(session, blobs, actor, item.document_id)
        except (NotFoundError, GoneError):
            skipped.append(item.document_id)  # beyond the officer's clearance, or destroyed
            continue
        included.append(record.document_id)
        mine = [r for r in approved if r.document_id == record.document_id]
        parts.append(
            BundlePart(
                label=record.identifier,
                content=record.content,
                mime=record.mime,
                text=record.text,
                areas=[
                    AreaRedaction(box, r.exemption) for r in mine if (box := box_of(r)) is not None
                ],
                terms=[TermRedaction(r.term, r.exemption) for r in mine if r.term],
            )
        )
    if not parts:
        raise InvalidInputError(f"request {request.reference} has no records to export")
    codes = sorted({r.exemption for r in approved})
    cover = [
        f"Request {request.reference}, received {request.received_on.isoformat()}.",
        f"Prepared {clock.now().date().isoformat()}: {len(parts)} record(s).",
        "Records: " + ", ".join(p.label for p in parts) + ".",
        "Redactions are shown as black boxes labelled with the exemption applied.",
    ]
    for code in codes:
        cover.append(f"{config.exemption(code).label}.")
    data, report = build_bundle(
        parts,
        title=f"{request.reference} disclosure bundle",
        cover=cover,
        dpi=config.bundle_dpi,
        now=clock.now(),
    )
    audit.record(
        session,
        actor.username,
        "request.export",
        "info_request",
        request.id,
        {
            "documents": included,
            "redactions": [r.id for r in approved],
            "skipped": skipped,
            "pages": report.pages,
            "boxes": report.boxes,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return data, report


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (see the module docstring)."""
    folder = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
