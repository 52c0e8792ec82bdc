"""The search outbox: every change to a document is noted in the same transaction, and the
indexer applies the notes to the search engine later, in order and idempotently.

Rows are written by a session hook (after every flush), so no code path that changes a
document, its text, its marking or its place can forget to note it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, event, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from edrm import clock
from edrm.db import Base, UTCDateTime
from edrm.documents.models import Document, DocumentText, DocumentVersion, RecordLink

UPSERT, DELETE = "upsert", "delete"


class OutboxEntry(Base):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    op: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


def _changed_document_ids(session: Session) -> tuple[set[int], set[int]]:
    upserts: set[int] = set()
    deletes: set[int] = set()
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Document) and obj.id is not None:
            upserts.add(obj.id)
        elif (
            isinstance(obj, DocumentText | DocumentVersion | RecordLink)
            and obj.document_id is not None
        ):
            upserts.add(obj.document_id)
    for obj in session.deleted:
        if isinstance(obj, Document) and obj.id is not None:
            deletes.add(obj.id)
        elif isinstance(obj, RecordLink) and obj.document_id is not None:
            upserts.add(obj.document_id)  # unlinked: its places and access keys change
    return upserts - deletes, deletes


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    upserts, deletes = _changed_document_ids(session)
    if not upserts and not deletes:
        return
    now = clock.now()
    rows = [{"document_id": i, "op": UPSERT, "created_at": now} for i in sorted(upserts)]
    rows += [{"document_id": i, "op": DELETE, "created_at": now} for i in sorted(deletes)]
    session.connection().execute(insert(OutboxEntry), rows)
