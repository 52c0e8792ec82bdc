"""The sweep's SQL plumbing, shared by the recomputation (retention.recompute) and the queueing
(retention.sweep): its temporary tables, bulk inserts of plain tuples into them, the UTC day of
a timestamp, the open-queue-item condition, and reloading ORM objects rewritten behind the
session's back.

The temporary tables live only inside the sweep's transaction (created and dropped around each
step), so a crash leaves nothing behind: the transaction rolls back as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
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
    cast,
    exists,
    func,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from retention.models import OPEN_STATUSES, DisposalItem

#: Rows per driver call when filling a temporary table.
CHUNK = 5000

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
    Column("cutoff", String(30), nullable=True),  # the rule's cutoff (see recompute.cutoff_day)
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
TMP_CANDIDATE = Table(
    "tmp_ret_candidate",
    _temp,
    Column("document_id", Integer, primary_key=True),  # due by the sweep's day, not queued yet
    prefixes=["TEMPORARY"],
)


@contextmanager
def temp_tables(conn: Connection, *tables: Table) -> Iterator[None]:
    for table in tables:
        table.drop(conn, checkfirst=True)
        table.create(conn)
    try:
        yield
    finally:
        for table in reversed(tables):
            table.drop(conn, checkfirst=True)


def insert_rows(conn: Connection, table: Table, rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain tuples (in the table's column order) in large batches, straight through
    the driver: SQLAlchemy's per-row parameter processing would cost more than the insert."""
    sqlite = conn.dialect.name == "sqlite"
    names = [c.name for c in table.columns]
    marks = ", ".join("?" if sqlite else "%s" for _ in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
    count = 0
    batch: list[Sequence[Any]] = []

    def flush() -> None:
        rows_out: list[Sequence[Any]]
        if sqlite:  # dates as ISO text, as SQLAlchemy stores them on SQLite
            rows_out = [
                tuple(v.isoformat() if isinstance(v, date) else v for v in row) for row in batch
            ]
        else:
            rows_out = list(batch)
        conn.exec_driver_sql(sql, rows_out)

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


def utc_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, in SQL."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def open_item_exists(document_id: Any) -> ColumnElement[bool]:
    """The record has an open queue item (see retention.models.OPEN_STATUSES)."""
    return exists().where(
        DisposalItem.document_id == document_id, DisposalItem.status.in_(OPEN_STATUSES)
    )


def expire_rewritten(session: Session, kind: type) -> None:
    """Rows were rewritten behind the ORM's back: reload any such object the session holds."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, kind):
            session.expire(obj)
