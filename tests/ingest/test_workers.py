"""Workers as real processes: a kill -9 mid-OCR, or of `edrm ingest` with a group of jobs in
flight, loses nothing and does nothing twice, and two workers on one queue take each file
exactly once."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edrm.audit import AuditEvent
from edrm.demo.scans import scan_as_png
from edrm.documents.models import Document, DocumentVersion
from edrm.ingest import jobs
from edrm.ingest.models import DONE, RUNNING, IngestJob
from edrm.renditions.models import Rendition
from edrm.runtime import Runtime
from edrm.settings import Settings

pytestmark = pytest.mark.slow


def _start_edrm(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "EDRM_HOME": str(settings.home),
        "EDRM_DATABASE_URL": settings.database_url,
        "EDRM_SECRET_KEY": "test-secret-key",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "edrm", *args],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    return _start_edrm(settings, log, "worker")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _submit(runtime: Runtime, files: list[tuple[str, bytes]], batch: str) -> None:
    with runtime.uow() as s:
        for name, data in files:
            jobs.submit(
                s,
                runtime.blobs,
                io.BytesIO(data),
                name,
                jobs.Submission(
                    submitted_by="system", source="cli", batch=batch, into_code="FIN-AP-INV"
                ),
            )


def _wait_for(
    runtime: Runtime, predicate: Callable[[dict[str, int]], bool], timeout: float
) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        with runtime.uow() as s:
            counts = jobs.counts(s)
        if predicate(counts) or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def _assert_each_exactly_once(runtime: Runtime, expected: int) -> None:
    with runtime.uow() as s:
        statuses = Counter(s.scalars(select(IngestJob.status)))
        assert statuses == {DONE: expected}
        assert s.scalar(select(func.count()).select_from(Document)) == expected
        shas = list(s.scalars(select(DocumentVersion.sha256)))
        assert len(shas) == len(set(shas)) == expected
        filed_events = s.scalar(
            select(func.count()).where(AuditEvent.action.in_(("ingest.filed", "ingest.triage")))
        )
        assert filed_events == expected
        referenced = set(shas) | set(s.scalars(select(IngestJob.sha256)))
        for doc in s.scalars(select(Document)):
            if (doc.extra or {}).get("preview_sha256"):
                referenced.add(doc.extra["preview_sha256"])
        referenced.update(s.scalars(select(Rendition.sha256)))  # a scan's searchable PDF/A
    stored = {p.name for p in runtime.blobs.root.glob("??/??/*")}
    assert stored == referenced, "orphan or missing blobs"


def test_killing_a_worker_mid_ocr_loses_nothing_and_does_nothing_twice(
    runtime: Runtime, world_plan: None, tmp_path: Path
) -> None:
    pages = [
        (f"scan-{n}.png", scan_as_png(f"Supplier invoice INV-{7000 + n}\n\nAmount due", seed=n))
        for n in range(6)
    ]
    _submit(runtime, pages, "crash")
    log = tmp_path / "workers.log"
    first = _start_worker(runtime.settings, log)
    try:
        counts = _wait_for(runtime, lambda c: c[RUNNING] >= 1 and c[DONE] >= 1, 90)
        assert counts[RUNNING] >= 1, log.read_text()
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        _stop(first)
    second = _start_worker(runtime.settings, log)
    try:
        counts = _wait_for(runtime, lambda c: c[DONE] == 6, 120)
    finally:
        _stop(second)
    assert counts["done"] == 6, log.read_text()
    _assert_each_exactly_once(runtime, 6)


def test_two_workers_take_each_file_of_a_batch_exactly_once(
    runtime: Runtime, world_plan: None, tmp_path: Path
) -> None:
    files = [
        (f"note-{n}.txt", f"Supplier invoice INV-{n}\nAmount £{n}.00\n".encode())
        for n in range(200)
    ]
    _submit(runtime, files, "pair")
    log = tmp_path / "workers.log"
    workers = [_start_worker(runtime.settings, log) for _ in range(2)]
    try:
        counts = _wait_for(runtime, lambda c: c[DONE] + c["failed"] == 200, 240)
    finally:
        for w in workers:
            _stop(w)
    assert counts["done"] == 200, log.read_text()
    _assert_each_exactly_once(runtime, 200)


def _group_in_flight(runtime: Runtime) -> bool:
    """Some jobs are filed, and one worker holds two or more running (a group)."""
    with runtime.uow() as s:
        done = s.scalar(select(func.count()).where(IngestJob.status == DONE)) or 0
        claimed = Counter(
            s.scalars(select(IngestJob.claimed_by).where(IngestJob.status == RUNNING))
        )
    return done >= 1 and max(claimed.values(), default=0) >= 2


def test_killing_edrm_ingest_with_a_group_in_flight_loses_nothing_and_files_nothing_twice(
    runtime: Runtime, world_plan: None, tmp_path: Path
) -> None:
    """Small files are claimed and filed in groups, one transaction each: kill -9 the whole
    `edrm ingest` (its helper processes too) while jobs it claimed are not yet filed; a worker
    then finishes the batch and every file is filed exactly once."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    count = 160
    for n in range(count):
        (folder / f"note-{n:03d}.txt").write_text(f"Supplier invoice INV-{n}\nAmount £{n}.00\n")
    log = tmp_path / "ingest.log"
    ingest = _start_edrm(runtime.settings, log, "ingest", str(folder), "--into", "FIN-AP-INV")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and ingest.poll() is None:
            if _group_in_flight(runtime):
                break
            time.sleep(0.01)
        os.killpg(ingest.pid, signal.SIGKILL)
        ingest.wait()
    finally:
        _stop(ingest)
    with runtime.uow() as s:
        after_kill = jobs.counts(s)
    # the kill came with a group in flight: jobs one process claimed, still not filed
    assert _group_in_flight(runtime), (after_kill, log.read_text())
    assert after_kill[DONE] < count
    worker = _start_worker(runtime.settings, log)
    try:
        counts = _wait_for(runtime, lambda c: c[DONE] + c["failed"] == count, 180)
    finally:
        _stop(worker)
    assert counts[DONE] == count, log.read_text()
    _assert_each_exactly_once(runtime, count)


def test_edrm_ingest_with_two_processes_files_each_file_once(
    runtime: Runtime, world_plan: None, tmp_path: Path
) -> None:
    """`edrm ingest --processes 2`: the command and one forked helper drain the batch
    together; each file is filed exactly once, and both took a share."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    count = 120
    for n in range(count):
        (folder / f"note-{n:03d}.txt").write_text(f"Supplier invoice INV-{n}\nAmount £{n}.00\n")
    log = tmp_path / "ingest.log"
    args = ("ingest", str(folder), "--into", "FIN-AP-INV", "--processes", "2", "--json")
    ingest = _start_edrm(runtime.settings, log, *args)
    try:
        assert ingest.wait(timeout=240) == 0, log.read_text()
    finally:
        _stop(ingest)
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    assert len(lines) == count
    assert all('"status": "filed"' in line for line in lines), log.read_text()[-3000:]
    _assert_each_exactly_once(runtime, count)
    with runtime.uow() as s:
        workers = Counter(s.scalars(select(IngestJob.claimed_by)))
    assert len(workers) == 2, workers


def test_a_small_batch_is_read_by_the_command_alone_and_a_large_one_by_every_core() -> None:
    """Without --processes, a helper is forked only for every 32 files (its start-up costs
    about what 30 small files take), and never more processes than cores."""
    from edrm.ingest.worker import FILES_PER_PROCESS, cores, default_processes

    assert default_processes(1) == 1
    assert default_processes(FILES_PER_PROCESS * 2 - 1) == 1
    assert default_processes(FILES_PER_PROCESS * 2) == min(2, cores())
    assert default_processes(100_000) == cores()
