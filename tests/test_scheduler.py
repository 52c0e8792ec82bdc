"""The scheduler: jobs from config, the record of their runs, and a lock so a job runs once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from edrm import job_lock
from edrm.errors import InvalidInputError
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR
from edrm.wiring.scheduler import load_definitions, run_job, start_scheduler


def test_the_shipped_jobs_file_is_valid() -> None:
    ids = [d.id for d in load_definitions(DEFAULT_CONFIG_DIR / "jobs.toml")]
    assert "classifier-retrain" in ids


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[[job]]\nid = "x"\nfunction = "edrm.nowhere:f"\ncron = "0 1 * * *"\n', "cannot find"),
        ('[[job]]\nid = "x"\nfunction = "edrm.ingest.training:retrain"\ncron = "bad"\n', "cron"),
        ('[[job]]\nid = "x"\ncron = "0 1 * * *"\n', "'function' is missing"),
        ('[[job]]\nid = "x"\nfunction = "a:b"\ncron = "* * * * *"\ncolour = 1\n', "unknown"),
    ],
)
def test_a_bad_jobs_file_names_the_job(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "jobs.toml"
    path.write_text(body)
    with pytest.raises(InvalidInputError, match="job 1") as info:
        load_definitions(path)
    assert expected in str(info.value)


def test_a_job_runs_and_records_its_result(runtime: Runtime) -> None:
    result = run_job(runtime, "classifier-retrain")
    assert "not enough filed documents" in result
    with runtime.uow() as s:
        (lock,) = job_lock.status(s)
        assert lock.last_result == result
        assert lock.locked_until is None


def test_a_job_held_by_another_process_is_skipped(runtime: Runtime) -> None:
    with runtime.uow() as s:
        assert job_lock.acquire(s, "classifier-retrain", "other-host:1", timedelta(hours=1))
    assert run_job(runtime, "classifier-retrain").startswith("skipped")


def test_two_takers_of_one_lock_cannot_both_win(runtime: Runtime) -> None:
    with runtime.uow() as s:
        first = job_lock.acquire(s, "j", "a", timedelta(minutes=5))
    with runtime.uow() as s:
        second = job_lock.acquire(s, "j", "b", timedelta(minutes=5))
    assert (first, second) == (True, False)


def test_an_expired_lock_can_be_taken_over(runtime: Runtime) -> None:
    with runtime.uow() as s:
        job_lock.acquire(s, "j", "dead", timedelta(seconds=-1))
    with runtime.uow() as s:
        assert job_lock.acquire(s, "j", "alive", timedelta(minutes=5))


def test_the_scheduler_keeps_its_jobs_in_memory_and_their_record_in_the_database(
    runtime: Runtime,
) -> None:
    scheduler = start_scheduler(runtime)
    try:
        scheduler.step()  # the lease thread's first beat may not have run yet
        job = scheduler.get_job("classifier-retrain")
        assert job is not None and job.next_run_time is not None
    finally:
        scheduler.shutdown(wait=False)
    with runtime.uow() as s:
        known = {lock.job_id: lock for lock in job_lock.status(s)}
    assert known["classifier-retrain"].scheduled_since is not None
    assert known["classifier-retrain"].last_started_at is None
