"""The sweep: recompute every record's retention (retention.recompute), then queue what has
fallen due.

The queueing stages, in one pass over record_retention, every record whose date (or reviewer's
date, `due_branches`) has passed, that is not kept permanently and not already in an open queue
item; then one INSERT … SELECT queues the staged records that are filed and not under any legal
hold. The records under a hold that would have been queued are counted. One audit entry
summarises the run. A nightly run, where almost every due record is queued already, stages only
the few new ones and writes nothing else (the recomputation writes only changed rows).

The sweep only queues: it never destroys, transfers or changes a record. It runs in the
caller's transaction, one sweep at a time (`lock_sweep`); a crash at any point, between any two
of its set-based writes included, rolls the whole run back (the recomputation with it, the
temporary staging tables vanish with the transaction) and the next sweep starts again from the
stored state, so nothing is queued twice (tests/retention/test_disposal_crash.py). On
PostgreSQL it takes no table lock that readers or writers wait for (ROW EXCLUSIVE for its
writes; ANALYZE's SHARE UPDATE EXCLUSIVE only conflicts with VACUUM and DDL): readers of
documents never wait for it (see retention.recompute for the foreign-key checks).
Engine-specific tuning of its big statements is retention.sweep_tuning; the temporary tables
are retention.sweep_sql.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    FromClause,
    Select,
    and_,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from edrm import audit, clock
from edrm.access import Principal
from edrm.db import UTCDateTime, table_of
from edrm.documents.models import Document
from edrm.webhooks.outbox import DISPOSAL_DUE, enqueue
from retention.holds import held_document_ids
from retention.models import OPEN_STATUSES, DisposalItem, RecordRetention, RetentionRule
from retention.node_facts import NodeFacts, node_facts
from retention.notices import tell_reviewers
from retention.recompute import PERMANENT, recompute
from retention.schedule import fy_start_month
from retention.sweep_phases import phase
from retention.sweep_sql import (
    TMP_CANDIDATE,
    TMP_CLASS,
    TMP_HELD,
    TMP_OPEN,
    expire_rewritten,
    insert_rows,
    temp_tables,
)
from retention.sweep_tuning import analyze, analyze_if_stale, engine_tuned, not_yet_queued

QUEUE_COLUMNS = (
    "document_id",
    "rule_code",
    "action",
    "class_code",
    "due_on",
    "stage",
    "stages",
    "status",
    "queued_at",
    "progress",
)
# PostgreSQL advisory lock key so that two sweeps never queue side by side.
SWEEP_LOCK_KEY = 0x5245_5453_5745_4550  # "RETSWEEP"


@dataclass(frozen=True)
class SweepResult:
    as_of: date
    queued: list[int]  # ids of the new disposal queue items
    held: int  # due, but under a legal hold: not queued
    recomputed: int  # records whose computed retention was new or changed
    already_queued: int  # records already in an open queue item

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "queued": len(self.queued),
            "queued_ids": self.queued,
            "held": self.held,
            "recomputed": self.recomputed,
            "already_queued": self.already_queued,
        }


def due_branches(rr: Any, as_of: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The two ways a record_retention row falls due by `as_of` (never when kept permanently):
    its computed date has passed and no reviewer set another, or a reviewer's date has passed.
    (The queueing tests them with one OR: record_retention has no secondary index.)"""
    keep = rr.c.action != PERMANENT
    computed = and_(
        rr.c.state == "scheduled",
        rr.c.due_on <= as_of,
        rr.c.review_on.is_(None),
        keep,
    )
    reviewed = and_(rr.c.review_on.is_not(None), rr.c.review_on <= as_of, keep)
    return computed, reviewed


def lock_sweep(conn: Connection) -> None:
    """One sweep at a time: SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL
    takes a transaction-scoped advisory lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(SWEEP_LOCK_KEY)))


def sweep(session: Session, *, as_of: date, actor: Principal) -> SweepResult:
    """Recompute every record's retention, then queue each record due by `as_of` that is not
    kept permanently, not already in an open queue item and not under a legal hold. Queues
    only; never destroys. One audit entry summarises the run."""
    session.flush()
    conn = session.connection()
    lock_sweep(conn)
    recomputed = recompute(session, fy_start_month=fy_start_month(session))
    facts = node_facts(session)
    # Fresh statistics for the tables this transaction (or a recent one) filled: PostgreSQL
    # would otherwise plan the queueing as if they were empty (nested loops, minutes).
    with phase("queue: analyze"):
        analyze_if_stale(conn, table_of(RecordRetention), changed_here=recomputed > 0)
        analyze_if_stale(conn, table_of(DisposalItem))
    with engine_tuned(conn), temp_tables(conn, TMP_CLASS, TMP_HELD, TMP_OPEN, TMP_CANDIDATE):
        with phase("queue: classes and holds"):
            _fill_classes_and_holds(session, conn, facts)
            already = _open_items(conn)
        with phase("queue: insert due items"):
            queued, held = _queue_due(conn, as_of)
    expire_rewritten(session, DisposalItem)
    result = SweepResult(as_of, queued, held, recomputed, already)
    _audit_run(session, result, actor)
    if queued:  # one event per sweep (a sweep may queue a million items): how many, which ids
        enqueue(
            session,
            DISPOSAL_DUE,
            {
                "as_of": as_of.isoformat(),
                "queued": len(queued),
                "first_item": queued[0],
                "last_item": queued[-1],
            },
        )
        tell_reviewers(session, queued)
    return result


def _fill_classes_and_holds(
    session: Session, conn: Connection, facts: dict[int, NodeFacts]
) -> None:
    """tmp_ret_class ← every node's class; tmp_ret_held ← every record under a legal hold."""
    insert_rows(conn, TMP_CLASS, ((f.id, f.class_code) for f in facts.values()))
    held_ids = held_document_ids(session).subquery()
    conn.execute(
        insert(TMP_HELD).from_select(
            ["document_id"],
            select(held_ids.c[0]).where(held_ids.c[0].is_not(None)).distinct(),
        )
    )
    analyze(conn, TMP_CLASS)
    analyze(conn, TMP_HELD)


def _open_items(conn: Connection) -> int:
    q = table_of(DisposalItem)
    return int(
        conn.scalar(select(func.count()).select_from(q).where(q.c.status.in_(OPEN_STATUSES))) or 0
    )


def _queue_due(conn: Connection, as_of: date) -> tuple[list[int], int]:
    """Queue every eligible unheld record due by `as_of`; returns the new items' ids and how
    many due records were held back.

    Set-based in three statements: the due records not yet in an open item are staged in
    tmp_ret_candidate (one pass over record_retention, no join with the wide documents table);
    the held ones among them are counted; the rest are inserted into the queue joined to their
    documents by key. A nightly sweep, where almost every due record is queued already, stages
    only the few new ones (and the held ones) and so reads documents for them alone."""
    rr = table_of(RecordRetention)
    d = table_of(Document)
    q = table_of(DisposalItem)
    computed, reviewed = due_branches(rr, as_of)
    conn.execute(
        insert(TMP_CANDIDATE).from_select(
            ["document_id"],
            select(rr.c.document_id).where(
                or_(computed, reviewed), ~not_yet_queued(conn, rr.c.document_id)
            ),
        )
    )
    analyze(conn, TMP_CANDIDATE)
    cand = TMP_CANDIDATE.c.document_id
    filed = and_(d.c.id == cand, d.c.status == "filed")
    held = int(
        conn.scalar(
            select(func.count())
            .select_from(TMP_CANDIDATE)
            .join(TMP_HELD, TMP_HELD.c.document_id == cand)
            .join(d, filed)
        )
        or 0
    )
    queued_at = clock.now()
    # The new items' ids are read back by range afterwards: RETURNING a few hundred thousand
    # ids costs SQLite more than the insert itself. (Only the sweep inserts queue items, and it
    # runs alone: see lock_sweep.)
    before = int(conn.scalar(select(func.max(q.c.id))) or 0)
    conn.execute(insert(q).from_select(list(QUEUE_COLUMNS), _due_rows(rr, d, queued_at)))
    queued: list[int] = list(
        conn.scalars(
            select(q.c.id)
            .where(q.c.id > before, q.c.queued_at == literal(queued_at, UTCDateTime()))
            .order_by(q.c.id)
        )
    )
    return queued, held


def _due_rows(rr: FromClause, d: FromClause, queued_at: datetime) -> Select[Any]:
    """The new queue items (QUEUE_COLUMNS) of the staged candidates that are filed and not
    under a hold, in record order."""
    r = table_of(RetentionRule)
    cand = TMP_CANDIDATE.c.document_id
    is_held = exists().where(TMP_HELD.c.document_id == cand)
    return (
        select(
            rr.c.document_id,
            rr.c.rule_code,
            rr.c.action,
            TMP_CLASS.c.class_code,
            func.coalesce(rr.c.review_on, rr.c.due_on),
            literal(1),
            r.c.review_stages,
            literal("pending"),
            literal(queued_at, UTCDateTime()),
            literal_column("'{}'"),
        )
        .select_from(
            TMP_CANDIDATE.join(rr, rr.c.document_id == cand)
            .join(d, d.c.id == cand)
            .join(TMP_CLASS, TMP_CLASS.c.node_id == d.c.node_id)
            .join(r, r.c.code == rr.c.rule_code)
        )
        .where(d.c.status == "filed", ~is_held)
        .order_by(cand)
    )


def _audit_run(session: Session, result: SweepResult, actor: Principal) -> None:
    queued = result.queued
    audit.record(
        session,
        actor.username,
        "retention.sweep",
        "disposal_queue",
        result.as_of.isoformat(),
        {
            "as_of": result.as_of.isoformat(),
            "queued": len(queued),
            "first_item": queued[0] if queued else None,
            "last_item": queued[-1] if queued else None,
            "held": result.held,
            "recomputed": result.recomputed,
            "already_queued": result.already_queued,
        },
    )
