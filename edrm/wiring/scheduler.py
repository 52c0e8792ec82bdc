"""The scheduler (composition root for APScheduler): job definitions from config/jobs.toml, a
leadership lease so that of any number of scheduler processes one runs the jobs, and a
database lock per job so that a job runs once even when it is also started by hand.

Jobs themselves are plain functions taking the runtime and returning a short result text; the
scheduler never decides anything itself.

How it runs (`LeadingScheduler`): every scheduler_renew_seconds a small thread takes or renews
the lease (edrm.leadership). The one that holds it starts an APScheduler of its own with an
in-memory job store (processes never share a job store: APScheduler's guide forbids it) and, on
becoming leader, catches up from the database's record of last runs (edrm.job_lock): a job
whose last run is older than its schedule's latest slot runs once at once (coalesced, not once
per missed slot), and a run left unfinished runs again once its lock has run out. The others
poll; when the leader dies they take over within scheduler_lease_seconds +
scheduler_renew_seconds.

Crash story: a killed leader's lease runs out and a waiting scheduler leads; its jobs' locks
run out within scheduler_job_lease_seconds (they are renewed only while the job runs) and the
new leader resumes them. A leader whose renewal fails steps down once its lease may run out
before the next beat; and were two ever to lead for a moment (a renewal hung for longer than
the lease), each job's lock still lets a job run once. A clean stop stops the jobs (waiting
for running ones in `edrm scheduler`), then gives the lease up at once.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from edrm import clock, job_lock, leadership, metrics
from edrm.configfile import ConfigModel, load_toml
from edrm.errors import InvalidInputError, NotFoundError
from edrm.runtime import Runtime

log = logging.getLogger(__name__)
JOB_DEFAULTS = {
    "coalesce": True,  # several missed runs become one
    "max_instances": 1,
    "misfire_grace_time": 7 * 24 * 3600,
}


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
    """Run one job now if no other process is running it; returns what it reported. Its lock
    is renewed while it runs (every third of scheduler_job_lease_seconds)."""
    definitions = {d.id: d for d in load_definitions(runtime.settings.config_path("jobs.toml"))}
    if job_id not in definitions:
        raise NotFoundError(f"no scheduled job {job_id!r} (see config/jobs.toml)")
    holder = leadership.Candidate().id
    ttl = timedelta(seconds=runtime.settings.scheduler_job_lease_seconds)
    with runtime.uow() as session:
        if not job_lock.acquire(session, job_id, holder, ttl):
            return "skipped: already running in another process"
    result, outcome = "failed", "failed"
    started = time.monotonic()
    try:
        with job_lock.renewing(runtime.uow, job_id, holder, ttl, ttl.total_seconds() / 3):
            result = definitions[job_id].resolve()(runtime)
        outcome = "ok"
        return result
    except Exception as exc:
        result = f"failed: {type(exc).__name__}: {exc}"
        log.exception("scheduled job %s failed", job_id)
        return result
    finally:
        metrics.scheduled_job(job_id, result, time.monotonic() - started)
        with runtime.uow() as session:
            job_lock.release(session, job_id, holder, result, outcome)


def catch_up(
    definitions: list[JobDefinition], records: dict[str, job_lock.JobLock], now: datetime
) -> dict[str, timedelta]:
    """The jobs a new leader runs once before their schedule, each with how long from now:
    a job whose schedule had a slot since its last run (or since a scheduler first knew it)
    runs at once; a run left unfinished runs again a second after its lock runs out."""
    due: dict[str, timedelta] = {}
    for definition in definitions:
        record = records.get(definition.id)
        if record is None:
            continue
        if record.unfinished and record.locked_until is not None:
            due[definition.id] = max(timedelta(0), record.locked_until - now + timedelta(seconds=1))
            continue
        since = record.last_started_at or record.scheduled_since
        if since is None:
            continue
        trigger = CronTrigger.from_crontab(definition.cron)
        slot = trigger.get_next_fire_time(None, since + timedelta(seconds=1))
        if slot is not None and slot <= now:
            due[definition.id] = timedelta(0)
    return due


class LeadingScheduler:
    """One scheduler process: waits for the leadership lease, and while it holds it runs the
    jobs on an in-memory APScheduler (see the module's docstring)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.candidate = leadership.Candidate()
        self.lease = timedelta(seconds=runtime.settings.scheduler_lease_seconds)
        self.every = float(runtime.settings.scheduler_renew_seconds)
        self._stop = threading.Event()
        self._jobs: BackgroundScheduler | None = None
        self._renewed = 0.0  # time.monotonic() of the last renewal
        self._beat = threading.Lock()  # one beat at a time (the thread's, or a caller's)
        self._thread = threading.Thread(target=self._run, name="scheduler-lease", daemon=True)

    @property
    def leading(self) -> bool:
        return self._jobs is not None

    def start(self) -> LeadingScheduler:
        self._thread.start()
        return self

    def get_job(self, job_id: str) -> Job | None:
        """The leader's job `job_id` (None while following)."""
        jobs = self._jobs
        return jobs.get_job(job_id) if jobs is not None else None

    def shutdown(self, wait: bool = True) -> None:
        """Stop: the jobs (waiting for running ones when `wait`), then the lease, given up."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.every + 10)
        with self._beat:
            self._follow(wait=wait)
        try:
            with self.runtime.uow() as session:
                leadership.release(session, self.candidate)
        except Exception:
            log.exception("scheduler: giving up the lease failed (it will run out)")

    def _run(self) -> None:
        while True:
            self.step()
            if self._stop.wait(self.every):
                return

    def step(self) -> None:
        """One beat: take or renew the lease, and lead or follow accordingly."""
        with self._beat:
            self._step()

    def _step(self) -> None:
        try:
            with self.runtime.uow() as session:
                held = leadership.take(session, self.candidate, self.lease)
        except Exception:
            log.exception("scheduler: the lease could not be renewed")
            # the lease may run out before the next beat: step down rather than run beside
            # a new leader
            if (
                self.leading
                and time.monotonic() - self._renewed >= self.lease.total_seconds() - self.every
            ):
                log.warning("scheduler %s: stepping down (database unreachable)", self.candidate.id)
                self._follow(wait=False)
            return
        if not held:
            if self.leading:
                log.warning("scheduler %s: the lease was taken over", self.candidate.id)
                self._follow(wait=False)
            return
        self._renewed = time.monotonic()
        if not self.leading and not self._stop.is_set():
            try:
                self._lead()
            except Exception:
                log.exception("scheduler: starting the jobs failed (will try again)")

    def _lead(self) -> None:
        definitions = load_definitions(self.runtime.settings.config_path("jobs.toml"))
        with self.runtime.uow() as session:
            records = job_lock.seen(session, [d.id for d in definitions])
            due = catch_up(definitions, records, clock.now())
        jobs = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()}, job_defaults=JOB_DEFAULTS
        )
        for definition in definitions:
            extra = {}
            if definition.id in due:
                extra["next_run_time"] = datetime.now(UTC) + due[definition.id]
            jobs.add_job(
                self._fire,
                CronTrigger.from_crontab(definition.cron),
                args=[definition.id],
                id=definition.id,
                name=definition.description or definition.id,
                **extra,
            )
        jobs.start()
        self._jobs = jobs
        log.info(
            "scheduler %s leads: %d job(s), catching up %s",
            self.candidate.id,
            len(definitions),
            ", ".join(sorted(due)) or "none",
        )

    def _follow(self, *, wait: bool) -> None:
        jobs, self._jobs = self._jobs, None
        if jobs is not None:
            jobs.shutdown(wait=wait)

    def _fire(self, job_id: str) -> None:
        log.info("scheduled job %s: %s", job_id, run_job(self.runtime, job_id))


def start_scheduler(runtime: Runtime) -> LeadingScheduler:
    """Start a scheduler process's lease thread: it leads at once if no one else does."""
    return LeadingScheduler(runtime).start()
