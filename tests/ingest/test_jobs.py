"""Durable ingest jobs: bytes first, claiming, retries, and recovery from dead workers."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import timedelta

from sqlalchemy import func, select

from edrm import clock
from edrm.ingest import jobs
from edrm.ingest.models import FAILED, QUEUED, RUNNING, IngestJob
from edrm.runtime import Runtime


def _submit(runtime: Runtime, name: str = "a.txt", data: bytes = b"hello") -> int:
    with runtime.uow() as s:
        job = jobs.submit(
            s,
            runtime.blobs,
            io.BytesIO(data),
            name,
            jobs.Submission(submitted_by="system", source="cli", batch="b1"),
        )
        return job.id


def test_submitting_stores_the_bytes_before_the_job_row(runtime: Runtime) -> None:
    job_id = _submit(runtime, data=b"the bytes")
    with runtime.uow() as s:
        job = s.get(IngestJob, job_id)
        assert job is not None
        assert job.status == QUEUED
        assert runtime.blobs.read_bytes(job.sha256) == b"the bytes"


def test_an_odd_file_name_is_made_safe_and_the_original_kept(runtime: Runtime) -> None:
    job_id = _submit(runtime, name="../../etc/\x07bad name.txt")
    with runtime.uow() as s:
        job = s.get(IngestJob, job_id)
        assert job is not None
        assert job.safe_name == "_bad name.txt"
        assert job.original_name == "../../etc/\x07bad name.txt"


def test_a_claimed_job_is_not_claimed_again(runtime: Runtime) -> None:
    _submit(runtime)
    with runtime.uow() as s:
        first = jobs.claim(s, "w1")
    with runtime.uow() as s:
        second = jobs.claim(s, "w2")
    assert len(first) == 1
    assert second == []


def test_claiming_can_be_limited_to_a_batch(runtime: Runtime) -> None:
    _submit(runtime)
    with runtime.uow() as s:
        assert jobs.claim(s, "w1", batch="another") == []
        assert len(jobs.claim(s, "w1", batch="b1")) == 1


def test_a_transient_failure_is_retried_later_then_failed(runtime: Runtime) -> None:
    job_id = _submit(runtime)
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        with runtime.uow() as s:
            job = s.get(IngestJob, job_id)
            assert job is not None
            job.next_attempt_at = clock.now()
        with runtime.uow() as s:
            (claimed,) = jobs.claim(s, "w1")
            assert claimed.attempts == attempt
            jobs.retry_later(claimed, "database is locked")
    with runtime.uow() as s:
        job = s.get(IngestJob, job_id)
        assert job is not None
        assert job.status == FAILED
        assert "gave up after 3 attempts" in (job.error or "")


def test_a_retry_waits_before_the_next_attempt(runtime: Runtime) -> None:
    _submit(runtime)
    with runtime.uow() as s:
        (claimed,) = jobs.claim(s, "w1")
        jobs.retry_later(claimed, "disk full")
        assert claimed.status == QUEUED
        assert claimed.next_attempt_at > clock.now()
    with runtime.uow() as s:
        assert jobs.claim(s, "w2") == []


def test_a_job_of_a_dead_worker_on_this_machine_is_requeued_at_once(runtime: Runtime) -> None:
    _submit(runtime)
    dead = subprocess.Popen(["true"])
    dead.wait()
    worker = f"{os.uname().nodename}:{dead.pid}:abcd"
    with runtime.uow() as s:
        jobs.claim(s, worker)
    with runtime.uow() as s:
        assert jobs.requeue_abandoned(s, timedelta(hours=1)) == 1
    with runtime.uow() as s:
        assert s.scalar(select(func.count()).where(IngestJob.status == QUEUED)) == 1


def test_a_job_with_a_stale_heartbeat_is_requeued(runtime: Runtime) -> None:
    _submit(runtime)
    with runtime.uow() as s:
        (job,) = jobs.claim(s, "elsewhere:1:abcd")
        job.heartbeat_at = clock.now() - timedelta(minutes=10)
    with runtime.uow() as s:
        assert jobs.requeue_abandoned(s, timedelta(minutes=2)) == 1


def test_a_live_workers_job_is_left_alone(runtime: Runtime) -> None:
    _submit(runtime)
    worker = f"{os.uname().nodename}:{os.getpid()}:abcd"
    with runtime.uow() as s:
        jobs.claim(s, worker)
    with runtime.uow() as s:
        assert jobs.requeue_abandoned(s, timedelta(minutes=2)) == 0
        assert s.scalar(select(func.count()).where(IngestJob.status == RUNNING)) == 1


def test_a_worker_cannot_finish_a_job_taken_over_by_another(runtime: Runtime) -> None:
    _submit(runtime)
    with runtime.uow() as s:
        (job,) = jobs.claim(s, "old:1:a")
        job_id = job.id
        job.heartbeat_at = clock.now() - timedelta(hours=1)
    with runtime.uow() as s:
        jobs.requeue_abandoned(s, timedelta(minutes=1))
    with runtime.uow() as s:
        jobs.claim(s, "new:2:b")
    with runtime.uow() as s:
        assert jobs.lock_own(s, job_id, "old:1:a") is None
        assert jobs.lock_own(s, job_id, "new:2:b") is not None
