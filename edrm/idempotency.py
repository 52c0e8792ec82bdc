"""Idempotency keys: a caller that sends the same `Idempotency-Key` with the same request again
(a retry after a lost answer) gets the first answer back, and nothing is done twice.

Crash story: the key is stored in the same transaction as the work it answers for, so either
both are committed (a retry replays the answer) or neither is (a retry does the work). Two
concurrent first attempts with one key: the unique (user, key) index lets one commit; the other
fails and its retry replays the winner's answer. The purge deletes, in one statement, only keys
older than api_idempotency_days; a crash in it deletes none or all of them, and a rerun deletes
what is left.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from edrm import clock
from edrm.db import Base, UTCDateTime
from edrm.errors import InvalidInputError

if TYPE_CHECKING:
    from edrm.runtime import Runtime

KEY_LIMIT = 200


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(KEY_LIMIT))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def request_hash(method: str, path: str, parts: list[bytes]) -> str:
    digest = hashlib.sha256(f"{method} {path}".encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > KEY_LIMIT or not key.isprintable():
        raise InvalidInputError(f"Idempotency-Key must be 1 to {KEY_LIMIT} printable characters")
    return key


def replay(session: Session, user_id: int, key: str, fingerprint: str) -> Answer | None:
    """The stored answer for this key, None the first time; the key reused for a different
    request is refused."""
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise KeyReusedError("this Idempotency-Key was used for a different request")
    return Answer(row.status, row.body)


def remember(session: Session, user_id: int, key: str, fingerprint: str, answer: Answer) -> None:
    session.add(
        IdempotencyKey(
            user_id=user_id,
            key=key,
            request_hash=fingerprint,
            status=answer.status,
            body=answer.body,
            created_at=clock.now(),
        )
    )
    session.flush()


def purge(session: Session, before: datetime) -> int:
    """Delete the stored answers made before `before`; how many were deleted."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def scheduled_purge(rt: Runtime) -> str:
    """The idempotency-purge job: a retry after api_idempotency_days is a new request."""
    days = rt.settings.api_idempotency_days
    with rt.uow() as session:
        deleted = purge(session, clock.now() - timedelta(days=days))
    return f"{deleted} idempotency key(s) older than {days} days deleted"


class KeyReusedError(InvalidInputError):
    """An Idempotency-Key sent again with a different request (answered 422)."""
