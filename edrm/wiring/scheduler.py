"""The scheduler (composition root for APScheduler): job definitions from config/jobs.toml,
a persistent job store in the database, and a database lock per job so that a job runs once
even when several scheduler processes run. Jobs themselves are plain functions taking the
runtime and returning a short result text; the scheduler never decides anything itself.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from edrm import job_lock, metrics
from edrm.configfile import ConfigModel, load_toml
from edrm.errors import InvalidInputError, NotFoundError
from edrm.runtime import Runtime

log = logging.getLogger(__name__)
JOBSTORE_TABLE = "apscheduler_jobs"
LOCK_TTL = timedelta(hours=6)
_runtime: Runtime | None = None


@dataclass(frozen=True)
class JobDefinition:
    id: str
    function: str  # "module:attribute"
    cron: str
    description: str = ""

    def resolve(self) -> Callable[[Runtime], str]:
        module, _, attr = self.function.partition(":")
        return getattr(importlib.import_module(module), attr)


class _JobTable(ConfigModel):
    """One [[job]] table of config/jobs.toml."""

    id: str
    function: str
    cron: str
    description: str = ""


class _JobsFile(ConfigModel):
    entry_names = {"job": "id"}
    job: list[_JobTable] = []


def load_definitions(path: Path) -> list[JobDefinition]:
    """Read config/jobs.toml; a bad entry is an error naming it."""
    try:
        file = load_toml(path, _JobsFile)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: the jobs file is missing") from None
    definitions: list[JobDefinition] = []
    seen: set[str] = set()
    for n, raw in enumerate(file.job, start=1):
        where = f"{path}: job {n}"
        definition = JobDefinition(raw.id, raw.function, raw.cron, raw.description)
        if definition.id in seen:
            raise InvalidInputError(f"{where}: duplicate id {definition.id!r}")
        seen.add(definition.id)
        try:
            CronTrigger.from_crontab(definition.cron)
        except ValueError as exc:
            raise InvalidInputError(f"{where} ({definition.id}): bad cron: {exc}") from None
        try:
            definition.resolve()
        except (ImportError, AttributeError, ValueError):
            raise InvalidInputError(
                f"{where} ({definition.id}): cannot find function {definition.function!r}"
            ) from None
        definitions.append(definition)
    return definitions


def run_job(runtime: Runtime, job_id: str) -> str:
    """Run one job now if no other process is running it; returns what it reported."""
    definitions = {d.id: d for d in load_definitions(runtime.settings.config_path("jobs.toml"))}
    if job_id not in definitions:
        raise NotFoundError(f"no scheduled job {job_id!r} (see config/jobs.toml)")
    holder = f"{socket.gethostname()}:{os.getpid()}"
    with runtime.uow() as session:
        if not job_lock.acquire(session, job_id, holder, LOCK_TTL):
            return "skipped: already running in another process"
    result = "failed"
    started = time.monotonic()
    try:
        result = definitions[job_id].resolve()(runtime)
        return result
    except Exception as exc:
        result = f"failed: {type(exc).__name__}: {exc}"
        log.exception("scheduled job %s failed", job_id)
        return result
    finally:
        metrics.scheduled_job(job_id, result, time.monotonic() - started)
        with runtime.uow() as session:
            job_lock.release(session, job_id, holder, result)


def _scheduled_entry(job_id: str) -> None:
    """What the job store keeps a reference to (it must be importable by name)."""
    if _runtime is None:  # pragma: no cover - set by build_scheduler
        raise RuntimeError("the scheduler has no runtime")
    log.info("scheduled job %s: %s", job_id, run_job(_runtime, job_id))


def start_scheduler(runtime: Runtime) -> BackgroundScheduler:
    """Start a background scheduler on the database job store with every job from
    config/jobs.toml. A job already in the store with the same schedule keeps its stored next
    run time, so a run missed while nothing was running is caught up once on start."""
    global _runtime
    _runtime = runtime
    definitions = load_definitions(runtime.settings.config_path("jobs.toml"))
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=runtime.engine, tablename=JOBSTORE_TABLE)},
        job_defaults={
            "coalesce": True,  # several missed runs become one
            "max_instances": 1,
            "misfire_grace_time": 7 * 24 * 3600,
        },
    )
    scheduler.start(paused=True)
    wanted = {d.id for d in definitions}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
    for definition in definitions:
        trigger = CronTrigger.from_crontab(definition.cron)
        existing = scheduler.get_job(definition.id)
        if existing is not None and str(existing.trigger) == str(trigger):
            continue
        scheduler.add_job(
            "edrm.wiring.scheduler:_scheduled_entry",
            trigger,
            args=[definition.id],
            id=definition.id,
            name=definition.description or definition.id,
            replace_existing=True,
        )
    scheduler.resume()
    return scheduler
