"""The unit of work: one transaction per entry point (web request, CLI command, scheduled job),
and the audit entry of a refused change that outlives the transaction it rolled back.

Entry points open a unit of work and pass its session down; services never commit. A refusal
that carries an audit note (`edrm.errors.AuditNote`) is written to the audit trail in a
transaction of its own after the rollback, so the trail shows what was refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from edrm import audit


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends normally, rolled back otherwise."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        note = getattr(exc, "audit", None)
        if note is not None:
            keep_refusal(factory, note)
        raise
    finally:
        session.close()


def keep_refusal(factory: sessionmaker[Session], note: Any) -> None:
    """Audit a refused change in its own transaction (the change's own one rolled back)."""
    with factory() as session, session.begin():
        audit.record(
            session, note.actor, note.action, note.entity_type, note.entity_id or "", note.details
        )
