"""The sweep: recompute every record's retention and queue what has fallen due.

Both steps are a handful of set-based statements, so a million records take seconds:

1. The file plan is small: Python works out, for every node, the rule it inherits, its class,
   the date its folder was closed and the events recorded for it or above it (`tmp_ret_node`).
2. One INSERT … SELECT over the documents, joined to those nodes and to `record_retention`,
   copies into a narrow temp table (`tmp_ret_calc`) every filed record whose retention is new or
   may have changed: another rule, action or trigger date than the stored one, or a rule whose
   definition the schedule import changed (`rules_changed`), or no rule any more. Records with a
   rule or events of their own (few) are decided one by one with `retention.rules.decide`.
   Records in an open queue item are left out.
3. SQL applies each rule's cutoff (month, year or financial year end: `_cut`, checked against
   `retention.rules.apply_cutoff` by the tests) and Python computes the due date of each
   distinct (rule, cut-off date) pair once with `retention.rules.due_date` (`tmp_ret_due`).
4. The stored rows of those records are replaced (one DELETE, one INSERT … SELECT joining the
   due dates), keeping a reviewer's `review_on`; rows of records no longer filed are dropped.
5. The sweep then queues, with one INSERT … SELECT per way of falling due, every record whose
   date (or reviewer's date) has passed and that is not kept permanently, not already in an
   open queue item and not under any legal hold.

The sweep only queues: it never destroys, transfers or changes a record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    type_coerce,
    union,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from edrm import audit, clock
from edrm.access import Principal
from edrm.db import UTCDateTime
from edrm.documents.models import Document
from edrm.fileplan.models import FilePlanNode
from retention.holds import held_document_ids
from retention.models import DisposalItem, RecordRetention, RetentionEvent, RetentionRule
from retention.rules import Action, Cutoff, Disposal, RecordDates, Rule, Trigger, decide, due_date
from retention.schedule import OPEN_STATUSES, fy_start_month, rules_by_code

# Trigger kinds whose date comes from the record itself; any other trigger's date is the same
# for every record in a node ("fixed": its folder's closing date or an event above it).
RECORD_KINDS = (Trigger.CREATED.value, Trigger.DECLARED.value, Trigger.LAST_MODIFIED.value)
FIXED = "fixed"
PERMANENT = Action.RETAIN_PERMANENTLY.value
CHUNK = 5000
SQLITE_CACHE_KIB = 256 * 1024  # page cache for the sweep's statements on SQLite
SQLITE_MMAP_BYTES = 4 * 1024**3  # memory-mapped reads of the database file during the sweep
PG_WORK_MEM = "256MB"  # per sort or hash in the sweep's transaction on PostgreSQL
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
# PostgreSQL advisory lock key so that two sweeps never queue side by side.
SWEEP_LOCK_KEY = 0x5245_5453_5745_4550  # "RETSWEEP"

_temp = MetaData()
TMP_NODE = Table(
    "tmp_ret_node",
    _temp,
    Column("node_id", Integer, primary_key=True),
    Column("rule_code", String(100)),
    Column("action", String(30)),
    Column("kind", String(20)),
    Column("fixed_on", Date, nullable=True),
    Column("cutoff", String(30), nullable=True),
    Column("forced", Integer),  # 1: its rule's definition changed, recompute every record
    prefixes=["TEMPORARY"],
)
TMP_CALC = Table(
    "tmp_ret_calc",
    _temp,
    Column("document_id", Integer, primary_key=True),
    Column("rule_code", String(100), nullable=True),  # None: no retention any more
    Column("action", String(30), nullable=True),
    Column("trigger_on", Date, nullable=True),
    Column("cutoff", String(30), nullable=True),  # the rule's cutoff (see _cut)
    Column("due_on", Date, nullable=True),  # set already for records decided in Python
    Column("present", Integer),  # 1: record_retention has a row for it (to be replaced)
    Column("review_on", Date, nullable=True),  # the reviewer's date on that row, kept
    prefixes=["TEMPORARY"],
)
TMP_DUE = Table(
    "tmp_ret_due",
    _temp,
    Column("rule_code", String(100), primary_key=True),
    Column("cut_on", Date, primary_key=True),  # the trigger date after the rule's cutoff
    Column("due_on", Date),
    prefixes=["TEMPORARY"],
)
TMP_SCOPE = Table(
    "tmp_ret_scope",
    _temp,
    Column("document_id", Integer, primary_key=True),
    prefixes=["TEMPORARY"],
)
TMP_CLASS = Table(
    "tmp_ret_class",
    _temp,
    Column("node_id", Integer, primary_key=True),
    Column("class_code", String(100)),
    prefixes=["TEMPORARY"],
)
TMP_OPEN = Table(
    "tmp_ret_open",
    _temp,
    Column("document_id", Integer),  # no key: copied as fast as PostgreSQL can
    prefixes=["TEMPORARY"],
)
TMP_HELD = Table(
    "tmp_ret_held",
    _temp,
    Column("document_id", Integer, primary_key=True),
    prefixes=["TEMPORARY"],
)


# --- statements' plumbing ------------------------------------------------------------------------


@contextmanager
def _temp_tables(conn: Connection, *tables: Table) -> Iterator[None]:
    for table in tables:
        table.drop(conn, checkfirst=True)
        table.create(conn)
    try:
        yield
    finally:
        for table in reversed(tables):
            table.drop(conn, checkfirst=True)


@contextmanager
def _engine_tuned(conn: Connection) -> Iterator[None]:
    """Settings for the sweep's few big statements: on SQLite a bigger page cache and
    memory-mapped reads (a scan of a million documents takes about half the time), restored
    after; on PostgreSQL more memory per hash or sort, for this transaction."""
    if conn.dialect.name == "postgresql":
        # Enough memory for hash joins over a million rows without spilling to disk (for
        # this transaction only).
        conn.exec_driver_sql(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    mmap = conn.exec_driver_sql("PRAGMA mmap_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    conn.exec_driver_sql(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache or -2000)}")
        conn.exec_driver_sql(f"PRAGMA mmap_size = {int(mmap or 0)}")


def _analyze(conn: Connection, table: Table) -> None:
    """Up-to-date planner statistics on PostgreSQL (which never analyses temp tables by itself,
    and analyses other tables only some time after they change): without them it plans joins
    over a million rows as if the tables were empty."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {table.name}"))


def _day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, in SQL."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def _insert_rows(conn: Connection, table: Table, rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain tuples (in the table's column order) in large batches, straight through
    the driver: SQLAlchemy's per-row parameter processing would cost more than the insert."""
    sqlite = conn.dialect.name == "sqlite"
    names = [c.name for c in table.columns]
    marks = ", ".join("?" if sqlite else "%s" for _ in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
    count = 0
    batch: list[Sequence[Any]] = []

    def flush() -> None:
        if sqlite:  # dates as ISO text, as SQLAlchemy stores them on SQLite
            rows_out = [
                tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in batch
            ]
        else:
            rows_out = list(batch)
        conn.exec_driver_sql(sql, rows_out)  # type: ignore[arg-type]

    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            flush()
            count += len(batch)
            batch = []
    if batch:
        flush()
        count += len(batch)
    return count


def _open_item_exists(document_id: Any) -> ColumnElement[bool]:
    return exists().where(
        DisposalItem.document_id == document_id, DisposalItem.status.in_(OPEN_STATUSES)
    )


def _filed(status: Any, *, scan: bool) -> ColumnElement[bool]:
    """`status = 'filed'`. With `scan` on SQLite, spelt `status || '' = 'filed'` so that SQLite
    reads the table in order instead of walking the status index (almost every document is
    filed: the index only adds random reads). PostgreSQL plans from its statistics, which the
    spelling would hide."""
    return ((status + "") if scan else status) == "filed"


# --- the file plan: what each node contributes --------------------------------------------------


@dataclass
class NodeFacts:
    id: int
    code: str
    class_code: str
    rule_code: str | None  # the nearest rule code on its path (may be missing from the schedule)
    folder_closed: date | None
    events: dict[str, date]  # latest date of each event recorded for it or a node above it


def node_facts(session: Session) -> dict[int, NodeFacts]:
    """Every node with its inherited rule, class, folder closing date and events (one pass
    over the small file-plan table)."""
    rows = {
        r.id: r
        for r in session.execute(
            select(
                FilePlanNode.id,
                FilePlanNode.parent_id,
                FilePlanNode.code,
                FilePlanNode.kind_value,
                FilePlanNode.retention_rule,
                FilePlanNode.closed,
                FilePlanNode.closed_at,
            )
        )
    }
    own_events: dict[int, dict[str, date]] = defaultdict(dict)
    for node_id, name, day in session.execute(
        select(RetentionEvent.node_id, RetentionEvent.name, func.max(RetentionEvent.occurred_on))
        .where(RetentionEvent.node_id.is_not(None))
        .group_by(RetentionEvent.node_id, RetentionEvent.name)
    ):
        own_events[node_id][name] = day
    facts: dict[int, NodeFacts] = {}

    def build(node_id: int) -> NodeFacts:
        if node_id in facts:
            return facts[node_id]
        row = rows[node_id]
        parent = build(row.parent_id) if row.parent_id in rows else None
        is_folder = row.kind_value == "folder"
        events = dict(parent.events) if parent else {}
        for name, day in own_events.get(node_id, {}).items():
            if name not in events or day > events[name]:
                events[name] = day
        closed: date | None = None
        if is_folder:
            if row.closed and row.closed_at is not None:
                closed = row.closed_at.date()
            elif parent is not None:
                closed = parent.folder_closed
        fact = NodeFacts(
            id=node_id,
            code=row.code,
            class_code=parent.class_code if is_folder and parent else row.code,
            rule_code=row.retention_rule or (parent.rule_code if parent else None),
            folder_closed=closed,
            events=events,
        )
        facts[node_id] = fact
        return fact

    for node_id in rows:
        build(node_id)
    return facts


def _fixed_trigger(rule: Rule, fact: NodeFacts) -> date | None:
    if rule.trigger_kind is Trigger.FOLDER_CLOSED:
        return fact.folder_closed
    return fact.events.get(rule.event_name or "")


def _node_rows(
    facts: dict[int, NodeFacts], rules: dict[str, Rule], forced: Collection[str]
) -> Iterator[tuple[Any, ...]]:
    for fact in facts.values():
        rule = rules.get(fact.rule_code or "")
        if rule is None:
            continue
        kind = rule.trigger if rule.trigger in RECORD_KINDS else FIXED
        yield (
            fact.id,
            rule.code,
            rule.action.value,
            kind,
            _fixed_trigger(rule, fact) if kind == FIXED else None,
            rule.cutoff.value if rule.cutoff else None,
            int(rule.code in forced),
        )


# --- recompute ----------------------------------------------------------------------------------


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
    with _engine_tuned(conn), _temp_tables(conn, *tables):
        if document_ids:
            _insert_rows(conn, TMP_SCOPE, ((i,) for i in sorted(set(document_ids))))
        _insert_rows(conn, TMP_NODE, _node_rows(facts, rules, rules_changed))
        _analyze(conn, TMP_NODE)
        _calculate(conn, scoped)
        _decide_special(conn, scoped, facts, rules, fy_start_month)
        _drop_unfiled(conn, scoped)
        conn.execute(delete(TMP_CALC).where(_open_item_exists(TMP_CALC.c.document_id)))
        _analyze(conn, TMP_CALC)
        _fill_due_dates(conn, rules, fy_start_month)
        written = _write(conn, fy_start_month)
    _expire(session, RecordRetention)
    return written


def _expire(session: Session, kind: type) -> None:
    """Rows were rewritten behind the ORM's back: reload any such object the session holds."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, kind):
            session.expire(obj)


def _calculate(conn: Connection, scoped: bool) -> None:
    """tmp_ret_calc ← every filed record (without a rule or events of its own) whose stored
    retention is missing, differs in rule, action or trigger date, is under a changed rule, or
    should no longer exist — one pass over the documents."""
    dialect = conn.dialect.name
    d = Document.__table__.alias("d")
    n = TMP_NODE
    r = RecordRetention.__table__.alias("r")
    candidates = _filed(d.c.status, scan=not scoped and dialect == "sqlite")
    if scoped:
        candidates = and_(candidates, d.c.id.in_(select(TMP_SCOPE.c.document_id)))
    doc_events = select(RetentionEvent.document_id).where(RetentionEvent.document_id.is_not(None))
    trigger = case(
        (n.c.kind == Trigger.CREATED.value, _day(d.c.created_at, dialect)),
        (n.c.kind == Trigger.DECLARED.value, _day(d.c.declared_at, dialect)),
        (n.c.kind == Trigger.LAST_MODIFIED.value, _day(d.c.modified_at, dialect)),
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
                or_(and_(n.c.node_id.is_not(None), changed), lost),
            ),
        )
    )


def _decide_special(
    conn: Connection, scoped: bool, facts: dict[int, NodeFacts], rules: dict[str, Rule], fy: int
) -> None:
    """Records with a rule or events of their own (few, found through indexes): decided one by
    one with `retention.rules.decide` and compared with what is stored."""
    dialect = conn.dialect.name
    d = Document.__table__.alias("d")
    r = RecordRetention.__table__.alias("r")
    special = union(
        select(Document.id.label("id")).where(Document.retention_rule.is_not(None)),
        select(RetentionEvent.document_id.label("id")).where(
            RetentionEvent.document_id.is_not(None)
        ),
    ).subquery("special")
    condition = and_(d.c.status == "filed", d.c.node_id.is_not(None))
    if scoped:
        condition = and_(condition, d.c.id.in_(select(TMP_SCOPE.c.document_id)))
    days = [
        type_coerce(_day(column, dialect), String).label(name)
        for name, column in (
            ("created", d.c.created_at),
            ("declared", d.c.declared_at),
            ("modified", d.c.modified_at),
        )
    ]
    rows = conn.execute(
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
    if not rows:
        return
    events: dict[int, list[tuple[str, date]]] = defaultdict(list)
    ids = [row.id for row in rows]
    for start in range(0, len(ids), CHUNK):
        for doc_id, name, day in conn.execute(
            select(
                RetentionEvent.document_id, RetentionEvent.name, RetentionEvent.occurred_on
            ).where(RetentionEvent.document_id.in_(ids[start : start + CHUNK]))
        ):
            events[doc_id].append((name, day))

    def decided(row: Any) -> Disposal | None:
        fact = facts.get(row.node_id)
        if fact is None:
            return None
        reaching = [rule for rule in (rules.get(fact.rule_code or ""),) if rule is not None]
        own = rules.get(row.retention_rule or "")
        if own is not None and own not in reaching:
            reaching.append(own)
        if not reaching:
            return None
        dates = RecordDates(
            created=_as_date(row.created),
            declared=_as_date(row.declared) if row.declared else None,
            last_modified=_as_date(row.modified),
            folder_closed=fact.folder_closed,
            events=(*fact.events.items(), *events.get(row.id, ())),
        )
        return decide(reaching, dates, fy)

    def changed() -> Iterator[tuple[Any, ...]]:
        for row in rows:
            outcome = decided(row)
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

    _insert_rows(conn, TMP_CALC, changed())


def _as_date(value: Any) -> date:
    """A day from SQL: a date (PostgreSQL) or its ISO text (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def _drop_unfiled(conn: Connection, scoped: bool) -> None:
    """Rows of records no longer filed (destroyed, or back on a triage list) are to go."""
    d = Document.__table__
    r = RecordRetention.__table__
    # `status < 'filed' OR status > 'filed'`: every other status, through the status index.
    unfiled = or_(d.c.status < "filed", d.c.status > "filed")
    query = select(
        r.c.document_id, null(), null(), null(), null(), null(), literal(1), null()
    ).join(d, d.c.id == r.c.document_id)
    if scoped:
        query = query.join(TMP_SCOPE, TMP_SCOPE.c.document_id == r.c.document_id)
    conn.execute(insert(TMP_CALC).from_select(list(TMP_CALC.c.keys()), query.where(unfiled)))


def _cut(trigger_on: Any, cutoff: Any, fy: int, dialect: str) -> ColumnElement[Any]:
    """`retention.rules.apply_cutoff` in SQL, so that records sharing a cutoff date share one
    due-date computation (the test suite checks the two agree day by day)."""
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
    cut = _cut(c.c.trigger_on, c.c.cutoff, fy, conn.dialect.name)
    pairs = conn.execute(
        select(c.c.rule_code, type_coerce(cut, Date))
        .where(
            c.c.rule_code.is_not(None),
            c.c.due_on.is_(None),
            c.c.trigger_on.is_not(None),
            c.c.action != PERMANENT,
        )
        .distinct()
    ).all()
    _insert_rows(
        conn,
        TMP_DUE,
        ((code, day, due_date(rules[code], day, fy)) for code, day in pairs if code in rules),
    )
    _analyze(conn, TMP_DUE)


def _write(conn: Connection, fy: int) -> int:
    """Replace the stored rows of the records in tmp_ret_calc (keeping `review_on`); returns
    how many records got a computed retention."""
    rr = RecordRetention.__table__
    c = TMP_CALC
    due = TMP_DUE
    conn.execute(
        delete(rr).where(rr.c.document_id.in_(select(c.c.document_id).where(c.c.present == 1)))
    )
    coming = int(
        conn.scalar(select(func.count()).select_from(c).where(c.c.rule_code.is_not(None))) or 0
    )
    cut = _cut(c.c.trigger_on, c.c.cutoff, fy, conn.dialect.name)
    due_on = func.coalesce(c.c.due_on, due.c.due_on)
    state = case(
        (c.c.action == PERMANENT, literal("permanent")),
        (due_on.is_(None), literal("pending")),
        else_=literal("scheduled"),
    )
    conn.execute(
        insert(rr).from_select(
            list(RR_COLUMNS),
            select(
                c.c.document_id,
                c.c.rule_code,
                c.c.action,
                state,
                c.c.trigger_on,
                due_on,
                c.c.review_on,
                literal(clock.now(), UTCDateTime()),
            )
            .select_from(
                c.outerjoin(
                    due,
                    and_(due.c.rule_code == c.c.rule_code, due.c.cut_on == cut),
                )
            )
            .where(c.c.rule_code.is_not(None)),
        )
    )
    return coming


# --- the sweep ----------------------------------------------------------------------------------


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
    Two conditions rather than one OR, so that each can use its index."""
    keep = rr.c.action != PERMANENT
    computed = and_(
        rr.c.state == "scheduled",
        rr.c.due_on <= as_of,
        rr.c.review_on.is_(None),
        keep,
    )
    reviewed = and_(rr.c.review_on.is_not(None), rr.c.review_on <= as_of, keep)
    return computed, reviewed


def _not_yet_queued(conn: Connection, document_id: Any) -> ColumnElement[bool]:
    """The record has an open queue item — as a condition the INSERT into the queue can use.
    PostgreSQL gets the ids copied into a temp table first: planning the check against the
    table being inserted into, it may rescan that growing table for every row."""
    if conn.dialect.name != "postgresql":
        return _open_item_exists(document_id)
    q = DisposalItem.__table__
    conn.execute(
        insert(TMP_OPEN).from_select(
            ["document_id"],
            select(q.c.document_id).where(q.c.status.in_(OPEN_STATUSES)),
        )
    )
    _analyze(conn, TMP_OPEN)
    return exists().where(TMP_OPEN.c.document_id == document_id)


def _lock_sweep(conn: Connection) -> None:
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
    _lock_sweep(conn)
    recomputed = recompute(session, fy_start_month=fy_start_month(session))
    facts = node_facts(session)
    rr = RecordRetention.__table__
    d = Document.__table__
    r = RetentionRule.__table__
    q = DisposalItem.__table__
    # Fresh statistics for the tables this transaction (or a recent one) filled: PostgreSQL
    # would otherwise plan the queueing as if they were empty (nested loops, minutes).
    _analyze(conn, rr)
    _analyze(conn, q)
    with _engine_tuned(conn), _temp_tables(conn, TMP_CLASS, TMP_HELD, TMP_OPEN):
        _insert_rows(conn, TMP_CLASS, ((f.id, f.class_code) for f in facts.values()))
        held_ids = held_document_ids(session).subquery()
        conn.execute(
            insert(TMP_HELD).from_select(
                ["document_id"],
                select(held_ids.c[0]).where(held_ids.c[0].is_not(None)).distinct(),
            )
        )
        _analyze(conn, TMP_CLASS)
        _analyze(conn, TMP_HELD)
        already = int(
            conn.scalar(select(func.count()).select_from(q).where(q.c.status.in_(OPEN_STATUSES)))
            or 0
        )
        is_held = exists().where(TMP_HELD.c.document_id == rr.c.document_id)
        eligible = and_(~_not_yet_queued(conn, rr.c.document_id), d.c.status == "filed")
        held = 0
        queued_at = clock.now()
        now = literal(queued_at, UTCDateTime())
        # The new items' ids are read back by range afterwards: RETURNING a few hundred
        # thousand ids costs SQLite more than the insert itself. (Only the sweep inserts queue
        # items, and it runs alone: see _lock_sweep.)
        before = int(conn.scalar(select(func.max(q.c.id))) or 0)
        for branch in due_branches(rr, as_of):
            # Held and due, counted from the (few) held records.
            held_and_due = (
                select(literal(1))
                .select_from(rr.join(d, d.c.id == rr.c.document_id))
                .where(rr.c.document_id == TMP_HELD.c.document_id, branch, eligible)
            )
            held += int(
                conn.scalar(select(func.count()).select_from(TMP_HELD).where(held_and_due.exists()))
                or 0
            )
            rows = (
                select(
                    rr.c.document_id,
                    rr.c.rule_code,
                    rr.c.action,
                    TMP_CLASS.c.class_code,
                    func.coalesce(rr.c.review_on, rr.c.due_on),
                    literal(1),
                    r.c.review_stages,
                    literal("pending"),
                    now,
                    literal_column("'{}'"),
                )
                .select_from(
                    rr.join(d, d.c.id == rr.c.document_id)
                    .join(TMP_CLASS, TMP_CLASS.c.node_id == d.c.node_id)
                    .join(r, r.c.code == rr.c.rule_code)
                )
                .where(branch, eligible, ~is_held)
            )
            conn.execute(insert(q).from_select(list(QUEUE_COLUMNS), rows))
        queued = list(
            conn.scalars(
                select(q.c.id)
                .where(q.c.id > before, q.c.queued_at == literal(queued_at, UTCDateTime()))
                .order_by(q.c.id)
            )
        )
    _expire(session, DisposalItem)
    result = SweepResult(as_of, queued, held, recomputed, already)
    audit.record(
        session,
        actor.username,
        "retention.sweep",
        "disposal_queue",
        as_of.isoformat(),
        {
            "as_of": as_of.isoformat(),
            "queued": len(queued),
            "first_item": queued[0] if queued else None,
            "last_item": queued[-1] if queued else None,
            "held": held,
            "recomputed": recomputed,
            "already_queued": already,
        },
    )
    return result
