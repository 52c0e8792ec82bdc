"""The blob fixity check: a scheduled job (config/jobs.toml, `blob-fixity-check`) that re-hashes
a random sample of the blobs of live document versions and reports any that are missing or
whose checksum no longer matches.

It only reads the blob store; each run leaves one audit entry (`blob.fixity`) with what it found.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import func, select

from edrm import audit
from edrm.access import SYSTEM
from edrm.documents.models import Document, DocumentVersion
from edrm.runtime import Runtime

log = logging.getLogger(__name__)

#: How many blobs of live document versions the fixity check re-hashes each run.
FIXITY_SAMPLE = 200


def fixity_check(rt: Runtime, *, sample: int = FIXITY_SAMPLE) -> str:
    """Re-hash a random sample of the blobs of live document versions; report any missing or
    whose checksum no longer matches. Only reads."""
    with rt.uow() as session:
        shas = list(
            session.scalars(
                select(DocumentVersion.sha256)
                .join(Document, Document.id == DocumentVersion.document_id)
                .where(Document.status != "destroyed")
                .group_by(DocumentVersion.sha256)
                .order_by(func.random())
                .limit(sample)
            )
        )
    problems: Counter[str] = Counter()
    bad: dict[str, str] = {}
    for sha in shas:
        if not rt.blobs.exists(sha):
            problems["missing"] += 1
            bad[sha] = "missing"
        elif not rt.blobs.verify(sha):
            problems["mismatch"] += 1
            bad[sha] = "checksum mismatch"
    with rt.uow() as session:
        audit.record(
            session,
            SYSTEM.username,
            "blob.fixity",
            "blob_store",
            "sample",
            {
                "checked": len(shas),
                "missing": problems["missing"],
                "mismatch": problems["mismatch"],
                "bad": dict(sorted(bad.items())[:50]),
            },
        )
    if bad:
        for sha, why in sorted(bad.items()):
            log.error("fixity: blob %s: %s", sha, why)
        return (
            f"checked {len(shas)} blobs: {problems['missing']} missing, "
            f"{problems['mismatch']} checksum mismatch(es)"
        )
    return f"checked {len(shas)} blobs: all intact"
