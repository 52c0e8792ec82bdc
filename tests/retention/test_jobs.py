"""Retention's scheduled jobs: the nightly sweep, review reminders and the execution of approved
decisions — none of which destroys anything on its own (nor does the core's fixity check, run
beside them here; its own test is tests/test_fixity.py)."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from edrm import clock
from edrm.audit import AuditEvent
from edrm.documents.models import Document, DocumentVersion
from edrm.settings import DEFAULT_CONFIG_DIR, Settings
from edrm.wiring import Runtime, build_runtime
from edrm.wiring.scheduler import load_definitions, run_job
from retention import jobs
from retention.models import DisposalBatch, DisposalItem, ResidualStub
from tests.conftest import World

RETENTION_JOBS = (
    "retention-sweep",
    "retention-review-reminders",
    "blob-fixity-check",
    "disposal-execute-approved",
)


def age(world: World, years: int) -> None:
    """Pretend the world's documents were filed `years` ago (DESTROY-7Y counts from creation)."""
    with world.runtime.uow() as s:
        for doc in s.scalars(select(Document)):
            doc.created_at = doc.created_at - timedelta(days=365 * years + 5)


def audit_actions(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_shipped_jobs_file_schedules_the_retention_jobs() -> None:
    definitions = {d.id: d for d in load_definitions(DEFAULT_CONFIG_DIR / "jobs.toml")}
    assert set(RETENTION_JOBS) <= set(definitions)
    assert definitions["retention-sweep"].function == "retention.jobs:nightly_sweep"


def test_scheduler_jobs_never_destroy_after_a_sweep_only_queue_entries_exist(world: World) -> None:
    age(world, 10)
    runtime = world.runtime
    with runtime.uow() as s:
        blobs = {v.sha256 for v in s.scalars(select(DocumentVersion))}

    results = {job_id: run_job(runtime, job_id) for job_id in RETENTION_JOBS}

    assert results["retention-sweep"].startswith("queued 3,"), results
    with runtime.uow() as s:
        statuses = set(s.scalars(select(Document.status)))
        items = s.scalars(select(DisposalItem)).all()
        assert statuses == {"filed"}
        assert {i.status for i in items} == {"pending"}
        assert len(items) == 3  # the invoices (DESTROY-7Y); other classes have no rule
        assert s.scalar(select(func.count()).select_from(ResidualStub)) == 0
        assert s.scalar(select(func.count()).select_from(DisposalBatch)) == 0
    assert all(runtime.blobs.exists(sha) for sha in blobs)


def test_review_reminders_count_items_waiting_too_long_by_class_and_stage(world: World) -> None:
    age(world, 10)
    assert jobs.review_reminders(world.runtime).startswith("no queue items waiting")
    jobs.nightly_sweep(world.runtime)
    later = clock.now() + timedelta(days=30)
    clock.set_clock(lambda: later)
    try:
        message = jobs.review_reminders(world.runtime)
    finally:
        clock.set_clock(None)
    assert message.startswith("3 item(s) waiting more than 14 days")
    assert "FIN-AP-INV stage 1: 3" in message
    (entry,) = audit_actions(world.runtime, "retention.review_reminder")
    assert entry.details_dict["overdue"] == 3


# --- scenario 14: two scheduler processes, one sweep ---------------------------------------------


def _scheduler_process(
    settings: Settings, start: Any, rival_tried: Any, results: Any
) -> None:  # pragma: no cover - runs in a child process
    """One scheduler process firing the nightly sweep (edrm.wiring.scheduler.run_job, as its cron
    trigger does). Whichever process wins the job's lock holds it, as a long sweep would,
    until the other process has tried to run the job too; only then does it sweep."""
    import edrm.wiring.scheduler as scheduler_module

    real_sweep = jobs.nightly_sweep

    def long_sweep(rt: Runtime) -> str:
        rival_tried.wait(timeout=60)
        return real_sweep(rt)

    jobs.nightly_sweep = long_sweep  # type: ignore[assignment]
    runtime = build_runtime(settings)
    try:
        start.wait(timeout=60)
        result = scheduler_module.run_job(runtime, "retention-sweep")
        if result.startswith("skipped"):
            rival_tried.set()
        results.put(result)
    finally:
        runtime.close()


def test_two_scheduler_processes_started_together_run_the_sweep_once(world: World) -> None:
    age(world, 10)
    runtime = world.runtime
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    rival_tried = context.Event()
    results = context.Queue()
    processes = [
        context.Process(
            target=_scheduler_process, args=(runtime.settings, start, rival_tried, results)
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(timeout=60)

    assert [p.exitcode for p in processes] == [0, 0]
    assert outcomes[0].startswith("queued 3,"), outcomes
    assert outcomes[1] == "skipped: already running in another process"
    assert len(audit_actions(runtime, "retention.sweep")) == 1
    with runtime.uow() as s:
        queued = list(s.scalars(select(DisposalItem.document_id)))
    assert len(queued) == len(set(queued)) == 3


@pytest.fixture(autouse=True)
def _real_clock() -> Any:
    yield
    clock.set_clock(None)
