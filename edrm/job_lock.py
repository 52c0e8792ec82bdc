"""A database lock per scheduled job, so a job runs once even when several schedulers run."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from edrm import clock
from edrm.db import Base, UTCDateTime


class JobLock(Base):
    __tablename__ = "job_locks"

    job_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_result: Mapped[str | None] = mapped_column(String(1000), nullable=True)


def acquire(session: Session, job_id: str, holder: str, ttl: timedelta) -> bool:
    """Take the lock for `job_id` unless another holder has it and it has not expired.
    The caller commits; the conditional UPDATE makes two takers race safely."""
    now = clock.now()
    if session.get(JobLock, job_id) is None:
        try:
            with session.begin_nested():
                session.add(JobLock(job_id=job_id))
        except IntegrityError:
            pass
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


def release(session: Session, job_id: str, holder: str, result: str) -> None:
    session.execute(
        update(JobLock)
        .where(JobLock.job_id == job_id, JobLock.holder == holder)
        .values(locked_until=None, last_finished_at=clock.now(), last_result=result[:1000])
        .execution_options(synchronize_session=False)
    )


def status(session: Session) -> list[JobLock]:
    return list(session.scalars(select(JobLock).order_by(JobLock.job_id)))
