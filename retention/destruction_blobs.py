"""Destruction, part 2 of 3 (`blobs`): delete the blob of every version of the chunk's records,
their previews and their renditions, unless a live document (or a pending ingest job) still
uses the same bytes
(the store is content-addressed: equal bytes are kept once).

It runs only for items whose database part is done (their documents are no longer live), in
the background while the chunk's index entries go (each unlink waits on the disk, not on us).
Crash story: deleting is idempotent (a missing file is fine), and the part is recorded as done
only when the chunk ends (retention.progress.record_outcome); after a crash or a failure the
next run deletes what is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.documents.models import Document, DocumentVersion
from edrm.ingest.models import DONE, FAILED, IngestJob
from edrm.renditions.models import Rendition
from edrm.runtime import Runtime

#: Blob deletions run side by side: each waits on the disk or the bucket, not the CPU.
UNLINK_THREADS = 16


def version_shas(rt: Runtime, document_ids: list[int]) -> list[str]:
    """The content checksums of every version of these documents (the version rows stay)."""
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(DocumentVersion.sha256)
                .where(DocumentVersion.document_id.in_(document_ids))
                .distinct()
            )
        )


def delete_blobs(
    rt: Runtime,
    shas: Iterable[str],
    *,
    previews: Iterable[str] = (),
    renditions: Iterable[str] = (),
) -> None:
    """Delete these blobs (versions' content, previews and renditions) except those that a live
    document's version, preview or rendition, or an unfinished ingest job, still uses (the
    store keeps equal bytes once; the destroyed records' rendition rows are gone already)."""
    preview_set = set(previews)
    wanted = sorted(set(shas) | preview_set | set(renditions))
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
                    select(Rendition.sha256).where(Rendition.sha256.in_(part)).distinct()
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
    doomed = [sha for sha in wanted if sha not in keep]
    if len(doomed) < 16:
        for sha in doomed:
            rt.blobs.delete(sha)
        return
    with ThreadPoolExecutor(max_workers=UNLINK_THREADS) as pool:
        list(pool.map(rt.blobs.delete, doomed))


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
