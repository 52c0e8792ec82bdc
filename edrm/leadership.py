"""A leadership lease in the database: of all the processes that want to lead (the schedulers),
one holds the lease at a time, renews it every few seconds, and a waiting one takes it over once
it has expired (its holder died or lost the database).

One row per lease name. Taking and renewing are the same conditional UPDATE: it succeeds when
the row is free, expired, or already ours, so two takers race safely on SQLite (one writer at a
time) and PostgreSQL (the second UPDATE waits for the first's row lock and then finds the row
taken). The row is made once by an INSERT that a rival's INSERT may beat (IntegrityError, then
the UPDATE decides). The caller commits.

Crash story: a holder killed mid-renewal leaves the row as it was (the UPDATE is one statement
in one transaction); its lease simply runs out `lease` after its last renewal. Expiry is judged
by each process's own clock (edrm.clock), so the machines' clocks must agree (NTP) to within a
small part of the lease.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, String, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from edrm import clock
from edrm.db import Base, UTCDateTime

SCHEDULER = "scheduler"


class LeaderLease(Base):
    __tablename__ = "leader_leases"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    host: Mapped[str | None] = mapped_column(String(200), nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


@dataclass(frozen=True)
class Candidate:
    """One process that wants to lead: a unique id, and where it runs (for people reading)."""

    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"


def take(session: Session, candidate: Candidate, lease: timedelta, name: str = SCHEDULER) -> bool:
    """Take or renew lease `name` for `lease` from now; False when another holder has it and it
    has not expired."""
    now = clock.now()
    if session.get(LeaderLease, name) is None:
        try:
            with session.begin_nested():
                session.add(LeaderLease(name=name))
        except IntegrityError:
            pass
    ours = LeaderLease.holder == candidate.id
    result = session.execute(
        update(LeaderLease)
        .where(
            LeaderLease.name == name,
            ours | LeaderLease.holder.is_(None) | (LeaderLease.expires_at < now),
        )
        .values(
            holder=candidate.id,
            host=candidate.host,
            pid=candidate.pid,
            acquired_at=case((ours, LeaderLease.acquired_at), else_=now),
            renewed_at=now,
            expires_at=now + lease,
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def release(session: Session, candidate: Candidate, name: str = SCHEDULER) -> None:
    """Give the lease up at once (a clean stop), so a waiting process need not wait it out."""
    session.execute(
        update(LeaderLease)
        .where(LeaderLease.name == name, LeaderLease.holder == candidate.id)
        .values(holder=None, expires_at=None)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Leader:
    holder: str
    host: str | None
    pid: int | None
    acquired_at: datetime | None
    renewed_at: datetime | None
    expires_at: datetime


def current(session: Session, name: str = SCHEDULER) -> Leader | None:
    """The live holder of lease `name`, or None when no one holds it (or it has expired)."""
    row = session.scalar(select(LeaderLease).where(LeaderLease.name == name))
    if row is None or row.holder is None or row.expires_at is None:
        return None
    if row.expires_at < clock.now():
        return None
    return Leader(row.holder, row.host, row.pid, row.acquired_at, row.renewed_at, row.expires_at)
