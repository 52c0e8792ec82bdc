"""Quarantine: a copy of every rejected original, with a note of why, for an administrator."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from edrm import clock
from edrm.ingest.models import IngestJob
from edrm.storage import BlobMissingError, BlobStore


def keep(blobs: BlobStore, directory: Path, job: IngestJob, reason: str, message: str) -> Path:
    """Copy the original into the quarantine as `<job id>-<safe name>` with a `.json` note."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{job.id:06d}-{job.safe_name}"
    note: dict[str, Any] = {
        "job": job.id,
        "original_name": job.original_name,
        "sha256": job.sha256,
        "size": job.size,
        "submitted_by": job.submitted_by,
        "source": job.source,
        "reason": reason,
        "error": message,
        "at": clock.now().isoformat(),
    }
    if not target.exists():
        tmp = target.with_name(target.name + ".part")
        try:
            blobs.copy_to(job.sha256, tmp)
            os.replace(tmp, target)
        except BlobMissingError:
            note["missing"] = "the original bytes were not in the blob store"
    target.with_name(target.name + ".json").write_text(json.dumps(note, indent=2) + "\n")
    return target


def listing(directory: Path) -> list[dict[str, Any]]:
    if not directory.is_dir():
        return []
    notes = []
    for path in sorted(directory.glob("*.json")):
        try:
            notes.append(json.loads(path.read_text()))
        except ValueError:
            continue
    return notes
