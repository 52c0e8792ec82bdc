"""The installation and its processes: `edrm init` (data directory and schema), `edrm demo`,
`edrm serve` (the web application with its embedded workers and scheduler), `edrm worker`
(ingest workers on their own) and `edrm scheduler` (the scheduled jobs on their own).

A killed `serve`, `worker` or `scheduler` loses nothing: ingest jobs live in the database and a
dead worker's claims are requeued once their heartbeat goes stale; a scheduled job's lock in the
database expires, so the next scheduler runs the job again. Any number of `serve` and
`scheduler` processes may run the scheduler: one leads (a lease in the database), the others
wait and take over when it dies (edrm.wiring.scheduler).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from waitress import serve as waitress_serve

from edrm import audit, clock, job_lock, leadership
from edrm.cli.common import CliError, _json_out, _settings, friendly_errors, runtime
from edrm.db import current_revision, migrate
from edrm.fileplan.service import is_empty as fileplan_is_empty
from edrm.logs import configure_logging
from edrm.malloc_arenas import limit_malloc_arenas
from edrm.runtime import Runtime
from edrm.search_service import catch_up
from edrm.settings import ensure_home, load_settings, secret_key
from edrm.wiring.embedded import start_background
from edrm.wiring.scheduler import load_definitions, run_job, start_scheduler


@click.command("init")
@friendly_errors
def init() -> None:
    """Create the data directory and bring the database schema up to date."""
    settings = _settings()
    if not settings.database_url:
        ensure_home(settings)
    else:
        settings.home.mkdir(parents=True, exist_ok=True)
        ensure_home(settings)
    secret_key(settings)
    with runtime(need_schema=False) as rt:
        before = current_revision(rt.engine)
        migrate(rt.engine)
        after = current_revision(rt.engine)
        with rt.uow() as session:
            keyed = audit.ensure_key(session)
            empty_plan = fileplan_is_empty(session)
    where = settings.db_url if settings.database_url else str(settings.home.resolve())
    if before == after:
        click.echo(f"edrm: data directory {where} is up to date (schema {after})")
    else:
        click.echo(f"edrm: data directory {where} ready (schema {before or 'none'} -> {after})")
    if keyed:
        click.echo(f"edrm: audit key made in {rt.settings.audit_key_path} (keep a backup of it)")
    if empty_plan:
        click.echo(_EMPTY_PLAN_HINT.format(plan=settings.config_path(settings.fileplan_file)))


#: `edrm init`'s hint when there is no file plan yet: the commands that make one.
_EMPTY_PLAN_HINT = (
    "edrm: the file plan is empty: `edrm demo` loads a demo, "
    "`edrm fileplan import {plan}` the standard plan (or import your own CSV or TOML)"
)


@click.command("demo")
@click.option("--documents", default=160, show_default=True, help="How many demo documents.")
@friendly_errors
def demo(documents: int) -> None:
    """Load the demo (file plan, people of every role, documents) unless already loaded."""
    from edrm.demo.loader import DEMO_PASSWORD, load_demo  # heavy: the demo corpus

    with runtime() as rt:
        result = load_demo(rt, documents=documents, say=lambda m: click.echo(f"edrm: demo: {m}"))
        catch_up(rt)
        _load_demo_areas(rt)
    if result.already_loaded:
        click.echo("edrm: the demo is already loaded.")
    else:
        click.echo(
            f"edrm: demo loaded: {result.nodes} file-plan nodes, {result.users} people, "
            f"{result.documents} documents ({result.filed} filed, {result.triage} on triage "
            f"lists, {result.failed} rejected; {result.scans} arrived as scans and were OCRed)."
        )
        click.echo(f"edrm: classifier: {result.model}")
    click.echo("")
    click.echo("Sign in at http://127.0.0.1:5000 with one of these demo accounts")
    click.echo(f"(password for all: {DEMO_PASSWORD}):")
    for user in result.sign_in:
        click.echo(f"  {user.username:<12} {user.role:<16} {user.clearance:<19} {user.full_name}")


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (setting 'host').")
@click.option("--port", type=int, default=None, help="Port to listen on (setting 'port').")
@friendly_errors
def serve(host: str | None, port: int | None) -> None:
    """Serve the web application."""
    from edrm.web.app import create_app  # heavy: Flask and the ingest pipeline

    limit_malloc_arenas()
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = load_settings(overrides)
    configure_logging(settings)
    with runtime():
        pass  # refuses to start on an uninitialised or out-of-date database
    app = create_app(overrides)
    background = start_background(app.extensions["edrm"])
    click.echo(f"edrm: serving on http://{settings.host}:{settings.port} (Ctrl-C stops)")
    try:
        waitress_serve(
            app,
            host=settings.host,
            port=settings.port,
            threads=settings.server_threads,
            ident="edrm",
        )
    finally:
        background.shutdown()


@click.command("worker")
@click.option("--processes", type=int, default=1, show_default=True, help="Worker processes.")
@click.option(
    "--scheduler",
    "with_scheduler",
    is_flag=True,
    help="Also run a scheduler (of any number of schedulers, one leads and runs the jobs).",
)
@friendly_errors
def worker(processes: int, with_scheduler: bool) -> None:
    """Run ingest workers until stopped (Ctrl-C)."""
    limit_malloc_arenas()
    configure_logging(_settings())
    if processes < 1:
        raise CliError("--processes must be at least 1")
    ocr_each = max(1, (os.cpu_count() or 1) // processes)
    with _scheduler_beside(with_scheduler):
        if processes == 1:
            _worker_process(ocr_each)
            return
        children = [
            multiprocessing.get_context("spawn").Process(target=_worker_process, args=(ocr_each,))
            for _ in range(processes)
        ]
        for child in children:
            child.start()
        click.echo(f"edrm: {processes} ingest worker processes started (Ctrl-C stops)")
        try:
            for child in children:
                child.join()
        except KeyboardInterrupt:
            for child in children:
                child.terminate()


@contextmanager
def _scheduler_beside(on: bool) -> Iterator[None]:
    """A scheduler in this process while the block runs (when `on`), its lease given up after."""
    if not on:
        yield
        return
    with runtime() as rt:
        sched = start_scheduler(rt)
        try:
            yield
        finally:
            sched.shutdown(wait=False)


def _worker_process(ocr_processes: int) -> None:
    from edrm.ingest.worker import Worker  # heavy: loads the format readers and the classifier

    with runtime() as rt, Worker(rt, ocr_processes=ocr_processes) as w:
        signal.signal(signal.SIGTERM, lambda *_: w.stop_event.set())
        try:
            w.run_forever()
        except KeyboardInterrupt:
            w.stop_event.set()


@click.group("scheduler", invoke_without_command=True)
@click.pass_context
@friendly_errors
def scheduler(ctx: click.Context) -> None:
    """Run the scheduler standalone (or `scheduler run JOB` / `list` / `status`)."""
    if ctx.invoked_subcommand is not None:
        return
    limit_malloc_arenas()
    configure_logging(_settings())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with runtime() as rt:
        sched = start_scheduler(rt)
        click.echo("edrm: scheduler running (Ctrl-C stops)")
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        sched.shutdown()


@scheduler.command("run")
@click.argument("job_id")
@friendly_errors
def scheduler_run(job_id: str) -> None:
    """Run one scheduled job now (unless another process is running it)."""
    with runtime() as rt:
        click.echo(f"edrm: {job_id}: {run_job(rt, job_id)}")


@scheduler.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def scheduler_list(as_json: bool) -> None:
    """The scheduled jobs, their schedule and their last run."""
    with runtime() as rt, rt.uow() as session:
        definitions = load_definitions(rt.settings.config_path("jobs.toml"))
        locks = {lock.job_id: lock for lock in job_lock.status(session)}
        rows = [
            {
                "id": d.id,
                "cron": d.cron,
                "function": d.function,
                "description": d.description,
                "last_started_at": _iso(locks[d.id].last_started_at) if d.id in locks else None,
                "last_result": locks[d.id].last_result if d.id in locks else None,
            }
            for d in definitions
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:<22} {r['cron']:<14} {r['last_result'] or 'never run'}")


@scheduler.command("status")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def scheduler_status(as_json: bool) -> None:
    """Which scheduler leads (and until when its lease runs), and each job's last run."""
    with runtime() as rt, rt.uow() as session:
        definitions = load_definitions(rt.settings.config_path("jobs.toml"))
        leader = leadership.current(session)
        locks = {lock.job_id: lock for lock in job_lock.status(session)}
        jobs = [_job_status(d.id, d.cron, locks.get(d.id)) for d in definitions]
    body = {
        "leader": None
        if leader is None
        else {
            "holder": leader.holder,
            "host": leader.host,
            "pid": leader.pid,
            "since": _iso(leader.acquired_at),
            "renewed_at": _iso(leader.renewed_at),
            "lease_expires_at": _iso(leader.expires_at),
        },
        "jobs": jobs,
    }
    if as_json:
        _json_out(body)
        return
    if leader is None:
        click.echo("leader: none (no scheduler is running, or its lease has run out)")
    else:
        click.echo(f"leader: {leader.holder} (lease until {_iso(leader.expires_at)})")
    for j in jobs:
        state = "running" if j["running"] else "interrupted" if j["interrupted"] else None
        state = state or j["last_outcome"] or "never run"
        click.echo(f"{j['id']:<28} {state:<8} {j['last_started_at'] or '-'}")


def _job_status(job_id: str, cron: str, lock: job_lock.JobLock | None) -> dict[str, Any]:
    """A job's last run; `interrupted`: it started, never finished, and its lock ran out (its
    process died), so the next run resumes it."""
    until = lock.locked_until if lock is not None and lock.unfinished else None
    return {
        "id": job_id,
        "cron": cron,
        "running": until is not None and until >= clock.now(),
        "interrupted": until is not None and until < clock.now(),
        "holder": lock.holder if lock is not None and until is not None else None,
        "locked_until": _iso(until),
        "last_started_at": _iso(lock.last_started_at) if lock is not None else None,
        "last_finished_at": _iso(lock.last_finished_at) if lock is not None else None,
        "last_outcome": lock.last_outcome if lock is not None else None,
        "last_result": lock.last_result if lock is not None else None,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _load_demo_areas(rt: Runtime) -> None:
    """The demo's retention (schedule, a hold, a first sweep) and knowledge (directory
    profiles, leavers); each is idempotent."""
    from disclosure.demo import load_demo_requests
    from harvest.demo import (
        load_demo_directory,  # heavy: demo data, as above
        load_demo_leavers,
    )
    from retention.demo import load_demo_retention

    click.echo(f"edrm: demo: retention: {load_demo_retention(rt)}")
    click.echo(f"edrm: demo: directory: {load_demo_directory(rt)}")
    click.echo(f"edrm: demo: leavers: {load_demo_leavers(rt)} registered")
    click.echo(f"edrm: demo: information requests: {load_demo_requests(rt)}")
    catch_up(rt)
