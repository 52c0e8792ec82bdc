"""`edrm migrate --to URL`: copy an embedded (SQLite) installation's database to PostgreSQL.

In one transaction on the target: the schema by the migrations (so Alembic knows the revision
and the audit trail's triggers are there), the rows the migrations seed removed, then every
table of the metadata in dependency order (parents before children; a table that refers to
itself gets those columns after its rows are in), each table's rows in key order; the row
counts compared; and every serial sequence set to the largest id copied. The source is read in
one transaction too, which on SQLite holds the write lock: nothing changes while it is copied.

Crash story: the target's transaction commits only when everything is in and counted, so a
failure or a crash leaves the target as empty as it was, and the copy can simply be run again.
The caller then checks the audit chain on the target (`edrm.audit.verify`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, func, inspect, select, text, update
from sqlalchemy.engine import make_url

from edrm.backup.database import database_is_empty
from edrm.db import Base, alembic_config, current_revision, head_revision, make_engine
from edrm.errors import EdrmError

CHUNK = 1000


class MigrateError(EdrmError):
    """The copy cannot be made (or did not come out whole); the target is left as it was."""


@dataclass
class CopyReport:
    target: str  # the URL without its password
    tables: int = 0
    rows: int = 0
    per_table: dict[str, int] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    not_copied: list[str] = field(default_factory=list)


def copy_to_postgresql(source: Engine, target_url: str) -> CopyReport:
    """Copy the SQLite database behind `source` into the empty PostgreSQL at `target_url`."""
    url = make_url(target_url)
    if url.get_backend_name() != "postgresql":
        raise MigrateError("--to: give a postgresql:// URL (the database to copy into)")
    if source.dialect.name != "sqlite":
        raise MigrateError(
            "this installation is already on PostgreSQL: `edrm migrate` copies an embedded"
            " (SQLite) installation"
        )
    if current_revision(source) != head_revision():
        raise MigrateError("the database schema is out of date: run `edrm init` first")
    if not database_is_empty(target_url):
        raise MigrateError(
            f"the target database {url.database} is not empty: give a new, empty database"
        )
    report = CopyReport(url.render_as_string(hide_password=True))
    tables = Base.metadata.sorted_tables
    report.not_copied = _foreign_tables(source, tables)
    target = make_engine(target_url)
    try:
        with source.begin() as src, target.begin() as dst:
            _create_schema(dst)
            dst.execute(text(f"TRUNCATE {', '.join(_quoted(t) for t in tables)} RESTART IDENTITY"))
            for table in tables:
                report.per_table[table.name] = _copy_table(src, dst, table)
            _check_counts(dst, report.per_table)
            report.sequences = _reset_sequences(dst, tables)
    finally:
        target.dispose()
    report.tables = len(tables)
    report.rows = sum(report.per_table.values())
    return report


def _create_schema(dst: Connection) -> None:
    from alembic import command  # heavy: only to migrate

    cfg = alembic_config(dst.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = dst
    command.upgrade(cfg, "head")


def _foreign_tables(source: Engine, tables: Sequence[Table]) -> list[str]:
    """Tables in the source that are not edrm's (they are left behind, and named)."""
    ours = {t.name for t in tables} | {"alembic_version"}
    return sorted(n for n in inspect(source).get_table_names() if n not in ours)


def _copy_table(src: Connection, dst: Connection, table: Table) -> int:
    """Copy one table's rows (in key order, CHUNK at a time); answer how many."""
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    keys = list(table.primary_key.columns)
    later: list[dict[str, Any]] = []
    count = 0
    result = src.execution_options(stream_results=True).execute(select(table).order_by(*keys))
    for part in result.mappings().partitions(CHUNK):
        rows = [dict(row) for row in part]
        if own:
            later.extend(
                {**{f"k_{k.name}": r[k.name] for k in keys}, **{c: r[c] for c in own}}
                for r in rows
                if any(r[c] is not None for c in own)
            )
            rows = [{**r, **dict.fromkeys(own)} for r in rows]
        dst.execute(table.insert(), rows)
        count += len(rows)
    _fill_self_references(dst, table, own, later)
    return count


def _fill_self_references(
    dst: Connection, table: Table, columns: list[str], rows: list[dict[str, Any]]
) -> None:
    """Set a self-referring table's references once all its rows exist (a folder may name a
    parent made after it)."""
    if not rows:
        return
    where = [k == bindparam(f"k_{k.name}") for k in table.primary_key.columns]
    statement = update(table).where(*where).values({c: bindparam(c) for c in columns})
    for start in range(0, len(rows), CHUNK):
        dst.execute(statement, rows[start : start + CHUNK])


def _check_counts(dst: Connection, expected: dict[str, int]) -> None:
    for name, count in expected.items():
        table = Base.metadata.tables[name]
        copied = dst.scalar(select(func.count()).select_from(table))
        if copied != count:
            raise MigrateError(f"table {name}: {count} rows read but {copied} in the target")


def _reset_sequences(dst: Connection, tables: Iterable[Table]) -> dict[str, int]:
    """Set each serial column's sequence to the largest value copied (the next insert gets
    the one after)."""
    done: dict[str, int] = {}
    for table in tables:
        for column in table.primary_key.columns:
            sequence = dst.scalar(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            )
            if not sequence:
                continue
            top = dst.scalar(select(func.max(column)))
            dst.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": top or 1, "called": top is not None},
            )
            done[f"{table.name}.{column.name}"] = int(top or 0)
    return done


def _quoted(table: Table) -> str:
    return f'"{table.name}"'
