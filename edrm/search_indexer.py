"""The indexer: applies the search outbox to the search engine, in order, in batches,
idempotently; and rebuilds the whole index from the database.

Applying is safe to repeat: the engine replaces a document by id, so a crash between the
engine's commit and marking the rows done only means the same rows are applied again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from edrm import clock
from edrm.documents.models import Document, DocumentText
from edrm.outbox import DELETE, OutboxEntry
from search.base import IndexedDocument, SearchBackend

log = logging.getLogger(__name__)
BATCH = 500
BODY_CHARS = 1_000_000


def access_keys(document: Document) -> tuple[str, ...]:
    """The keys a person needs one of to see the document (with a high enough clearance):
    its file-plan node; a document on a triage list belongs to its filer and records managers.
    A record linked into further nodes also carries `link:<node id>` for each: a person who may
    not see one of them has that key in `Visibility.excluded` (`edrm.access.visibility_for`)."""
    if document.node_id is not None:
        links = sorted({f"link:{link.node_id}" for link in document.links})
        return (f"node:{document.node_id}", *links)
    keys = ["triage"]
    if document.filed_by_id is not None:
        keys.append(f"owner:{document.filed_by_id}")
    return tuple(keys)


def indexed_document(document: Document, text: str) -> IndexedDocument:
    extra = document.extra or {}
    return IndexedDocument(
        id=document.id,
        title=document.title,
        body="\n".join(part for part in (document.description, text[:BODY_CHARS]) if part),
        class_code=document.class_code or "",
        folder_code=document.folder_code or "",
        doc_type=document.doc_type or document.format,
        creator=document.creator,
        marking=document.marking_value,
        created=document.created_at,
        references=(*(extra.get("references") or ()), document.identifier),
        access_keys=access_keys(document),
        status=document.status,
        also_class_codes=tuple(dict.fromkeys(n.class_node().code for n in document.linked_nodes)),
        also_folder_codes=tuple(
            dict.fromkeys(n.code for n in document.linked_nodes if n.is_folder)
        ),
    )


def _documents(session: Session, ids: list[int]) -> list[IndexedDocument]:
    rows = session.execute(
        select(Document, DocumentText.text)
        .outerjoin(DocumentText, DocumentText.document_id == Document.id)
        .where(Document.id.in_(ids), Document.status != "destroyed")
    ).all()
    return [indexed_document(doc, text or "") for doc, text in rows]


def apply_outbox(
    sessions: sessionmaker[Session], backend: SearchBackend, batch: int = BATCH
) -> int:
    """Apply pending outbox rows (oldest first) until none are left; returns rows applied."""
    applied = 0
    while True:
        with sessions() as session:
            rows = list(
                session.execute(
                    select(OutboxEntry.id, OutboxEntry.document_id, OutboxEntry.op)
                    .where(OutboxEntry.done_at.is_(None))
                    .order_by(OutboxEntry.id)
                    .limit(batch)
                )
            )
            if not rows:
                return applied
            last_op: dict[int, str] = {}
            for _row_id, document_id, op in rows:
                last_op[document_id] = op
            upsert_ids = [d for d, op in last_op.items() if op != DELETE]
            delete_ids = [d for d, op in last_op.items() if op == DELETE]
            documents = _documents(session, upsert_ids)
        found = {d.id for d in documents}
        # A document noted for upsert but gone from the database is removed from the index.
        delete_ids += [d for d in upsert_ids if d not in found]
        if documents:
            backend.index(documents)
        if delete_ids:
            backend.delete(delete_ids)
        backend.commit()
        with sessions() as session, session.begin():
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_([r[0] for r in rows]))
                .values(done_at=clock.now())
                .execution_options(synchronize_session=False)
            )
        applied += len(rows)


def pending(session: Session) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.done_at.is_(None))
        )
        or 0
    )


def all_documents(sessions: sessionmaker[Session], chunk: int = 1000) -> Iterator[IndexedDocument]:
    """Every document, in id order, read in chunks (for a rebuild)."""
    last = 0
    while True:
        with sessions() as session:
            ids = list(
                session.scalars(
                    select(Document.id).where(Document.id > last).order_by(Document.id).limit(chunk)
                )
            )
            if not ids:
                return
            documents = sorted(_documents(session, ids), key=lambda d: d.id)
        yield from documents
        last = ids[-1]


def reindex(
    sessions: sessionmaker[Session],
    backend: SearchBackend,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Rebuild the index from the database and swap it in when complete. Outbox rows noted
    before the rebuild started are marked done (the rebuild includes their changes)."""
    with sessions() as session:
        high_water = session.scalar(select(OutboxEntry.id).order_by(OutboxEntry.id.desc()).limit(1))
    count = 0

    def counting() -> Iterator[IndexedDocument]:
        nonlocal count
        for document in all_documents(sessions):
            count += 1
            yield document

    backend.rebuild(counting(), progress)
    with sessions() as session, session.begin():
        if high_water is not None:
            session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id <= high_water, OutboxEntry.done_at.is_(None))
                .values(done_at=clock.now())
                .execution_options(synchronize_session=False)
            )
        # Changes noted while the rebuild ran may have gone to the old index (another
        # process's indexer): apply them again to the new one.
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id > (high_water or 0))
            .values(done_at=None)
            .execution_options(synchronize_session=False)
        )
    return count
