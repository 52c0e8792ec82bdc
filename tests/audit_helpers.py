"""Attacks on the audit trail by direct SQL, as someone with write and DDL rights on the
database (but not the key file) would make them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from edrm import audit

SQLITE_TRIGGERS = (
    "audit_events_no_update",
    "audit_events_no_delete",
    "audit_head_no_delete",
    "audit_head_forward_only",
)


def tamper(session: Session, *statements: str, **params: Any) -> None:
    """Run SQL against the trail past the triggers that refuse it, then commit: on SQLite the
    triggers are dropped (each test has a database of its own); on PostgreSQL they are switched
    off for this transaction (`session_replication_role`, as a superuser can)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for name in SQLITE_TRIGGERS:
            session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    for statement in statements:
        session.execute(text(statement), params)
    session.commit()


def fix_head(session: Session, seq: int) -> None:
    """Set the head to entry `seq` (as after deleting the entries after it)."""
    last = session.get(audit.AuditEvent, seq, populate_existing=True)
    tamper(
        session,
        "UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE id = 1",
        s=seq,
        h=last.hash if last else audit.GENESIS_HASH,
    )


def rehash_from(session: Session, first: int, through: int | None = None) -> None:
    """Re-hash the chain from entry `first` on (to `through`, or the newest, with the head fixed
    up) as someone without the key can: plain SHA-256 links, each entry keeping its key id."""
    query = session.query(audit.AuditEvent).filter(audit.AuditEvent.seq >= first)
    if through is not None:
        query = query.filter(audit.AuditEvent.seq <= through)
    events = query.order_by(audit.AuditEvent.seq).all()
    prev = session.get(audit.AuditEvent, first - 1)
    prev_hash = prev.hash if prev else audit.GENESIS_HASH
    statements, params = [], {}
    for n, e in enumerate(events):
        forged = audit.compute_hash(
            e.seq, e.at, e.actor, e.action, e.object_type, e.object_id, e.details, prev_hash
        )
        statements.append(
            f"UPDATE audit_events SET prev_hash = :p{n}, hash = :h{n} WHERE seq = {e.seq}"
        )
        params[f"p{n}"], params[f"h{n}"] = prev_hash, forged
        prev_hash = forged
    if through is None:
        statements.append("UPDATE audit_head SET last_hash = :last WHERE id = 1")
        params["last"] = prev_hash
    tamper(session, *statements, **params)
