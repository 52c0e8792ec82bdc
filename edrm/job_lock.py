"""A database lock per scheduled job, so a job runs once even when several processes start it,
and the record of each job's last run (started, finished, outcome) that a new scheduler leader
catches up from.

A lock is a lease: taken for a short time (scheduler_job_lease_seconds) and renewed by a
heartbeat thread while the job runs (`held`). Crash story: a process killed during a job stops
renewing, so its lease runs out within one lease time and the next run takes the lock and
resumes the work (each job is written to resume: see retention.execution); the record then
shows a run started after the last one finished, which the scheduler treats as interrupted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from edrm import clock
from edrm.db import Base, UTCDateTime

log = logging.getLogger(__name__)
UnitOfWork = Callable[[], AbstractContextManager[Session]]


class JobLock(Base):
    __tablename__ = "job_locks"

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_result: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # "ok" or "failed" for the last finished run
    last_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # when a scheduler first knew the job: a job never run is due from here on, not before
    scheduled_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def unfinished(self) -> bool:
        """The last run started and never finished (whether or not its lease has run out)."""
        if self.last_started_at is None or self.locked_until is None:
            return False
        return self.last_finished_at is None or self.last_finished_at < self.last_started_at


def _ensure_row(session: Session, job_id: str) -> None:
    if session.get(JobLock, job_id) is None:
        try:
            with session.begin_nested():
                session.add(JobLock(job_id=job_id, scheduled_since=clock.now()))
        except IntegrityError:
            pass


def acquire(session: Session, job_id: str, holder: str, ttl: timedelta) -> bool:
    """Take the lock for `job_id` unless another holder has it and it has not expired.
    The caller commits; the conditional UPDATE makes two takers race safely."""
    now = clock.now()
    _ensure_row(session, job_id)
    result = session.execute(
        update(JobLock)
        .where(
            JobLock.job_id == job_id,
            (JobLock.locked_until.is_(None)) | (JobLock.locked_until < now),
        )
        .values(holder=holder, locked_until=now + ttl, last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    # an UPDATE's result is a CursorResult (Session.execute is typed as returning any Result)
    return cast(CursorResult[Any], result).rowcount == 1


def renew(session: Session, job_id: str, holder: str, ttl: timedelta) -> bool:
    """Extend our lock to `ttl` from now; False when it is no longer ours (it ran out and
    another run took it)."""
    result = session.execute(
        update(JobLock)
        .where(
            JobLock.job_id == job_id, JobLock.holder == holder, JobLock.locked_until.is_not(None)
        )
        .values(locked_until=clock.now() + ttl)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def release(session: Session, job_id: str, holder: str, result: str, outcome: str = "ok") -> None:
    session.execute(
        update(JobLock)
        .where(JobLock.job_id == job_id, JobLock.holder == holder)
        .values(
            locked_until=None,
            last_finished_at=clock.now(),
            last_result=result[:1000],
            last_outcome=outcome,
        )
        .execution_options(synchronize_session=False)
    )


@contextmanager
def renewing(
    uow: UnitOfWork, job_id: str, holder: str, ttl: timedelta, every: float
) -> Iterator[threading.Event]:
    """While the block runs, a heartbeat thread renews our lock every `every` seconds. The
    event it yields is set if the lock was lost (another run took it over after it ran out)."""
    stop, lost = threading.Event(), threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with uow() as session:
                    kept = renew(session, job_id, holder, ttl)
            except Exception:
                log.exception("job %s: renewing its lock failed (will try again)", job_id)
                continue
            if not kept:
                log.warning("job %s: its lock was taken over by another run", job_id)
                lost.set()
                return

    thread = threading.Thread(target=beat, name=f"job-lease-{job_id}", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        stop.set()
        thread.join(timeout=5)


def seen(session: Session, job_ids: list[str]) -> dict[str, JobLock]:
    """The record of each job, made (scheduled from now) for a job no scheduler knew before."""
    for job_id in job_ids:
        _ensure_row(session, job_id)
    rows = session.scalars(select(JobLock).where(JobLock.job_id.in_(job_ids)))
    return {row.job_id: row for row in rows}


def status(session: Session) -> list[JobLock]:
    return list(session.scalars(select(JobLock).order_by(JobLock.job_id)))
