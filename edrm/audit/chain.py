"""The audit trail: append-only, hash-chained events written in the caller's transaction.

Each event's hash covers its own fields and the hash of the event before it, so editing,
deleting or inserting an entry breaks the chain at that entry. `audit_head` holds the newest
sequence number and hash: appending locks it, so concurrent writers queue and the chain never
forks, and deleting the newest entries is detected too. No code path updates or deletes events.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from edrm import clock
from edrm.db import Base, table_of
from edrm.errors import AuditNote

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(100))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def details_dict(self) -> dict[str, Any]:
        try:
            value = json.loads(self.details)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class AuditHead(Base):
    """One row: the newest sequence number and hash of the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


class _HashedFields(TypedDict):
    """An event's fields that its hash covers (`compute_hash`'s arguments)."""

    seq: int
    at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    details: str
    prev_hash: str


def compute_hash(
    seq: int,
    at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: str,
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [seq, at, actor, action, object_type, object_id, details, prev_hash],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _event_hash(event: AuditEvent) -> str:
    return compute_hash(
        event.seq,
        event.at,
        event.actor,
        event.action,
        event.object_type,
        event.object_id,
        event.details,
        event.prev_hash,
    )


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    event = AuditEvent(
        seq=head.last_seq + 1,
        at=clock.now().isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=_canonical(details or {}),
        prev_hash=head.last_hash,
    )
    event.hash = _event_hash(event)
    session.add(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.flush()
    return event


def record_many(
    session: Session,
    entries: Iterable[tuple[str, str, str, str | int, dict[str, Any] | None]],
) -> int:
    """Append many events (actor, action, object_type, object_id, details) to the chain in one
    go, in the caller's transaction: the head is locked once and the rows inserted together
    (for bulk work such as disposal, where one event per record would dominate the time)."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one()
    seq, prev = head.last_seq, head.last_hash
    at = clock.now().isoformat(timespec="microseconds")
    rows: list[dict[str, object]] = []
    for actor, action, object_type, object_id, details in entries:
        seq += 1
        fields = _HashedFields(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=_canonical(details or {}),
            prev_hash=prev,
        )
        prev = compute_hash(**fields)
        rows.append({**fields, "hash": prev})
    if rows:
        session.execute(insert(table_of(AuditEvent)), rows)
        head.last_seq, head.last_hash = seq, prev
        session.flush()
    return len(rows)


def record_refusal(session: Session, error: BaseException) -> bool:
    """Audit the refusal an error carries (its `AuditNote`), in the caller's transaction.
    False when the error carries none. The one way a refused change is audited: the unit of
    work, the web's error pages and bulk decisions all come here."""
    note: AuditNote | None = getattr(error, "audit", None)
    if note is None:
        return False
    record(session, note.actor, note.action, note.entity_type, note.entity_id or "", note.details)
    return True


def keep_refusal(factory: sessionmaker[Session], error: BaseException) -> None:
    """Audit the refusal an error carries in a transaction of its own, for when the refused
    change's transaction has rolled back (or is about to)."""
    if getattr(error, "audit", None) is None:
        return
    with factory() as session, session.begin():
        record_refusal(session, error)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify(session: Session) -> VerifyResult:
    """Check the whole chain; name the first bad sequence number if it is broken."""
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for event in _events_in_order(session):
        if event.seq != expected_seq:
            if event.seq < expected_seq:
                return VerifyResult(False, checked, event.seq, "entry appears twice")
            return VerifyResult(
                False, checked, expected_seq, f"entry {expected_seq} is missing (deleted)"
            )
        if event.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                event.seq,
                f"entry {event.seq} does not follow entry {event.seq - 1} "
                "(an entry was inserted, or the one before it was altered)",
            )
        if _event_hash(event) != event.hash:
            return VerifyResult(False, checked, event.seq, f"entry {event.seq} was altered")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = session.get(AuditHead, 1, populate_existing=True)
    last_seq = expected_seq - 1
    if head is None:
        return VerifyResult(False, checked, last_seq + 1, "the chain's head record is missing")
    if head.last_seq > last_seq:
        return VerifyResult(
            False, checked, last_seq + 1, f"entries {last_seq + 1} to {head.last_seq} are missing"
        )
    if head.last_seq < last_seq or head.last_hash != prev_hash:
        return VerifyResult(
            False, checked, head.last_seq or last_seq, "the newest entry does not match the head"
        )
    return VerifyResult(True, checked)


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=1000, populate_existing=True)
    )
    yield from session.scalars(stmt)


def history(
    session: Session, object_type: str, object_id: str | int, limit: int = 200
) -> list[AuditEvent]:
    """Events about one object, newest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
