"""Computing every record's retention (`record_retention`): a handful of set-based statements,
so that a million records take seconds.

1. The file plan is small: Python works out, for every node, the rule it inherits, its class,
   the date its folder was closed and the events recorded for it or above it
   (retention.node_facts → `tmp_ret_node`).
2. One INSERT … SELECT over the documents, joined to those nodes and to `record_retention`,
   copies into a narrow temp table (`tmp_ret_calc`) every filed record whose retention is new or
   may have changed: another rule, action or trigger date than the stored one, or a rule whose
   definition the schedule import changed (`rules_changed`), or no rule any more. Records with a
   rule or events of their own, and records linked into further classes or folders
   (multi-filing: the longest retention of all their locations wins), are few: they are
   decided one by one with `retention.rules.decide` and `retention.rules.longest`.
   Records in an open queue item are left out.
3. SQL applies each rule's cutoff (month, year or financial year end: `cutoff_day`, checked against
   `retention.rules.apply_cutoff` by the tests) and Python computes the due date of each
   distinct (rule, cut-off date) pair once with `retention.rules.due_date` (`tmp_ret_due`).
4. The stored rows are brought up to date from that staging, set by set (`_write`): one DELETE
   of the rows of records no longer filed or without a rule, one UPDATE … FROM of the stored
   rows whose outcome changed (rows that come out the same are not written: a nightly sweep
   over unchanged records writes nothing), one INSERT … SELECT of new records' rows; a
   reviewer's `review_on` is kept.

Integrity and locks on PostgreSQL. `record_retention.document_id` keeps its foreign key to
`documents`, checked by PostgreSQL for every inserted row; an UPDATE that keeps the key fires no
check. Each check takes a FOR KEY SHARE lock on the document's row, which neither readers nor
updates of other columns of documents wait for; no table lock beyond ROW EXCLUSIVE on
record_retention is taken, so the web keeps reading and writing documents while a sweep runs.
Measured at 1,000,000 rows (bench/retention.py's database, 2 loaded cores): the INSERT takes
6.7 s without the key and 20–27 s with it; locking the same rows beforehand in one set-based
SELECT … FOR KEY SHARE takes 12.8 s by itself, and a deferred key costs the same at commit
(16 s): the cost is the row locks (and the WAL they write), not the per-row triggers, so no
cheaper way to check the same rows keeps the guarantee. Dropping the key and adding it back
NOT VALID + VALIDATE would take ACCESS EXCLUSIVE on documents (dropping its triggers) for the
rest of the sweep, blocking every reader; that is not done. The key's cost is paid once per
record, by the first sweep (or filing) that computes it.

Callers: the sweep (retention.sweep, which then queues what is due), the schedule import (for
the rules it changed) and a recorded event (for the records it reaches). Everything happens in
the caller's transaction: a crash rolls the recomputation back with the caller's change, and
the next sweep recomputes whatever is stale. Engine-specific tuning is retention.sweep_tuning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Row,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    text,
    type_coerce,
    union,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from edrm import clock
from edrm.db import UTCDateTime, table_of
from edrm.documents.models import Document, RecordLink
from retention.models import RecordRetention, RetentionEvent
from retention.node_facts import NodeFacts, node_facts, node_rows
from retention.rules import (
    Action,
    Cutoff,
    Disposal,
    RecordDates,
    Rule,
    Trigger,
    decide,
    due_date,
    longest,
)
from retention.stored_rules import rules_by_code
from retention.sweep_phases import phase
from retention.sweep_sql import (
    CHUNK,
    TMP_CALC,
    TMP_DUE,
    TMP_NODE,
    TMP_SCOPE,
    expire_rewritten,
    insert_rows,
    open_item_exists,
    temp_tables,
    utc_day,
)
from retention.sweep_tuning import analyze, engine_tuned, filed

PERMANENT = Action.RETAIN_PERMANENTLY.value
RR_COLUMNS = (
    "document_id",
    "rule_code",
    "action",
    "state",
    "trigger_on",
    "due_on",
    "review_on",
    "computed_at",
)


def recompute(
    session: Session,
    *,
    fy_start_month: int,
    document_ids: Sequence[int] | None = None,
    rules_changed: Collection[str] = (),
) -> int:
    """Bring `record_retention` up to date for every filed record (or only `document_ids`):
    rows are written for records whose retention is new or changed, and dropped for records
    that no longer have one. Records in an open queue item are left as they are; a reviewer's
    `review_on` is kept. `rules_changed` names rules whose definition changed (the schedule
    import passes them): every record under them is recomputed. Returns how many records got a
    new computed retention."""
    session.flush()
    conn = session.connection()
    scoped = document_ids is not None
    if scoped and not document_ids:
        return 0
    rules = rules_by_code(session)
    facts = node_facts(session)
    tables = [TMP_NODE, TMP_CALC, TMP_DUE] + ([TMP_SCOPE] if scoped else [])
    with engine_tuned(conn), temp_tables(conn, *tables):
        if document_ids:
            insert_rows(conn, TMP_SCOPE, ((i,) for i in sorted(set(document_ids))))
        insert_rows(conn, TMP_NODE, node_rows(facts, rules, rules_changed))
        analyze(conn, TMP_NODE)
        with phase("recompute: changed records"):
            _calculate(conn, scoped)
        with phase("recompute: own rules and events"):
            _decide_special(conn, scoped, facts, rules, fy_start_month)
        with phase("recompute: unfiled, open items"):
            _drop_unfiled(conn, scoped)
            conn.execute(delete(TMP_CALC).where(open_item_exists(TMP_CALC.c.document_id)))
            analyze(conn, TMP_CALC)
        with phase("recompute: due dates"):
            _fill_due_dates(conn, rules, fy_start_month)
        with phase("recompute: write record_retention"):
            written = _write(conn, fy_start_month)
    expire_rewritten(session, RecordRetention)
    return written


# --- step 2: which records' retention may have changed --------------------------------------------
def _calculate(conn: Connection, scoped: bool) -> None:
    """tmp_ret_calc ← every filed record (without a rule or events of its own) whose stored
    retention is missing, differs in rule, action or trigger date, is under a changed rule, or
    should no longer exist — one pass over the documents."""
    dialect = conn.dialect.name
    d = table_of(Document).alias("d")
    n = TMP_NODE
    r = table_of(RecordRetention).alias("r")
    candidates = filed(d.c.status, scan=not scoped and dialect == "sqlite")
    if scoped:
        candidates = and_(candidates, d.c.id.in_(select(TMP_SCOPE.c.document_id)))
    doc_events = select(RetentionEvent.document_id).where(RetentionEvent.document_id.is_not(None))
    trigger = case(
        (n.c.kind == Trigger.CREATED.value, utc_day(d.c.created_at, dialect)),
        (n.c.kind == Trigger.DECLARED.value, utc_day(d.c.declared_at, dialect)),
        (n.c.kind == Trigger.LAST_MODIFIED.value, utc_day(d.c.modified_at, dialect)),
        else_=n.c.fixed_on,
    )
    stored = r.c.document_id.is_not(None)
    changed = or_(
        ~stored,
        n.c.forced == 1,
        r.c.rule_code != n.c.rule_code,
        r.c.action != n.c.action,
        r.c.trigger_on.is_distinct_from(trigger),
    )
    lost = and_(n.c.node_id.is_(None), stored)
    conn.execute(
        insert(TMP_CALC).from_select(
            ["document_id", "rule_code", "action", "trigger_on", "cutoff", "present", "review_on"],
            select(
                d.c.id,
                n.c.rule_code,
                n.c.action,
                trigger,
                n.c.cutoff,
                case((stored, 1), else_=0),
                r.c.review_on,
            )
            .select_from(
                d.outerjoin(n, n.c.node_id == d.c.node_id).outerjoin(r, r.c.document_id == d.c.id)
            )
            .where(
                candidates,
                d.c.retention_rule.is_(None),
                d.c.id.not_in(doc_events),
                d.c.id.not_in(select(RecordLink.document_id)),
                or_(and_(n.c.node_id.is_not(None), changed), lost),
            ),
        )
    )


# --- step 2, records with a rule or events of their own -------------------------------------------


def _decide_special(
    conn: Connection, scoped: bool, facts: dict[int, NodeFacts], rules: dict[str, Rule], fy: int
) -> None:
    """Records with a rule or events of their own, or linked into further nodes (few, found
    through indexes): decided one by one with `retention.rules.decide` and compared with what
    is stored."""
    rows = _special_records(conn, scoped)
    if not rows:
        return
    events = _own_events(conn, [row.id for row in rows])
    links = _links(conn, [row.id for row in rows])

    def changed() -> Iterator[tuple[Any, ...]]:
        for row in rows:
            own_events = events.get(row.id, ())
            outcome = _decided(row, facts, rules, own_events, fy, links.get(row.id, ()))
            present = int(row.stored is not None)
            if outcome is None:
                if present:
                    yield (row.id, None, None, None, None, None, 1, None)
                continue
            now = (outcome.rule.code, outcome.action.value, outcome.trigger_on, outcome.due_on)
            if present and now == (row.rule_code, row.action, row.trigger_on, row.due_on):
                continue
            code, action, trigger_on, due_on = now
            yield (row.id, code, action, trigger_on, None, due_on, present, row.review_on)

    insert_rows(conn, TMP_CALC, changed())


def _special_records(conn: Connection, scoped: bool) -> Sequence[Row[Any]]:
    """The filed records with a rule or events of their own or links into further nodes, with
    their dates (as ISO days) and their stored retention, if any."""
    dialect = conn.dialect.name
    d = table_of(Document).alias("d")
    r = table_of(RecordRetention).alias("r")
    special = union(
        select(Document.id.label("id")).where(Document.retention_rule.is_not(None)),
        select(RetentionEvent.document_id.label("id")).where(
            RetentionEvent.document_id.is_not(None)
        ),
        select(RecordLink.document_id.label("id")),
    ).subquery("special")
    condition = and_(d.c.status == "filed", d.c.node_id.is_not(None))
    if scoped:
        condition = and_(condition, d.c.id.in_(select(TMP_SCOPE.c.document_id)))
    days = [
        type_coerce(utc_day(column, dialect), String).label(name)
        for name, column in (
            ("created", d.c.created_at),
            ("declared", d.c.declared_at),
            ("modified", d.c.modified_at),
        )
    ]
    return conn.execute(
        select(
            d.c.id,
            d.c.node_id,
            d.c.retention_rule,
            *days,
            r.c.document_id.label("stored"),
            r.c.rule_code,
            r.c.action,
            r.c.trigger_on,
            r.c.due_on,
            r.c.review_on,
        )
        .select_from(
            special.join(d, d.c.id == special.c.id).outerjoin(r, r.c.document_id == d.c.id)
        )
        .where(condition)
    ).all()


def _own_events(conn: Connection, ids: list[int]) -> dict[int, list[tuple[str, date]]]:
    """The events recorded for each of these records themselves."""
    events: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        for doc_id, name, day in conn.execute(
            select(
                RetentionEvent.document_id, RetentionEvent.name, RetentionEvent.occurred_on
            ).where(RetentionEvent.document_id.in_(ids[start : start + CHUNK]))
        ):
            if doc_id is not None:  # always: the IN leaves out NULL
                events[doc_id].append((name, day))
    return events


def _links(conn: Connection, ids: list[int]) -> dict[int, list[int]]:
    """The further nodes each of these records is linked into (multi-filing)."""
    found: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        for doc_id, node_id in conn.execute(
            select(RecordLink.document_id, RecordLink.node_id).where(
                RecordLink.document_id.in_(ids[start : start + CHUNK])
            )
        ):
            found[doc_id].append(node_id)
    return found


def _decided(
    row: Any,
    facts: dict[int, NodeFacts],
    rules: dict[str, Rule],
    own_events: Sequence[tuple[str, date]],
    fy: int,
    linked: Sequence[int] = (),
) -> Disposal | None:
    """One special record's retention: in each of its locations (its node, then the nodes it
    is linked into) that location's rule and its own, decided on its dates and that location's
    folder closing and events; the longest of all of them wins."""
    fact = facts.get(row.node_id)
    if fact is None:
        return None
    own = rules.get(row.retention_rule or "")
    outcomes: list[Disposal] = []
    for place in (fact, *(facts[node_id] for node_id in linked if node_id in facts)):
        reaching = [rule for rule in (rules.get(place.rule_code or ""),) if rule is not None]
        if own is not None and own not in reaching:
            reaching.append(own)
        if not reaching:
            continue
        dates = RecordDates(
            created=_as_date(row.created),
            declared=_as_date(row.declared) if row.declared else None,
            last_modified=_as_date(row.modified),
            folder_closed=place.folder_closed,
            events=(*place.events.items(), *own_events),
        )
        outcomes.append(decide(reaching, dates, fy))
    return longest(outcomes) if outcomes else None


def _as_date(value: Any) -> date:
    """A day from SQL: a date (PostgreSQL) or its ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


# --- records no longer filed; steps 3 and 4: due dates, the stored rows replaced ------------------


def _drop_unfiled(conn: Connection, scoped: bool) -> None:
    """Rows of records no longer filed (destroyed, or back on a triage list) are to go."""
    d = table_of(Document)
    r = table_of(RecordRetention)
    # `status < 'filed' OR status > 'filed'`: every other status, through the status index.
    unfiled = or_(d.c.status < "filed", d.c.status > "filed")
    query = select(
        r.c.document_id, null(), null(), null(), null(), null(), literal(1), null()
    ).join(d, d.c.id == r.c.document_id)
    if scoped:
        query = query.join(TMP_SCOPE, TMP_SCOPE.c.document_id == r.c.document_id)
    conn.execute(insert(TMP_CALC).from_select(list(TMP_CALC.c.keys()), query.where(unfiled)))


def cutoff_day(trigger_on: Any, cutoff: Any, fy: int, dialect: str) -> ColumnElement[Any]:
    """`retention.rules.apply_cutoff` in SQL, so that records sharing a cutoff date share one
    due-date computation (the test suite checks the two agree day by day)."""
    month_end: ColumnElement[Any]
    year_end: ColumnElement[Any]
    fy_end: ColumnElement[Any]
    if dialect == "postgresql":
        day = text("interval '1 day'")
        month_end = cast(
            func.date_trunc("month", trigger_on) + text("interval '1 month'") - day, Date
        )
        year_end = cast(func.date_trunc("year", trigger_on) + text("interval '1 year'") - day, Date)
        shifted = trigger_on - text(f"interval '{fy - 1} months'")
        fy_end = cast(
            func.date_trunc("year", shifted) + text(f"interval '1 year {fy - 1} months'") - day,
            Date,
        )
    else:
        month_end = func.date(trigger_on, "start of month", "+1 month", "-1 day")
        year_end = func.date(trigger_on, "start of year", "+1 year", "-1 day")
        fy_end = func.date(
            trigger_on,
            "start of month",
            f"-{fy - 1} months",
            "start of year",
            "+1 year",
            f"+{fy - 1} months",
            "-1 day",
        )
    return case(
        (cutoff == Cutoff.MONTH_END.value, month_end),
        (cutoff == Cutoff.YEAR_END.value, year_end),
        (cutoff == Cutoff.FINANCIAL_YEAR_END.value, fy_end),
        else_=trigger_on,
    )


def _fill_due_dates(conn: Connection, rules: dict[str, Rule], fy: int) -> None:
    """tmp_ret_due ← the due date of each distinct (rule, trigger date after its cutoff) pair,
    computed once in Python with `retention.rules.due_date`."""
    c = TMP_CALC
    cut = cutoff_day(c.c.trigger_on, c.c.cutoff, fy, conn.dialect.name)
    # (rule code, trigger day after its cutoff): neither is NULL, by the WHERE
    pairs: Sequence[Row[str, date]] = conn.execute(
        select(c.c.rule_code, type_coerce(cut, Date))
        .where(
            c.c.rule_code.is_not(None),
            c.c.due_on.is_(None),
            c.c.trigger_on.is_not(None),
            c.c.action != PERMANENT,
        )
        .distinct()
    ).all()
    insert_rows(
        conn,
        TMP_DUE,
        ((code, day, due_date(rules[code], day, fy)) for code, day in pairs if code in rules),
    )
    analyze(conn, TMP_DUE)


def _write(conn: Connection, fy: int) -> int:
    """Bring the stored rows of the records in tmp_ret_calc (the staging table) up to date, set
    by set: one DELETE of the rows of records that no longer have a retention, one UPDATE … FROM
    of the stored rows whose computed retention changed (only those: a row that comes out the
    same is not written, so a nightly sweep over unchanged records writes nothing), one
    INSERT … SELECT of the new records' rows. `review_on` is kept. Returns how many records got
    a computed retention.

    On PostgreSQL the UPDATE leaves `document_id` alone, so it fires no foreign-key check; only
    the new rows' INSERT does (one check per row against `documents`, taking a FOR KEY SHARE
    row lock that readers and non-key updates of documents never wait for). No table lock
    beyond the ROW EXCLUSIVE of any write is taken. All of it runs in the caller's transaction:
    a crash loses the whole recomputation and the next sweep redoes it from the staging step."""
    rr = table_of(RecordRetention)
    c = TMP_CALC
    with phase("  write: drop lost rows"):
        conn.execute(
            delete(rr).where(
                rr.c.document_id.in_(
                    select(c.c.document_id).where(c.c.present == 1, c.c.rule_code.is_(None))
                )
            )
        )
    coming = int(
        conn.scalar(select(func.count()).select_from(c).where(c.c.rule_code.is_not(None))) or 0
    )
    now = literal(clock.now(), UTCDateTime())
    new = computed_rows(conn, fy).subquery("new")
    with phase("  write: update changed rows"):
        conn.execute(
            update(rr)
            .where(
                rr.c.document_id == new.c.document_id,
                new.c.present == 1,
                or_(
                    *(
                        rr.c[name].is_distinct_from(new.c[name])
                        for name in ("rule_code", "action", "state", "trigger_on", "due_on")
                    )
                ),
            )
            .values(
                rule_code=new.c.rule_code,
                action=new.c.action,
                state=new.c.state,
                trigger_on=new.c.trigger_on,
                due_on=new.c.due_on,
                computed_at=now,
            )
        )
    with phase("  write: insert new rows"):
        fresh = computed_rows(conn, fy).where(c.c.present == 0).subquery("fresh")
        conn.execute(
            insert(rr).from_select(
                list(RR_COLUMNS),
                select(*(fresh.c[name] for name in RR_COLUMNS[:-1]), now),
            )
        )
    return coming


def computed_rows(conn: Connection, fy: int) -> Select[Any]:
    """Each staged record's computed retention (RR_COLUMNS but `computed_at`, then `present`):
    tmp_ret_calc joined to the due dates of tmp_ret_due, records without a rule left out."""
    c = TMP_CALC
    due = TMP_DUE
    cut = cutoff_day(c.c.trigger_on, c.c.cutoff, fy, conn.dialect.name)
    due_on = func.coalesce(c.c.due_on, due.c.due_on)
    state = case(
        (c.c.action == PERMANENT, literal("permanent")),
        (due_on.is_(None), literal("pending")),
        else_=literal("scheduled"),
    )
    return (
        select(
            c.c.document_id,
            c.c.rule_code,
            c.c.action,
            state.label("state"),
            c.c.trigger_on,
            due_on.label("due_on"),
            c.c.review_on,
            c.c.present,
        )
        .select_from(c.outerjoin(due, and_(due.c.rule_code == c.c.rule_code, due.c.cut_on == cut)))
        .where(c.c.rule_code.is_not(None))
    )
