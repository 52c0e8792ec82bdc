"""Durable ingest jobs: submit (bytes first, then the row), claim, heartbeat, finish, retry, fail.

Claiming uses `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite every write
transaction already holds the database's single write lock (BEGIN IMMEDIATE), so a claim there
is one serialised select-and-update. A job left `running` by a dead worker goes back to the
queue: at once when its worker is on this machine and its process is gone, otherwise when its
heartbeat is older than the stale limit.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from edrm import clock
from edrm.documents.filenames import safe_filename, storable
from edrm.ingest.models import DONE, FAILED, QUEUED, RUNNING, IngestJob
from edrm.storage import BlobStore

MAX_ATTEMPTS = 3
BACKOFF_SECONDS = (5, 30, 120)


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def new_batch() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Submission:
    """Who asked for the file and where it should go (all optional but the submitter)."""

    submitted_by: str
    source: str
    batch: str = ""
    into_code: str | None = None
    marking: str | None = None
    parent_document_id: int | None = None
    source_path: str | None = None
    hints: dict[str, Any] | None = None


def submit(
    session: Session,
    blobs: BlobStore,
    content: IO[bytes],
    original_name: str,
    submission: Submission,
) -> IngestJob:
    """Store the bytes in the blob store, then add the job row (the caller commits)."""
    stored = blobs.put_stream(content)
    return submit_stored(session, stored.sha256, stored.size, original_name, submission)


def submit_stored(
    session: Session, sha256: str, size: int, original_name: str, submission: Submission
) -> IngestJob:
    """Add the job for bytes already in the blob store (the caller commits).

    Any name will do: one that is not valid UTF-8 (a name read from a disk as it is) is kept
    with its odd bytes written out (`storable`), and filed under a safe name.
    """
    now = clock.now()
    job = IngestJob(
        batch=submission.batch,
        status=QUEUED,
        attempts=0,
        next_attempt_at=now,
        sha256=sha256,
        size=size,
        original_name=storable(original_name),
        safe_name=safe_filename(original_name),
        source=submission.source,
        source_path=storable(submission.source_path) if submission.source_path else None,
        submitted_by=submission.submitted_by,
        into_code=submission.into_code,
        marking=submission.marking,
        parent_document_id=submission.parent_document_id,
        hints=dict(submission.hints or {}),
        created_at=now,
    )
    session.add(job)
    session.flush()
    return job


def claim(
    session: Session, worker: str, *, batch: str | None = None, limit: int = 1
) -> list[IngestJob]:
    """Take up to `limit` queued jobs that are due, marking them running for `worker`."""
    now = clock.now()
    stmt = (
        select(IngestJob)
        .where(IngestJob.status == QUEUED, IngestJob.next_attempt_at <= now)
        .order_by(IngestJob.id)
        .limit(limit)
    )
    if batch is not None:
        stmt = stmt.where(IngestJob.batch == batch)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    jobs = list(session.scalars(stmt))
    for job in jobs:
        job.status = RUNNING
        job.claimed_by = worker
        job.heartbeat_at = now
        job.attempts += 1
    session.flush()
    return jobs


def heartbeat(session: Session, job_ids: Sequence[int], worker: str) -> None:
    if job_ids:
        session.execute(
            update(IngestJob)
            .where(IngestJob.id.in_(job_ids), IngestJob.claimed_by == worker)
            .values(heartbeat_at=clock.now())
            .execution_options(synchronize_session=False)
        )


def lock_own(session: Session, job_id: int, worker: str) -> IngestJob | None:
    """The job, locked, if it is still running for this worker (else another worker took it
    over after this one was thought dead, and this one must not finish it)."""
    stmt = select(IngestJob).where(IngestJob.id == job_id).with_for_update()
    job = session.scalar(stmt.execution_options(populate_existing=True))
    if job is None or job.status != RUNNING or job.claimed_by != worker:
        return None
    return job


def lock_own_many(session: Session, job_ids: Sequence[int], worker: str) -> dict[int, IngestJob]:
    """`lock_own` for a group of jobs in one query: those still running for this worker."""
    stmt = select(IngestJob).where(IngestJob.id.in_(list(job_ids))).with_for_update()
    found = session.scalars(stmt.execution_options(populate_existing=True))
    return {j.id: j for j in found if j.status == RUNNING and j.claimed_by == worker}


def retry_later(job: IngestJob, error: str) -> None:
    """A transient failure: queue again with backoff, or fail for good after MAX_ATTEMPTS."""
    if job.attempts >= MAX_ATTEMPTS:
        job.status = FAILED
        job.outcome = FAILED
        job.error_reason = "error"
        job.error = f"gave up after {job.attempts} attempts: {error}"
        job.finished_at = clock.now()
        return
    delay = BACKOFF_SECONDS[min(job.attempts - 1, len(BACKOFF_SECONDS) - 1)]
    job.status = QUEUED
    job.claimed_by = None
    job.error = error
    job.next_attempt_at = clock.now() + timedelta(seconds=delay)


def requeue_abandoned(session: Session, stale_after: timedelta) -> int:
    """Put jobs whose worker died back in the queue; returns how many."""
    now = clock.now()
    host = socket.gethostname()
    count = 0
    for job in session.scalars(select(IngestJob).where(IngestJob.status == RUNNING)):
        dead_here = _worker_is_dead_here(job.claimed_by or "", host)
        stale = job.heartbeat_at is None or job.heartbeat_at < now - stale_after
        if dead_here or stale:
            job.status = QUEUED
            job.claimed_by = None
            job.next_attempt_at = now
            count += 1
    session.flush()
    return count


def _worker_is_dead_here(worker: str, host: str) -> bool:
    parts = worker.split(":")
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def counts(session: Session, batch: str | None = None) -> dict[str, int]:
    stmt = select(IngestJob.status, func.count()).group_by(IngestJob.status)
    if batch is not None:
        stmt = stmt.where(IngestJob.batch == batch)
    found = {status: n for status, n in session.execute(stmt)}
    return {s: found.get(s, 0) for s in (QUEUED, RUNNING, DONE, FAILED)}


def batch_progress(session: Session, batch: str) -> tuple[int, int]:
    """(finished, all) jobs of a batch, counted by the database (no rows loaded)."""
    finished = func.count().filter(IngestJob.status.in_((DONE, FAILED)))
    row = session.execute(
        select(finished, func.count()).select_from(IngestJob).where(IngestJob.batch == batch)
    ).one()
    return int(row[0]), int(row[1])


def batch_jobs(session: Session, batch: str) -> list[IngestJob]:
    return list(
        session.scalars(
            select(IngestJob)
            .where(IngestJob.batch == batch)
            .order_by(IngestJob.id)
            .execution_options(populate_existing=True)
        )
    )
