"""Engine-specific tuning of the sweep's few big statements (SQLite and PostgreSQL): none of it
changes a result, only how fast the engine gets there (tuned after bench/retention.py at a
million records).

- `engine_tuned`: on SQLite a bigger page cache and memory-mapped reads, restored after; on
  PostgreSQL more memory per hash or sort, for the transaction only.
- `analyze`: fresh planner statistics on PostgreSQL for tables just filled (`analyze_if_stale`:
  only when they changed).
- `filed`: the `status = 'filed'` test, spelt so that SQLite scans the table in order.
- `not_yet_queued`: PostgreSQL gets the open items' ids copied into a temp table first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, exists, insert, select, text
from sqlalchemy.sql.elements import ColumnElement

from edrm.db import table_of
from retention.models import OPEN_STATUSES, DisposalItem
from retention.sweep_sql import TMP_OPEN, open_item_exists

SQLITE_CACHE_KIB = 256 * 1024  # page cache for the sweep's statements on SQLite
SQLITE_MMAP_BYTES = 4 * 1024**3  # memory-mapped reads of the database file during the sweep
PG_WORK_MEM = "256MB"  # per sort or hash in the sweep's transaction on PostgreSQL


@contextmanager
def engine_tuned(conn: Connection) -> Iterator[None]:
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


def analyze(conn: Connection, table: Table) -> None:
    """Up-to-date planner statistics on PostgreSQL (which never analyses temp tables by itself,
    and analyses other tables only some time after they change): without them it plans joins
    over a million rows as if the tables were empty."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {table.name}"))


STALE_FRACTION = 0.1  # rows changed since the last ANALYZE, as a share of the table


def analyze_if_stale(conn: Connection, table: Table, *, changed_here: bool = False) -> None:
    """`analyze`, but only when this transaction changed the table (`changed_here`: the
    server's counters do not see uncommitted changes) or when the rows changed since its last
    ANALYZE exceed STALE_FRACTION of it (autovacuum's own test, without its delay). A nightly
    sweep over unchanged tables so skips two scans of a million rows."""
    if conn.dialect.name != "postgresql":
        return
    if not changed_here:
        row = conn.execute(
            text(
                "SELECT n_mod_since_analyze, GREATEST(n_live_tup, 1), last_analyze, "
                "last_autoanalyze FROM pg_stat_user_tables WHERE relid = CAST(:t AS regclass)"
            ),
            {"t": table.name},
        ).first()
        never = row is None or (row[2] is None and row[3] is None)
        if not never and row is not None and row[0] <= STALE_FRACTION * row[1]:
            return
    analyze(conn, table)


def filed(status: Any, *, scan: bool) -> ColumnElement[bool]:
    """`status = 'filed'`. With `scan` on SQLite, spelt `status || '' = 'filed'` so that SQLite
    reads the table in order instead of walking the status index (almost every document is
    filed: the index only adds random reads). PostgreSQL plans from its statistics, which the
    spelling would hide."""
    return ((status + "") if scan else status) == "filed"


def not_yet_queued(conn: Connection, document_id: Any) -> ColumnElement[bool]:
    """The record has an open queue item — as a condition the INSERT into the queue can use.
    PostgreSQL gets the ids copied into a temp table first (the caller creates TMP_OPEN):
    planning the check against the table being inserted into, it may rescan that growing table
    for every row."""
    if conn.dialect.name != "postgresql":
        return open_item_exists(document_id)
    q = table_of(DisposalItem)
    conn.execute(
        insert(TMP_OPEN).from_select(
            ["document_id"],
            select(q.c.document_id).where(q.c.status.in_(OPEN_STATUSES)),
        )
    )
    analyze(conn, TMP_OPEN)
    return exists().where(TMP_OPEN.c.document_id == document_id)
