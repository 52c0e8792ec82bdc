"""Is this installation ready to serve (`GET /readyz`)? Each check answers "ok" or what is
wrong, in words a person on call can act on:

- database: answers, and its schema is the one this code needs;
- search: the search engine answers (a count of the index);
- outbox: the oldest change not yet in the search index is younger than ready_outbox_lag_seconds
  (older means the indexer is stuck or not running: searches miss recent changes);
- workers: at least one ingest worker has been heard from within worker_stale_seconds
  (uploads would wait for ever otherwise);
- scheduler: some scheduled job started within ready_scheduler_seconds (the default jobs.toml
  has jobs every minute; 0 turns the check off, e.g. where no scheduler runs on purpose).
  Until a scheduler holds a leadership lease in the database, the jobs' last start times
  (`job_locks`) are the record that a scheduler is alive.
"""

from __future__ import annotations

from datetime import timedelta

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from edrm import leadership
from edrm.db import head_revision
from edrm.gauges import age_seconds, outbox_lag
from edrm.ingest.heartbeats import live_workers
from edrm.job_lock import JobLock
from edrm.runtime import Runtime

OK = "ok"


def database(session: Session) -> str:
    session.execute(text("SELECT 1"))
    revision = MigrationContext.configure(session.connection()).get_current_revision()
    return OK if revision == head_revision() else f"schema {revision} is old: run edrm init"


def search(runtime: Runtime) -> str:
    runtime.search.count()
    return OK


def outbox(session: Session, runtime: Runtime) -> str:
    lag = outbox_lag(session)
    limit = runtime.settings.ready_outbox_lag_seconds
    if lag > limit:
        return f"the search index is {lag:.0f} s behind (over {limit} s): is the indexer running?"
    return OK


def workers(session: Session, runtime: Runtime) -> str:
    stale = runtime.settings.worker_stale_seconds
    if live_workers(session, timedelta(seconds=stale)):
        return OK
    return f"no ingest worker heard from in the last {stale} s: start edrm worker"


def scheduler(session: Session, runtime: Runtime) -> str:
    limit = runtime.settings.ready_scheduler_seconds
    if limit == 0:
        return OK
    if leadership.current(session) is not None:  # a scheduler leads and renews its lease
        return OK
    last = session.scalar(select(func.max(JobLock.last_started_at)))
    if last is None:
        return "no scheduler holds the lease and no scheduled job has ever started"
    age = age_seconds(last)
    if age > limit:
        return (
            f"no scheduler holds the lease and no scheduled job started in the last"
            f" {age:.0f} s (over {limit} s)"
        )
    return OK


def checks(session: Session, runtime: Runtime) -> dict[str, str]:
    """Every check's answer; one that raises answers with the error's kind."""
    found: dict[str, str] = {}
    steps = {
        "database": lambda: database(session),
        "search": lambda: search(runtime),
        "outbox": lambda: outbox(session, runtime),
        "workers": lambda: workers(session, runtime),
        "scheduler": lambda: scheduler(session, runtime),
    }
    for name, step in steps.items():
        try:
            found[name] = step()
        except Exception as exc:  # any failure is the answer here
            session.rollback()
            found[name] = f"error: {type(exc).__name__}"
    return found
