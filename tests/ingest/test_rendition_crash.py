"""A kill -9 while scans' renditions are being made (issue 17 part 1): nothing is lost and each
scan gets its searchable PDF/A exactly once: the rendition's blob is written before the filing
transaction (content-addressed, the same bytes when the job is done again), its row in that
transaction with the document."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edrm.demo.scans import scan_as_png
from edrm.documents.models import DocumentVersion
from edrm.ingest.models import DONE
from edrm.renditions.models import Rendition
from edrm.runtime import Runtime
from tests.ingest.test_workers import (
    _assert_each_exactly_once,
    _start_worker,
    _stop,
    _submit,
    _wait_for,
)

pytestmark = pytest.mark.slow


def _unfiled_pdf_blob(runtime: Runtime) -> bool:
    """A PDF in the blob store that no rendition row names yet: a rendition made, not filed."""
    with runtime.uow() as s:
        filed = set(s.scalars(select(Rendition.sha256)))
    for path in runtime.blobs.root.glob("??/??/*"):
        if path.name not in filed and path.open("rb").read(5) == b"%PDF-":
            return True
    return False


def test_killing_a_worker_while_renditions_are_made_makes_each_exactly_once(
    runtime: Runtime, world_plan: None, tmp_path: Path
) -> None:
    scans = [
        (f"scan-{n}.png", scan_as_png(f"Supplier invoice INV-{8100 + n}\n\nAmount due", seed=n))
        for n in range(6)
    ]
    _submit(runtime, scans, "rendition-crash")
    log = tmp_path / "workers.log"
    first = _start_worker(runtime.settings, log)
    try:
        deadline = time.monotonic() + 120
        while not _unfiled_pdf_blob(runtime) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(first.pid, signal.SIGKILL)  # a rendition made and not yet filed, likely
        first.wait()
    finally:
        _stop(first)
    with runtime.uow() as s:
        assert s.scalar(select(func.count()).select_from(Rendition)) < 6, log.read_text()
    second = _start_worker(runtime.settings, log)
    try:
        counts = _wait_for(runtime, lambda c: c[DONE] == 6, 180)
    finally:
        _stop(second)
    assert counts[DONE] == 6, log.read_text()
    _assert_each_exactly_once(runtime, 6)  # no orphan blob: a redone rendition is the same
    with runtime.uow() as s:
        versions = set(s.scalars(select(DocumentVersion.id)))
        made = list(s.execute(select(Rendition.version_id, Rendition.kind, Rendition.sha256)))
    assert sorted(v for v, _, _ in made) == sorted(versions)  # one PDF/A per scan
    assert {kind for _, kind, _ in made} == {"pdfa"}
    for _, _, sha in made:
        assert runtime.blobs.read_bytes(sha).startswith(b"%PDF-")
