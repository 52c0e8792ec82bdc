"""Signed-in sessions, kept in the database so that they can be ended.

The browser holds only a random session id; the table holds its SHA-256 (a stolen copy of the
table does not sign anyone in), who it belongs to, when it began and when it was last used. A
session ends when its person signs out, changes password, is deactivated or has their role or
clearance changed (`end_sessions`, called by the people service), after the idle limit without a
request, and at the absolute limit after signing in, however active.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, Text, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from edrm import clock
from edrm.db import Base, UTCDateTime
from edrm.people.models import User

#: A session's last use is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters


class SignInSession(Base):
    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    data: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(lazy="joined")


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta = timedelta(hours=8)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class StartedSession:
    """A new session: `token` goes in the cookie and is never stored."""

    token: str
    record: SignInSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    session: Session, user: User, limits: SessionLimits, *, address: str = ""
) -> StartedSession:
    """A new session for `user` (in the caller's transaction, beside the login audit entry)."""
    now = clock.now()
    _drop_expired(session, limits, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = SignInSession(
        token_hash=token_hash(token),
        user_id=user.id,
        user=user,
        created_at=now,
        last_seen_at=now,
        address=address[:64],
        data="",
    )
    session.add(record)
    session.flush()
    return StartedSession(token, record)


def resume_session(session: Session, token: str, limits: SessionLimits) -> SignInSession | None:
    """The live session with this id, its last use updated; None when there is none (never was,
    ended, or past a limit: an expired one is removed) or its person is no longer active."""
    wanted = token_hash(token)
    record = session.scalar(select(SignInSession).where(SignInSession.token_hash == wanted))
    if record is None:
        return None
    now = clock.now()
    if _expired(record, limits, now) or not record.user.active:
        session.delete(record)
        session.flush()
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
    return record


def save_session_data(session: Session, record_id: int, data: str) -> None:
    """Store what the web layer keeps in a session (its CSRF token, flash messages)."""
    record = session.get(SignInSession, record_id)
    if record is not None:
        record.data = data


def end_session(session: Session, record_id: int) -> None:
    """End one session (a browser that signs in again gets a new one in its place)."""
    session.execute(delete(SignInSession).where(SignInSession.id == record_id))


def end_sessions(session: Session, user_id: int) -> int:
    """End every session of this person at once; how many there were."""
    result = session.execute(delete(SignInSession).where(SignInSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def live_sessions(session: Session, user_id: int, limits: SessionLimits) -> list[SignInSession]:
    """This person's sessions that are still within their limits, newest first."""
    now = clock.now()
    rows = session.scalars(
        select(SignInSession)
        .where(SignInSession.user_id == user_id)
        .order_by(SignInSession.created_at.desc(), SignInSession.id.desc())
    ).all()
    return [r for r in rows if not _expired(r, limits, now)]


def _expired(record: SignInSession, limits: SessionLimits, now: datetime) -> bool:
    return now - record.last_seen_at > limits.idle or now - record.created_at > limits.absolute


def _drop_expired(session: Session, limits: SessionLimits, now: datetime) -> None:
    session.execute(
        delete(SignInSession)
        .where(
            or_(
                SignInSession.last_seen_at < now - limits.idle,
                SignInSession.created_at < now - limits.absolute,
            )
        )
        .execution_options(synchronize_session=False)
    )
