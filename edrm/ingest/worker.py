"""Ingest workers: claim jobs and run them through the pipeline, with a heartbeat.

`Worker.run_forever()` is what `edrm worker` and the service's worker threads run;
`Worker.drain(batch)` is what `edrm ingest` uses to finish its own batch.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from edrm.fileplan.models import FilePlanNode
from edrm.ingest import heartbeats, jobs
from edrm.ingest.classify.model_files import current_version_name, load_current
from edrm.ingest.classify.rules import load_rules
from edrm.ingest.metadata import load_metadata_config
from edrm.ingest.models import FAILED, IngestJob
from edrm.ingest.ocr import OcrEngine
from edrm.ingest.pipeline import Action, PipelineContext, finish_group, read_job, reads_only
from edrm.ingest.types import load_ingest_config
from edrm.runtime import Runtime

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 10.0
GROUP_JOBS = 16  # most small jobs claimed and filed in one transaction
QUICK_JOB_SECONDS = 0.1  # jobs read faster than this on average are claimed in growing groups
GROUP_SECONDS = 1.0  # a group's transaction is written once its files took this long to read


def build_context(
    runtime: Runtime, session: Session, *, ocr_processes: int | None = None
) -> PipelineContext:
    """Load the ingest, metadata and classification configuration and the current model."""
    settings = runtime.settings
    config = load_ingest_config(settings.config_path("ingest.toml"))
    if ocr_processes is not None:
        config = replace(config, ocr=replace(config.ocr, processes=ocr_processes))
    known = frozenset(session.scalars(select(FilePlanNode.code)))
    # Rules may name classes this installation's plan lacks: they are never weighed or suggested.
    rules = load_rules(settings.config_path("classification.toml"), None)
    return PipelineContext(
        config=config,
        blobs=runtime.blobs,
        ocr=OcrEngine(config.ocr),
        rules=rules,
        model=load_current(settings.model_dir),
        reference_patterns=load_metadata_config(settings.config_path("metadata.toml")),
        quarantine_dir=settings.quarantine_dir,
        known_codes=known,
    )


class Worker:
    """One claiming loop. Holds its pipeline context (OCR pool, rules, model)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        ocr_processes: int | None = None,
        poll_seconds: float = 0.25,
    ) -> None:
        self.runtime = runtime
        self.identity = jobs.worker_identity()
        self.poll_seconds = poll_seconds
        self.stop_event = threading.Event()
        self._current: list[int] = []
        self._group = 1  # how many jobs the next claim takes (grows while jobs are quick)
        self._sessions: sessionmaker[Session] = runtime.sessions
        with runtime.uow() as session:
            self.ctx = build_context(runtime, session, ocr_processes=ocr_processes)
        self._model_checked = time.monotonic()
        self._model_name = current_version_name(runtime.settings.model_dir)
        self._heartbeat()  # known to be alive (/readyz) from the start
        self._closed = threading.Event()  # stop_event may be replaced (the embedded service's)
        self._beat = threading.Thread(target=self._heartbeat_loop, daemon=True)
        self._beat.start()

    def close(self) -> None:
        self.stop_event.set()
        self._closed.set()
        self.ctx.ocr.close()
        self.ctx.isolated.close()
        self.ctx.remove_scratch()
        self._beat.join(timeout=5)
        try:
            with self.runtime.uow() as session:
                heartbeats.forget(session, self.identity)
        except Exception:  # its note goes stale instead
            log.debug("ingest worker %s could not remove its heartbeat", self.identity)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _heartbeat(self) -> None:
        """This worker is alive (for /readyz), and the jobs it is running are still its own."""
        current = list(self._current)
        try:
            with self.runtime.uow() as session:
                heartbeats.beat(session, self.identity)
                jobs.heartbeat(session, current, self.identity)
        except Exception:  # a missed beat is harmless; the next one may work
            log.warning("ingest worker heartbeat failed", exc_info=True)

    def _heartbeat_loop(self) -> None:
        while not self._closed.wait(HEARTBEAT_SECONDS) and not self.stop_event.is_set():
            self._heartbeat()

    def requeue_abandoned(self) -> int:
        stale = timedelta(seconds=self.runtime.settings.worker_stale_seconds)
        with self.runtime.uow() as session:
            return jobs.requeue_abandoned(session, stale)

    def _maybe_reload_model(self) -> None:
        """Every 30 s: pick up a newly trained model (when `current` changed) and new classes."""
        if time.monotonic() - self._model_checked < 30:
            return
        self._model_checked = time.monotonic()
        name = current_version_name(self.runtime.settings.model_dir)
        if name is not None and name != self._model_name:
            model = load_current(self.runtime.settings.model_dir)
            if model is not None:
                self.ctx.model, self._model_name = model, name
        with self.runtime.uow() as session:
            self.ctx.known_codes = frozenset(session.scalars(select(FilePlanNode.code)))
        self.ctx.offerable_codes = {}  # who may file where may have changed too

    def run_one(self, batch: str | None = None) -> bool:
        """Claim and run a group of jobs (one, or up to GROUP_JOBS while they are quick); False
        when there was nothing to do.

        Each claimed job's file is read outside any transaction; then the group's jobs are
        filed in one transaction, a savepoint each (`finish_group`), once all are read or
        GROUP_SECONDS of reading have passed. Crash story: the claim is committed first (the
        jobs are this worker's, running); a crash before a group's commit leaves its jobs
        running for a dead worker, requeued and done again, none of them filed; a job that
        fails alone is retried alone."""
        with self.runtime.uow() as session:
            claimed = jobs.claim(session, self.identity, batch=batch, limit=self._group)
            ids = [j.id for j in claimed]
        if not ids:
            return False
        self._current = list(ids)
        started = time.monotonic()
        try:
            ready: list[tuple[int, Action]] = []
            group_started = started
            for job_id in ids:
                try:
                    action = read_job(self._sessions, job_id, self.ctx)
                except Exception as exc:  # transient: disk full, blob store away, ...
                    log.exception("ingest job %s failed; will retry", job_id)
                    self._retry(job_id, f"{type(exc).__name__}: {exc}")
                    continue
                if action is not None:
                    ready.append((job_id, action))
                if ready and time.monotonic() - group_started >= GROUP_SECONDS:
                    self._finish(ready)
                    ready, group_started = [], time.monotonic()
            if ready:
                self._finish(ready)
        finally:
            self._current = []
        quick = (time.monotonic() - started) / len(ids) < QUICK_JOB_SECONDS
        self._group = min(GROUP_JOBS, self._group * 2) if quick else 1
        return True

    def _finish(self, ready: list[tuple[int, Action]]) -> None:
        """File the read jobs together; if the group's transaction fails as a whole, each
        alone (so one bad job cannot hold the others back), retrying those that fail."""
        try:
            _, errors = finish_group(self._sessions, self.identity, ready, self.ctx)
        except Exception:
            log.warning("a group of %d ingest jobs failed; filing each alone", len(ready))
            errors = {}
            for job_id, action in ready:
                try:
                    errors.update(
                        finish_group(self._sessions, self.identity, [(job_id, action)], self.ctx)[1]
                    )
                except Exception as exc:  # database busy, disk full, ...
                    errors[job_id] = exc
        for job_id, error in errors.items():
            log.error("ingest job %s failed; will retry", job_id, exc_info=error)
            self._retry(job_id, f"{type(error).__name__}: {error}")

    def _retry(self, job_id: int, error: str) -> None:
        try:
            with self.runtime.uow() as session:
                job = jobs.lock_own(session, job_id, self.identity)
                if job is not None:
                    jobs.retry_later(job, error)
        except Exception:
            log.exception("could not record the failure of ingest job %s", job_id)

    def drain(
        self,
        batch: str,
        progress: Callable[[int, int], None] | None = None,
        *,
        submitted: Callable[[], bool] | None = None,
        collect: bool = True,
    ) -> list[IngestJob]:
        """Run this batch's jobs (including attachments it spawns) until all are finished.

        After each job only the batch's counts are read (loading every job of a batch of
        thousands after each one made a big `edrm ingest` slow down as it went); the jobs
        themselves are loaded once, at the end (not at all without `collect`). `submitted`:
        whether the batch is complete (a helper may start while its files are still being
        submitted); the batch is finished only then."""
        while True:
            worked = self.run_one(batch=batch)
            complete = submitted is None or submitted()
            with self._sessions() as session:
                reads_only(session)
                done, total = jobs.batch_progress(session, batch)
            if progress:
                progress(done, total)
            if done == total and complete:
                return self._batch_jobs(batch) if collect else []
            if not worked:
                self.requeue_abandoned()
                if self.stop_event.wait(self.poll_seconds):
                    return self._batch_jobs(batch)

    def _batch_jobs(self, batch: str) -> list[IngestJob]:
        with self.runtime.uow() as session:
            batch_jobs = jobs.batch_jobs(session, batch)
            for job in batch_jobs:
                session.expunge(job)
        return batch_jobs

    def run_forever(self) -> None:
        """Claim and run jobs until stopped; requeue jobs abandoned by dead workers."""
        log.info("ingest worker %s started", self.identity)
        last_requeue = 0.0
        while not self.stop_event.is_set():
            if time.monotonic() - last_requeue > 15:
                last_requeue = time.monotonic()
                try:
                    moved = self.requeue_abandoned()
                    if moved:
                        log.warning("requeued %d job(s) abandoned by a dead worker", moved)
                except Exception:
                    log.exception("requeue of abandoned jobs failed")
            try:
                worked = self.run_one()
            except Exception:
                log.exception("ingest worker loop error")
                worked = False
            self._maybe_reload_model()
            if not worked:
                self.stop_event.wait(self.poll_seconds)
        log.info("ingest worker %s stopped", self.identity)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: A forked helper starts in about the time 30 small files take to file: below this many files
#: each, another process costs more than it saves.
FILES_PER_PROCESS = 32


def default_processes(files: int) -> int:
    """Worker processes for a batch of `files` when none were asked for: one per core, but
    no more than one per FILES_PER_PROCESS files."""
    return max(1, min(cores(), files // FILES_PER_PROCESS))


def ocr_share(processes: int) -> int | None:
    """Tesseract processes each of `processes` workers may start, so that together they use
    the cores once (None: one worker, the configuration decides)."""
    return None if processes <= 1 else max(1, cores() // processes)


class Helpers:
    """Forked helper processes, each a Worker draining one batch beside the caller's own
    (`edrm ingest --processes N`). They are forked before the caller opens its worker (no
    thread, OCR pool or reader child is copied) and each opens its own runtime (database
    connections are never shared across the fork).

    Crash story: a helper is a worker like any other. If it dies, the jobs it claimed are
    running for a dead process on this machine and go back to the queue when the caller's
    worker next finds nothing to do; a job is filed only in its worker's transaction that
    checks the worker still owns it, so no job is filed twice."""

    def __init__(
        self,
        open_runtime: Callable[[], Runtime],
        batch: str,
        count: int,
        ocr_processes: int | None,
    ):
        """`open_runtime`: a new runtime for a helper (the entry point's composition root)."""
        context = mp.get_context("fork")
        self._submitted = context.Event()
        parent = os.getpid()
        self.processes = [
            context.Process(
                target=_helper,
                args=(open_runtime, batch, ocr_processes, self._submitted, parent),
                daemon=False,
            )
            for _ in range(max(count, 0))
        ]
        for process in self.processes:
            process.start()

    def submitted(self) -> None:
        """Every file of the batch is submitted: the helpers may finish once it is done.
        (They start before, to open their workers while the files are being stored.)"""
        self._submitted.set()

    def stop(self) -> None:
        """Stop the helpers now (the command failed): jobs they claimed are requeued by the
        next worker, as any dead worker's are."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(5)

    def join(self, timeout: float = 30.0) -> None:
        """Wait for the helpers (their batch is done); stop any still running after `timeout`."""
        deadline = time.monotonic() + timeout
        for process in self.processes:
            process.join(max(deadline - time.monotonic(), 0.1))
            if process.is_alive():
                process.terminate()
                process.join(5)


def _helper(
    open_runtime: Callable[[], Runtime],
    batch: str,
    ocr_processes: int | None,
    submitted: Any,
    parent: int,
) -> None:
    """A helper's life: drain the batch once it is all submitted (or the command that forked
    it is gone: then the jobs it did submit are finished, and the helper ends)."""

    def complete() -> bool:
        return bool(submitted.is_set()) or os.getppid() != parent

    runtime = open_runtime()
    try:
        with Worker(runtime, ocr_processes=ocr_processes) as worker:
            worker.drain(batch, submitted=complete, collect=False)
    finally:
        runtime.close()


def failed(jobs_: list[IngestJob]) -> list[IngestJob]:
    return [j for j in jobs_ if j.status == FAILED]
