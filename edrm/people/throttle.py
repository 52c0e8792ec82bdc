"""Sign-in throttling: failed attempts counted per account and per client address.

Kept in the database, so every server process (and every machine) sees the same counts. When an
account, or an address, reaches its limit of failures within the window, it is locked out for the
lockout time: attempts are refused before any password is checked. A lockout ends by itself (so it
cannot keep a person out for ever) or when an administrator clears it (`unlock`); failures from
before it ended do not count again. A successful sign-in clears the account's count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    UniqueConstraint,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from edrm import audit, clock, metrics
from edrm.db import Base, UTCDateTime

ACCOUNT, ADDRESS = "account", "address"


class SignInFailure(Base):
    """One failed sign-in (kept for the length of the window)."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class SignInLock(Base):
    """The throttle's state for one account or address: locked until when, and from when its
    failures count (the end of its last lockout, its clearing, or the last good sign-in)."""

    __tablename__ = "sign_in_locks"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_sign_in_locks_kind_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # account | address
    key: Mapped[str] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counts_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


@dataclass(frozen=True)
class ThrottlePolicy:
    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Lockout:
    """An account or address that may not try to sign in until `until`."""

    kind: str
    key: str
    until: datetime

    def seconds_left(self, now: datetime | None = None) -> int:
        left = (self.until - (now or clock.now())).total_seconds()
        return max(1, math.ceil(left))

    def message(self, now: datetime | None = None) -> str:
        minutes = math.ceil(self.seconds_left(now) / 60)
        return f"Too many attempts. Try again in {minutes} minute{'' if minutes == 1 else 's'}."


def current_lockout(session: Session, account: str, address: str) -> Lockout | None:
    """The lockout in force for this account or this address (the later-ending one)."""
    now = clock.now()
    rows = session.scalars(
        select(SignInLock)
        .where(_either(account, address), SignInLock.locked_until > now)
        .execution_options(populate_existing=True)
    ).all()
    if not rows:
        return None
    row = max(rows, key=lambda r: r.locked_until or now)
    assert row.locked_until is not None
    return Lockout(row.kind, row.key, row.locked_until)


def note_failure(
    session: Session, account: str, address: str, policy: ThrottlePolicy
) -> Lockout | None:
    """Count a failed sign-in; the lockout it places when it reaches a limit (audited)."""
    now = clock.now()
    session.add(SignInFailure(at=now, account=account, address=address))
    session.execute(
        delete(SignInFailure)
        .where(SignInFailure.at < now - policy.window)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    placed: Lockout | None = None
    for kind, key, limit in (
        (ACCOUNT, account, policy.account_failures),
        (ADDRESS, address, policy.address_failures),
    ):
        if not key:
            continue
        failures = _failures_counted(session, kind, key, now - policy.window)
        if failures < limit:
            continue
        until = now + policy.lockout
        if _place_lock(session, kind, key, until, now):
            metrics.lockout_placed(kind)
            audit.record(
                session,
                audit.SYSTEM_ACTOR,
                "login.locked",
                kind,
                key,
                {
                    "failures": failures,
                    "window_minutes": _minutes(policy.window),
                    "until": until.isoformat(timespec="seconds"),
                },
            )
        placed = placed if placed and placed.until >= until else Lockout(kind, key, until)
    return placed


def note_success(session: Session, account: str) -> None:
    """A good sign-in: the account's earlier failures no longer count (written only if any)."""
    now = clock.now()
    if _failures_counted(session, ACCOUNT, account, now - timedelta(days=1)):
        _upsert(session, ACCOUNT, account, {"counts_from": now})


def unlock(session: Session, kind: str, key: str, *, actor: str) -> bool:
    """Clear a lockout (an administrator's decision, audited); whether one was in force."""
    now = clock.now()
    locked_until = session.scalar(
        select(SignInLock.locked_until).where(SignInLock.kind == kind, SignInLock.key == key)
    )
    was_locked = bool(locked_until and locked_until > now)
    _upsert(session, kind, key, {"locked_until": None, "counts_from": now})
    audit.record(session, actor, "login.unlocked", kind, key, {"was_locked": was_locked})
    return was_locked


def _either(account: str, address: str) -> ColumnElement[bool]:
    wanted = [and_(SignInLock.kind == ACCOUNT, SignInLock.key == account)]
    if address:
        wanted.append(and_(SignInLock.kind == ADDRESS, SignInLock.key == address))
    return or_(*wanted)


def _failures_counted(session: Session, kind: str, key: str, window_start: datetime) -> int:
    counts_from = session.scalar(
        select(SignInLock.counts_from).where(SignInLock.kind == kind, SignInLock.key == key)
    )
    column = SignInFailure.account if kind == ACCOUNT else SignInFailure.address
    since = max(window_start, counts_from) if counts_from else window_start
    counted = select(func.count()).select_from(SignInFailure)
    return int(session.scalar(counted.where(column == key, SignInFailure.at > since)) or 0)


def _place_lock(session: Session, kind: str, key: str, until: datetime, now: datetime) -> bool:
    """Lock out `key` until `until` unless it is locked already; whether this call locked it
    (two processes reaching the limit at once place one lockout)."""
    table = SignInLock.__table__.c
    not_locked = or_(table.locked_until.is_(None), table.locked_until <= now)
    return _upsert(session, kind, key, {"locked_until": until, "counts_from": until}, not_locked)


def _upsert(
    session: Session,
    kind: str,
    key: str,
    values: dict[str, datetime | None],
    where: ColumnElement[bool] | None = None,
) -> bool:
    """Insert or update the row for (kind, key) in one statement, safe against other
    processes doing the same; whether a row was written."""
    # Each dialect's insert is imported here: the engine has loaded its own dialect already,
    # and the other one (PostgreSQL's is the larger) need not load with every command.
    insert: Any
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert = pg_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert
    statement = insert(SignInLock).values(kind=kind, key=key, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["kind", "key"], set_=values, where=where
    )
    result = session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)
