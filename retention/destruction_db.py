"""Destruction, part 1 of 3 (`db`): for a chunk of claimed items, in one transaction, ask the
change guards again (retention.destruction_guard: a hold placed since the items were claimed
puts them back, undestroyed; no hold can be placed until the transaction ends), then write each
record's residual stub, delete its extracted text, classifier suggestions and renditions (their
blobs go in the blob part), reduce the transmission of a record filed by e-mail to its receipt
(edrm.mailin.erasure), take off its vital flag, delete its links into further classes and
folders (multi-filing: it leaves every location but its primary one, where its stub stays), drop
its content-derived metadata (preview, personal-data indicators, properties), mark the document
`destroyed` and note a search-outbox delete. From then on nothing serves its content.

Crash story: the part commits together with the items' progress (`db` done, and the preview and
rendition blobs it took off each document, for the blob part). A crash before the commit leaves
nothing done and the next run does the part again; after it, the next run skips it (items whose
`db` part is done are left out) and goes on with the blobs (retention.destruction_blobs) and the
index (retention.destruction_index). A stub is never written twice for one record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.db import table_of
from edrm.documents.models import Document, DocumentText, DocumentVersion, RecordLink
from edrm.errors import RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.ingest.models import DocumentSuggestion
from edrm.mailin.erasure import forget_transmissions
from edrm.outbox import DELETE, OutboxEntry
from edrm.renditions.models import Rendition
from edrm.runtime import Runtime
from retention.destruction_guard import refuse_guarded
from retention.holds import lock_out_new_holds
from retention.models import DisposalItem, ResidualStub, RetentionRule, VitalRecord
from retention.progress import set_progress
from retention.stubs import approvals, stub_row

#: Metadata that survives destruction on the document row (the rest came from the content).
KEPT_EXTRA = ("original_filename", "ingest_job", "sniffed_type", "page_count", "document_date")


@dataclass(frozen=True)
class _Facts:
    """What the chunk's stubs, metadata and audit entries are made of, read once."""

    docs: dict[int, Any]  # document id -> its row
    nodes: dict[int, Any]  # file-plan node id -> (id, code, kind_value)
    authorities: dict[str, str]  # rule code -> authority
    approvers: dict[int, list[dict[str, Any]]]  # item id -> approvals
    shas: dict[int, set[str]]  # document id -> its versions' checksums
    have_stub: set[int]  # documents that have a stub already
    links: dict[int, list[str]]  # document id -> codes of the nodes it is linked into
    renditions: dict[int, set[str]]  # document id -> its renditions' checksums


@dataclass
class _Plan:
    """The rows the part writes."""

    stubs: list[dict[str, Any]]
    documents: list[dict[str, Any]]  # {"b_id", "b_extra"}: the metadata kept
    ingest_jobs: list[int]  # the jobs that filed them (a message's transmission is forgotten)
    progress: dict[int, dict[str, Any]]  # item id -> its progress with `db` done


def db_part(
    rt: Runtime, item_ids: list[int], *, actor: Principal, note: str
) -> dict[int, RefusedError]:
    """Stubs, text, suggestions, metadata, status and outbox: one transaction for the chunk,
    for the items the change guards let go. Returns {item id: refusal} for the others (put
    back, audited)."""
    with rt.uow() as session:
        lock_out_new_holds(session)
        todo = _not_done(session, item_ids)
        refused = refuse_guarded(session, todo, actor)
        todo = [r for r in todo if r.id not in refused]
        if not todo:
            return refused
        doc_ids = [r.document_id for r in todo]
        facts = _read_facts(session, todo)
        now = clock.now()
        plan = _plan(todo, facts, now=now, actor=actor, note=note)
        _write(session, doc_ids, plan, now)
        set_progress(session, plan.progress)
        _audit(session, todo, facts, actor=actor, note=note)
    return refused


def _not_done(session: Session, item_ids: list[int]) -> list[Row[Any]]:
    """The executing items among these whose database part is not done yet (rows locked)."""
    rows = session.execute(
        select(
            DisposalItem.id,
            DisposalItem.document_id,
            DisposalItem.status,
            DisposalItem.progress,
            DisposalItem.rule_code,
            DisposalItem.class_code,
            DisposalItem.batch_id,
        )
        .where(DisposalItem.id.in_(item_ids), DisposalItem.status == "executing")
        .with_for_update()
    ).all()
    return [r for r in rows if not (r.progress or {}).get("db")]


def _read_facts(session: Session, todo: list[Row[Any]]) -> _Facts:
    doc_ids = [r.document_id for r in todo]
    docs = {
        d.id: d
        for d in session.execute(
            select(
                Document.id,
                Document.identifier,
                Document.title,
                Document.marking_value,
                Document.created_at,
                Document.declared_at,
                Document.node_id,
                Document.extra,
                Document.status,
            ).where(Document.id.in_(doc_ids))
        )
    }
    nodes = {
        n.id: n
        for n in session.execute(
            select(FilePlanNode.id, FilePlanNode.code, FilePlanNode.kind_value).where(
                FilePlanNode.id.in_({d.node_id for d in docs.values() if d.node_id})
            )
        )
    }
    authorities = dict(
        session.execute(
            select(RetentionRule.code, RetentionRule.authority).where(
                RetentionRule.code.in_({r.rule_code for r in todo})
            )
        ).all()
    )
    approvers = approvals(session, [r.id for r in todo])
    shas: dict[int, set[str]] = {}
    for doc_id, sha in session.execute(
        select(DocumentVersion.document_id, DocumentVersion.sha256).where(
            DocumentVersion.document_id.in_(doc_ids)
        )
    ):
        shas.setdefault(doc_id, set()).add(sha)
    have_stub = set(
        session.scalars(
            select(ResidualStub.document_id).where(ResidualStub.document_id.in_(doc_ids))
        )
    )
    links: dict[int, list[str]] = {}
    for doc_id, code in session.execute(
        select(RecordLink.document_id, FilePlanNode.code)
        .join(FilePlanNode, FilePlanNode.id == RecordLink.node_id)
        .where(RecordLink.document_id.in_(doc_ids))
        .order_by(RecordLink.id)
    ):
        links.setdefault(doc_id, []).append(code)
    renditions: dict[int, set[str]] = {}
    for doc_id, sha in session.execute(
        select(Rendition.document_id, Rendition.sha256).where(Rendition.document_id.in_(doc_ids))
    ):
        renditions.setdefault(doc_id, set()).add(sha)
    return _Facts(docs, nodes, authorities, approvers, shas, have_stub, links, renditions)


def _plan(
    todo: list[Row[Any]], facts: _Facts, *, now: datetime, actor: Principal, note: str
) -> _Plan:
    plan = _Plan(stubs=[], documents=[], ingest_jobs=[], progress={})
    for row in todo:
        doc = facts.docs[row.document_id]
        extra = dict(doc.extra or {})
        previews = [extra["preview_sha256"]] if extra.get("preview_sha256") else []
        node = facts.nodes.get(doc.node_id) if doc.node_id else None
        if doc.id not in facts.have_stub:
            plan.stubs.append(
                stub_row(
                    row,
                    doc,
                    node.code if node and node.kind_value == "folder" else None,
                    authority=facts.authorities.get(row.rule_code, ""),
                    approvers=facts.approvers.get(row.id, []),
                    destroyed_at=now,
                    actor=actor,
                    note=note,
                )
            )
        kept = {k: extra[k] for k in KEPT_EXTRA if k in extra}
        if isinstance(extra.get("ingest_job"), int):
            plan.ingest_jobs.append(extra["ingest_job"])
        if kept != extra:
            plan.documents.append({"b_id": doc.id, "b_extra": kept})
        plan.progress[row.id] = {**(row.progress or {}), "db": True}
        if previews:
            plan.progress[row.id]["previews"] = previews
        if facts.renditions.get(doc.id):
            plan.progress[row.id]["renditions"] = sorted(facts.renditions[doc.id])
    return plan


def _write(session: Session, doc_ids: list[int], plan: _Plan, now: datetime) -> None:
    if plan.stubs:
        session.execute(insert(table_of(ResidualStub)), plan.stubs)
    session.execute(delete(DocumentText).where(DocumentText.document_id.in_(doc_ids)))
    session.execute(delete(DocumentSuggestion).where(DocumentSuggestion.document_id.in_(doc_ids)))
    session.execute(delete(Rendition).where(Rendition.document_id.in_(doc_ids)))
    forget_transmissions(session, plan.ingest_jobs)  # a message's headers go with its record
    session.execute(delete(VitalRecord).where(VitalRecord.document_id.in_(doc_ids)))
    session.execute(delete(RecordLink).where(RecordLink.document_id.in_(doc_ids)))
    session.execute(
        update(Document)
        .where(Document.id.in_(doc_ids))
        .values(status="destroyed")
        .execution_options(synchronize_session=False)
    )
    if plan.documents:  # content-derived metadata (preview, personal data found, properties)
        table = table_of(Document)
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(extra=bindparam("b_extra")),
            plan.documents,
        )
    session.execute(
        insert(table_of(OutboxEntry)),
        [{"document_id": i, "op": DELETE, "created_at": now} for i in doc_ids],
    )


def _audit(
    session: Session, todo: list[Row[Any]], facts: _Facts, *, actor: Principal, note: str
) -> None:
    audit.record_many(
        session,
        (
            (
                actor.username,
                "disposal.destroy",
                "document",
                row.document_id,
                {
                    "item": row.id,
                    "batch": row.batch_id,
                    "identifier": facts.docs[row.document_id].identifier,
                    "title": facts.docs[row.document_id].title,
                    "rule": row.rule_code,
                    "versions": len(facts.shas.get(row.document_id, ())),
                    "renditions": len(facts.renditions.get(row.document_id, ())),
                    **(
                        {"unlinked_from": facts.links[row.document_id]}
                        if row.document_id in facts.links
                        else {}
                    ),
                    **({"note": note} if note else {}),
                },
            )
            for row in todo
        ),
    )
