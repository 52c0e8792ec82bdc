"""Any number of schedulers, one leader: the lease in the database is taken, renewed, given up
and taken over when it runs out; a new leader catches up missed runs once; a running job renews
its lock and a killed job's lock runs out so the next run resumes it; and two real `edrm
serve` and `edrm scheduler` processes, the leader killed with SIGKILL, hand over within the
lease's bound.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from edrm import clock, job_lock, leadership
from edrm.job_lock import JobLock
from edrm.leadership import Candidate, LeaderLease
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR, SettingsError, load_settings
from edrm.wiring import build_runtime
from edrm.wiring.scheduler import JobDefinition, LeadingScheduler, catch_up, run_job
from tests import scheduler_jobs
from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[1]
LEASE = timedelta(seconds=30)
DAILY = "0 2 * * *"

JOBS = f"""
[[job]]
id = "count"
function = "tests.scheduler_jobs:count"
cron = "{DAILY}"

[[job]]
id = "wait"
function = "tests.scheduler_jobs:wait"
cron = "{DAILY}"

[[job]]
id = "long"
function = "tests.scheduler_jobs:long_job"
cron = "{DAILY}"
"""


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The shipped config with a jobs file of the test jobs only."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    (folder / "jobs.toml").write_text(JOBS)
    return {**settings_overrides, "config_dir": str(folder)}


@pytest.fixture
def at() -> Iterator[Callable[[datetime], None]]:
    """Set edrm's clock to a moment (restored after the test)."""
    yield lambda moment: clock.set_clock(lambda: moment)
    clock.set_clock(None)


def _take(rt: Runtime, who: Candidate) -> bool:
    with rt.uow() as s:
        return leadership.take(s, who, LEASE)


def _lease(rt: Runtime) -> LeaderLease:
    with rt.uow() as s:
        row = s.get(LeaderLease, leadership.SCHEDULER)
        assert row is not None
        s.expunge(row)
        return row


def _record(rt: Runtime, job_id: str) -> JobLock:
    with rt.uow() as s:
        row = s.get(JobLock, job_id)
        assert row is not None
        s.expunge(row)
        return row


def _wait_for(check: Callable[[], Any], seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not so within {seconds} s: {check}")


# --- the lease ---------------------------------------------------------------------------------


def test_the_first_candidate_leads_and_a_second_waits(runtime: Runtime) -> None:
    first, second = Candidate(), Candidate()
    assert (_take(runtime, first), _take(runtime, second)) == (True, False)
    with runtime.uow() as s:
        leader = leadership.current(s)
    assert leader is not None and leader.holder == first.id and leader.pid == os.getpid()


def test_the_leader_renews_its_lease_without_losing_it(
    runtime: Runtime, at: Callable[[datetime], None]
) -> None:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    leader = Candidate()
    at(start)
    _take(runtime, leader)
    at(start + timedelta(seconds=20))
    assert _take(runtime, leader)
    lease = _lease(runtime)
    assert (lease.acquired_at, lease.expires_at) == (start, start + timedelta(seconds=50))


def test_a_waiting_candidate_takes_over_a_lease_that_ran_out(
    runtime: Runtime, at: Callable[[datetime], None]
) -> None:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    dead, waiting = Candidate(), Candidate()
    at(start)
    _take(runtime, dead)
    at(start + LEASE - timedelta(seconds=1))
    assert not _take(runtime, waiting)
    at(start + LEASE + timedelta(seconds=1))
    with runtime.uow() as s:
        assert leadership.current(s) is None
    assert _take(runtime, waiting)
    assert _lease(runtime).acquired_at == start + LEASE + timedelta(seconds=1)
    assert not _take(runtime, dead)  # the old holder, back, cannot renew what it lost


def test_candidates_racing_for_a_free_lease_cannot_both_win(runtime: Runtime) -> None:
    candidates = [Candidate() for _ in range(4)]
    start = threading.Barrier(len(candidates))
    won: list[bool] = []

    def race(who: Candidate) -> None:
        start.wait()
        won.append(_take(runtime, who))

    threads = [threading.Thread(target=race, args=(who,)) for who in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == [False, False, False, True]


def test_a_lease_given_up_is_free_at_once(runtime: Runtime) -> None:
    leader, waiting = Candidate(), Candidate()
    _take(runtime, leader)
    with runtime.uow() as s:
        leadership.release(s, leader)
    assert _take(runtime, waiting)


def test_a_leader_whose_lease_was_taken_over_stops_running_jobs(
    runtime: Runtime, at: Callable[[datetime], None]
) -> None:
    start = datetime.now(UTC)
    scheduler = LeadingScheduler(runtime)
    try:
        at(start)
        scheduler.step()
        assert scheduler.leading and scheduler.get_job("count") is not None
        at(start + timedelta(seconds=runtime.settings.scheduler_lease_seconds + 1))
        assert _take(runtime, Candidate())
        scheduler.step()
        assert not scheduler.leading and scheduler.get_job("count") is None
    finally:
        scheduler.shutdown(wait=False)


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("scheduler_renew_seconds", 30, "less than 'scheduler_lease_seconds'"),
        ("scheduler_lease_seconds", 0, "greater than 0"),
        ("scheduler_job_lease_seconds", 1, "at least 2"),
    ],
)
def test_a_lease_setting_that_cannot_work_is_refused(
    setting: str, value: int, expected: str
) -> None:
    with pytest.raises(SettingsError, match=expected):
        load_settings({setting: value}, environ={})


@pytest.mark.sqlite_only
def test_a_leader_that_cannot_renew_steps_down_before_its_lease_runs_out(
    runtime: Runtime, tmp_path: Path
) -> None:
    """The database is locked by another writer (SQLite: "database is locked" after the busy
    timeout); the leader stops its jobs once its lease may run out before its next beat."""
    settings = dataclasses.replace(
        runtime.settings,
        sqlite_busy_timeout_ms=100,
        scheduler_lease_seconds=2,
        scheduler_renew_seconds=1,
    )
    rt = build_runtime(settings)
    scheduler = LeadingScheduler(rt)
    blocker = sqlite3.connect(make_url(settings.database_url).database or "", timeout=5)
    try:
        scheduler.step()
        assert scheduler.leading
        blocker.execute("BEGIN IMMEDIATE")
        scheduler.step()  # fails, but the lease has over a beat to run: keeps leading
        assert scheduler.leading
        time.sleep(1.0)
        scheduler.step()
        assert not scheduler.leading
    finally:
        blocker.rollback()
        blocker.close()
        scheduler.shutdown(wait=False)
        rt.close()


# --- catching up -------------------------------------------------------------------------------


def _definition(cron: str = DAILY) -> list[JobDefinition]:
    return [JobDefinition("j", "tests.scheduler_jobs:count", cron)]


def test_a_job_whose_slots_were_missed_is_due_once_at_once() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    record = JobLock(job_id="j", last_started_at=now - timedelta(days=3))
    assert catch_up(_definition(), {"j": record}, now) == {"j": timedelta(0)}


def test_a_job_run_since_its_last_slot_is_not_caught_up() -> None:
    now = datetime(2026, 1, 5, 9, 40, tzinfo=UTC)
    record = JobLock(job_id="j", last_started_at=now - timedelta(minutes=30))
    assert catch_up(_definition("0 * * * *"), {"j": record}, now) == {}


def test_a_job_no_scheduler_knew_before_waits_for_its_first_slot() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    record = JobLock(job_id="j", scheduled_since=now)
    assert catch_up(_definition("* * * * *"), {"j": record}, now) == {}


def test_an_unfinished_run_is_resumed_just_after_its_lock_runs_out() -> None:
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    record = JobLock(
        job_id="j",
        holder="dead:1:x",
        locked_until=now + timedelta(seconds=40),
        last_started_at=now - timedelta(seconds=80),
        last_finished_at=now - timedelta(days=1),
    )
    assert catch_up(_definition(), {"j": record}, now) == {"j": timedelta(seconds=41)}


def test_a_new_leader_runs_a_missed_job_once_then_keeps_to_its_schedule(runtime: Runtime) -> None:
    scheduler_jobs.RUNS.clear()
    with runtime.uow() as s:
        job_lock.seen(s, ["count", "wait", "long"])
        s.get_one(JobLock, "count").last_started_at = clock.now() - timedelta(days=3)
    scheduler = LeadingScheduler(runtime)
    try:
        scheduler.step()
        _wait_for(lambda: _record(runtime, "count").last_outcome == "ok")
        job = scheduler.get_job("count")
        assert job is not None and job.next_run_time > datetime.now(UTC) + timedelta(minutes=1)
    finally:
        scheduler.shutdown(wait=False)
    assert scheduler_jobs.RUNS == ["count"]
    assert _record(runtime, "long").last_started_at is None  # never run: waits for its slot


# --- job locks ---------------------------------------------------------------------------------


def test_a_running_job_renews_its_lock(runtime: Runtime) -> None:
    with runtime.uow() as s:
        assert job_lock.acquire(s, "j", "me", timedelta(seconds=60))
    first = _record(runtime, "j").locked_until
    assert first is not None
    with job_lock.renewing(runtime.uow, "j", "me", timedelta(seconds=600), 0.02) as lost:
        _wait_for(lambda: (_record(runtime, "j").locked_until or first) > first)
    assert not lost.is_set()


def test_a_killed_jobs_lock_runs_out_and_the_next_run_takes_it(
    runtime: Runtime, at: Callable[[datetime], None]
) -> None:
    start = datetime.now(UTC)
    lease = timedelta(seconds=runtime.settings.scheduler_job_lease_seconds)
    at(start)
    with runtime.uow() as s:
        assert job_lock.acquire(s, "count", "killed-host:1:x", lease)
    assert run_job(runtime, "count").startswith("skipped")
    at(start + lease + timedelta(seconds=1))
    scheduler_jobs.RUNS.clear()
    assert run_job(runtime, "count") == "run 1"
    record = _record(runtime, "count")
    assert (record.last_outcome, record.locked_until) == ("ok", None)


def test_a_job_that_lost_its_lock_hears_of_it(runtime: Runtime) -> None:
    with runtime.uow() as s:
        job_lock.acquire(s, "j", "me", timedelta(seconds=-1))
        job_lock.acquire(s, "j", "successor", timedelta(seconds=60))
    with job_lock.renewing(runtime.uow, "j", "me", timedelta(seconds=60), 0.02) as lost:
        assert lost.wait(10)


def test_scheduler_status_names_the_leader_and_each_jobs_last_run(
    runtime: Runtime, cli: Cli
) -> None:
    cli.env["EDRM_CONFIG_DIR"] = str(runtime.settings.config_dir)
    scheduler_jobs.RELEASE.clear()
    with runtime.uow() as s:
        assert leadership.take(s, Candidate(), LEASE)
        job_lock.seen(s, ["wait"])
    runner = threading.Thread(target=run_job, args=(runtime, "wait"))
    runner.start()
    try:
        _wait_for(lambda: _record(runtime, "wait").locked_until)
        status = json.loads(cli("scheduler", "status", "--json").output)
    finally:
        scheduler_jobs.RELEASE.set()
        runner.join()
    assert status["leader"]["pid"] == os.getpid() and status["leader"]["lease_expires_at"]
    jobs = {j["id"]: j for j in status["jobs"]}
    assert jobs["wait"]["running"] and jobs["wait"]["last_started_at"]
    assert jobs["count"]["last_outcome"] is None and not jobs["count"]["running"]
    text = cli("scheduler", "status").output
    assert text.startswith("leader: ") and "wait" in text


# --- two real scheduler processes --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(rt: Runtime, tmp: Path, name: str, *command: str) -> subprocess.Popen[bytes]:
    """`edrm <command>` in a process of its own (lease 2 s, renewed every second; job locks of
    3 s), its output in tmp/<name>.log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env.update(
        EDRM_HOME=str(rt.settings.home),
        EDRM_DATABASE_URL=rt.settings.database_url,
        EDRM_CONFIG_DIR=str(rt.settings.config_dir),
        EDRM_SECRET_KEY="test-secret-key",
        EDRM_SCHEDULER_LEASE_SECONDS="2",
        EDRM_SCHEDULER_RENEW_SECONDS="1",
        EDRM_SCHEDULER_JOB_LEASE_SECONDS="3",
        EDRM_SERVICE_WORKERS="0",
        EDRM_TEST_JOB_MARK=str(tmp / "long-job-started-by"),
        PYTHONPATH=str(ROOT),
    )
    log = (tmp / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "edrm", *command], cwd=ROOT, env=env, stdout=log, stderr=log
    )


def _starters(tmp: Path) -> list[int]:
    mark = tmp / "long-job-started-by"
    return [int(line) for line in mark.read_text().split()] if mark.exists() else []


@pytest.mark.slow
@pytest.mark.sqlite_only
def test_a_killed_leader_is_replaced_within_the_lease_and_its_killed_job_resumed(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Long: an `edrm serve` (its embedded scheduler) and an `edrm scheduler` process (lease
    2 s, renewed every second; job locks of 3 s). One leads and starts the long job, which it
    missed yesterday; the job's lock is renewed while it runs. The leader is killed with
    SIGKILL: the other leads once the lease has run out (never before), and once the killed
    job's lock has run out it runs the job again."""
    with runtime.uow() as s:
        job_lock.seen(s, ["count", "wait", "long"])
        s.get_one(JobLock, "long").last_started_at = clock.now() - timedelta(days=1)
    processes = [
        _start(runtime, tmp_path, "serve", "serve", "--port", str(_free_port())),
        _start(runtime, tmp_path, "scheduler", "scheduler"),
    ]
    try:
        lease = _wait_for(lambda: _lease_if_held(runtime))
        leader = next(p for p in processes if p.pid == lease.pid)
        other = next(p for p in processes if p is not leader)
        assert _wait_for(lambda: _starters(tmp_path)) == [leader.pid]
        first_lock = _record(runtime, "long").locked_until
        assert first_lock is not None
        _wait_for(lambda: (_record(runtime, "long").locked_until or first_lock) > first_lock)
        assert _lease(runtime).holder == lease.holder  # the other one is waiting

        last = _lease(runtime)
        leader.send_signal(signal.SIGKILL)
        leader.wait()
        killed_lock = _record(runtime, "long").locked_until
        taken = _wait_for(lambda: _lease_if_held(runtime, other.pid), seconds=20)
        # it waited for the lease to run out (a renewal after `last` only makes that later)
        assert last.expires_at is not None and taken.acquired_at >= last.expires_at
        assert _wait_for(lambda: _starters(tmp_path)[1:], seconds=20) == [other.pid]
        resumed = _record(runtime, "long")
        assert killed_lock is not None and resumed.last_started_at is not None
        assert resumed.last_started_at >= killed_lock
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()


def _lease_if_held(rt: Runtime, pid: int | None = None) -> LeaderLease | None:
    with rt.uow() as s:
        row = s.get(LeaderLease, leadership.SCHEDULER)
        if row is None or row.holder is None or (pid is not None and row.pid != pid):
            return None
        s.expunge(row)
        return row
