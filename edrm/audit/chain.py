"""The audit trail: append-only, MAC-chained events written in the caller's transaction.

Each event's MAC (HMAC-SHA-256 with the trail's key, which is kept outside the database:
`edrm.audit.keys`) covers its own fields, the key's id and the MAC of the event before it, so
editing, deleting or inserting an entry breaks the chain at that entry, and nobody without the
key can re-hash the chain. Entries written before the trail was keyed (`key_id` empty) keep
their plain SHA-256 links; the first keyed entry's MAC covers the last of them.

`audit_head` holds the newest sequence number, MAC and key id: appending locks it, so
concurrent writers queue and the chain never forks. Rotating the key appends an entry MACed with
the old key that names the new one. Every `checkpoint_every` entries (and hourly, from the
scheduler) the head is written to the checkpoint log outside the database
(`edrm.audit.checkpoints`), after the transaction commits. No code path updates or deletes
events, and the database refuses to (triggers, migration 0008). An entry written while a web
request is served carries that request's id in its details (`request_id`), under the MAC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import Engine, Integer, String, Text, event, insert, select
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column, sessionmaker

from edrm import clock
from edrm.audit.checkpoints import Written, write
from edrm.audit.trail import TRAIL_INFO_KEY, AuditTrail, trail_of
from edrm.db import READS_FIRST, Base
from edrm.errors import AuditNote
from edrm.request_context import current_request_id

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"
KEY_ROTATED = "audit.key_rotated"
_CHECKPOINT_DUE = "edrm.audit_checkpoint_due"


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
    # The id of the key whose HMAC `hash` is; empty for entries from before the trail was keyed.
    key_id: Mapped[str | None] = mapped_column(String(40), nullable=True)

    @property
    def details_dict(self) -> dict[str, Any]:
        try:
            value = json.loads(self.details)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


class AuditHead(Base):
    """One row: the newest sequence number and MAC of the chain, and the key now in force."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


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
    key_id: str | None = None,
    key: bytes | None = None,
) -> str:
    """An entry's link: HMAC-SHA-256 with `key` over its fields and `key_id`; without a key,
    the plain SHA-256 of its fields that entries from before the keyed trail carry."""
    fields: list[Any] = [seq, at, actor, action, object_type, object_id, details, prev_hash]
    if key is None:
        payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()
    payload = json.dumps([*fields, key_id], separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _lock_head(session: Session) -> AuditHead:
    """The chain's head, locked. Read without flushing the caller's pending changes first:
    the head is only ever changed by `record`, which flushes before it returns, so nothing
    pending can concern it; the caller's changes are flushed with the new entry instead (one
    flush, not two, for each entry of a busy transaction such as an ingest group)."""
    with session.no_autoflush:
        return session.execute(
            select(AuditHead).where(AuditHead.id == 1).with_for_update()
        ).scalar_one()


def _signing_key(session: Session, head: AuditHead) -> tuple[str, bytes]:
    """The key that MACs the next entry: the one the head names, or, before the first keyed
    entry, the key file's first key (the file is made now if there is none: first use)."""
    trail = trail_of(session)
    if head.key_id is None:
        ring = trail.keyring_or_create(legacy_until=head.last_seq)
        return ring.first_id, ring.secret(ring.first_id)
    return head.key_id, trail.keyring_with(head.key_id).secret(head.key_id)


def _advance(session: Session, head: AuditHead, seq: int, last_hash: str, key_id: str) -> None:
    """Move the head; a checkpoint falls due when the chain passes a multiple of N entries."""
    every = trail_of(session).checkpoint_every
    if every > 0 and head.last_seq // every != seq // every:
        session.info.setdefault(_CHECKPOINT_DUE, f"every {every} entries")
    head.last_seq, head.last_hash, head.key_id = seq, last_hash, key_id


def _with_request_id(details: dict[str, Any] | None) -> dict[str, Any]:
    """The details, with the id of the web request that writes the entry (if one does): in the
    details, so the entry's MAC covers it like everything else."""
    request_id = current_request_id()
    if request_id is None or (details and "request_id" in details):
        return details or {}
    return {**(details or {}), "request_id": request_id}


def _new_event(
    head_seq: int,
    prev_hash: str,
    key: tuple[str, bytes],
    at: str,
    entry: tuple[str, str, str, str | int, dict[str, Any] | None],
) -> dict[str, Any]:
    actor, action, object_type, object_id, details = entry
    details = _with_request_id(details)
    row: dict[str, Any] = {
        "seq": head_seq + 1,
        "at": at,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "details": _canonical(details),
        "prev_hash": prev_hash,
        "key_id": key[0],
    }
    row["hash"] = compute_hash(**row, key=key[1])
    return row


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction."""
    head = _lock_head(session)
    key = _signing_key(session, head)
    at = clock.now().isoformat(timespec="microseconds")
    row = _new_event(
        head.last_seq, head.last_hash, key, at, (actor, action, object_type, object_id, details)
    )
    event = AuditEvent(**row)
    session.add(event)
    _advance(session, head, event.seq, event.hash, key[0])
    session.flush()
    return event


def record_many(
    session: Session,
    entries: Iterable[tuple[str, str, str, str | int, dict[str, Any] | None]],
) -> int:
    """Append many events (actor, action, object_type, object_id, details) to the chain in one
    go, in the caller's transaction: the head is locked once and the rows inserted together
    (for bulk work such as disposal, where one event per record would dominate the time)."""
    head = _lock_head(session)
    key = _signing_key(session, head)
    seq, prev = head.last_seq, head.last_hash
    at = clock.now().isoformat(timespec="microseconds")
    rows = []
    for entry in entries:
        row = _new_event(seq, prev, key, at, entry)
        seq, prev = row["seq"], row["hash"]
        rows.append(row)
    if rows:
        session.execute(insert(AuditEvent), rows)
        _advance(session, head, seq, prev, key[0])
        session.flush()
    return len(rows)


@dataclass(frozen=True)
class Rotation:
    old_key_id: str
    new_key_id: str
    seq: int


def rotate_key(session: Session, actor: str = SYSTEM_ACTOR) -> Rotation:
    """Put a new key in force, in the caller's transaction: the new key is added to the key
    file (the old ones stay, so old entries still verify), then an entry MACed with the old key
    names the new one, and the entries after it are MACed with the new key."""
    head = _lock_head(session)
    old = _signing_key(session, head)
    new_id = trail_of(session).add_key()
    at = clock.now().isoformat(timespec="microseconds")
    details = {"old_key_id": old[0], "new_key_id": new_id}
    row = _new_event(
        head.last_seq, head.last_hash, old, at, (actor, KEY_ROTATED, "audit_key", new_id, details)
    )
    session.add(AuditEvent(**row))
    _advance(session, head, row["seq"], row["hash"], new_id)
    session.info[_CHECKPOINT_DUE] = f"key rotated to {new_id}"
    session.flush()
    return Rotation(old[0], new_id, row["seq"])


def ensure_key(session: Session) -> bool:
    """Make the key file now if the trail has none yet (`edrm init`); True when it was made.
    Entries already in the chain keep their plain links, and their head is checkpointed (so the
    log anchors them outside the database too)."""
    head = _lock_head(session)
    trail = trail_of(session)
    if head.key_id is not None or trail.keyring() is not None:
        return False
    trail.keyring_or_create(legacy_until=head.last_seq)
    if head.last_seq:
        session.info[_CHECKPOINT_DUE] = f"trail keyed after {head.last_seq} plain-linked entries"
    return True


def checkpoint_head(trail: AuditTrail, engine: Engine, reason: str, *, stamp: bool) -> Written:
    """Write the committed head of the chain to the checkpoint log (and syslog, and a
    time-stamp when `stamp` and an authority is configured)."""
    with engine.execution_options(**{READS_FIRST: True}).connect() as conn:
        row = conn.execute(
            select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
        ).one_or_none()
    if row is None:
        return Written(None, problem="the chain's head record is missing")
    return write(trail, row.last_seq, row.last_hash, reason, stamp=stamp)


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    """A checkpoint that fell due is written once the entries are committed (never before: an
    entry rolled back must not be in the log). The head is read again, committed.

    SQLAlchemy calls this when a savepoint is released too: that commits nothing, and the
    transaction still holds the write lock that a second connection would wait for."""
    if session.in_nested_transaction():
        return
    reason = session.info.pop(_CHECKPOINT_DUE, None)
    trail = session.info.get(TRAIL_INFO_KEY)
    if not reason or not isinstance(trail, AuditTrail):
        return
    try:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        checkpoint_head(trail, engine, str(reason), stamp=False)
    except Exception:
        log.exception("writing the audit checkpoint failed (the next one will cover it)")


@event.listens_for(Session, "after_soft_rollback")
def _forget_checkpoint(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(_CHECKPOINT_DUE, None)


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
