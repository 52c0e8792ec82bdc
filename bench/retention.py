"""Benchmark of retention and disposal. Prints figures; asserts nothing.

    .venv/bin/python bench/retention.py [--records N] [--engine sqlite|postgresql|both]
        [--sweeps-only] [--phases]

On a fresh data directory (and, for PostgreSQL, a database of its own next to the one
EDRM_TEST_DATABASE_URL names, created and dropped by the run) it builds, with bulk inserts rather
than the ingest pipeline:
- the default file plan and retention schedule (config/), with folders under every class, many
  of them closed, and `employee_left` / `contract_ended` events on personnel and contract
  folders;
- N records across classes and folders, created over 26 years, half of them declared, 1% with
  a rule of their own, a few with events of their own; one version each;
- legal holds: two folders and 1% of the records held directly.
Then it times:
- the sweep (recompute + queue), cold (no computed retention yet) and again (the nightly run);
- importing a schedule with one period changed (which recomputes every record);
- the forecast;
- executing N/100 approved destructions with `retention.execution.execute_approved`: each of
  those records gets a blob of its own, extracted text and a tantivy index entry first, and the
  run deletes them all and files the certificates.
`--sweeps-only` stops after the two sweeps; `--phases` prints each phase of a sweep
(retention.sweep_phases). Every sweep figure shows wall seconds beside CPU seconds (this
process, and on PostgreSQL the server backend's, read from /proc). Beside the first sweep it
prints its reference: the bare engine inserting the same computed rows into a copy of
record_retention with the same foreign key (rolled back).
Targets (issue 5, SQLite on this machine): the sweep over 1,000,000 records in at most 10 s;
execution at least 500 records per second. Issue 16: first sweep at 1,000,000 records <= 10 s
on SQLite and <= 30 s on PostgreSQL; the nightly sweep <= 5 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, bench/ comes first on sys.path and this file would shadow the `retention`
# package (and bench/search.py the `search` one): look in the project instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from sqlalchemy import Table, bindparam, create_engine, func, insert, select, text, update  # noqa: E402
from sqlalchemy.engine import Connection, make_url  # noqa: E402

from edrm import clock  # noqa: E402
from edrm.access import SYSTEM  # noqa: E402
from edrm.db import migrate, normalise_url  # noqa: E402
from edrm.documents.models import Document, DocumentText, DocumentVersion  # noqa: E402
from edrm.fileplan.io import read_file  # noqa: E402
from edrm.fileplan.models import FilePlanNode  # noqa: E402
from edrm.fileplan.service import import_rows  # noqa: E402
from edrm.search_indexer import indexed_document  # noqa: E402
from edrm.settings import DEFAULT_CONFIG_DIR, ensure_home, load_settings  # noqa: E402
from edrm.wiring import Runtime, build_runtime  # noqa: E402
from retention.forecast import forecast  # noqa: E402
from retention.holds import place_hold  # noqa: E402
from retention.loader import Schedule  # noqa: E402
from retention.models import (  # noqa: E402
    DisposalDecision,
    DisposalItem,
    LegalHoldItem,
    RecordRetention,
    RetentionEvent,
)
from retention.rules import Period  # noqa: E402
from retention.schedule import current_schedule, ensure_schedule, import_schedule  # noqa: E402
from retention.sweep import SweepResult, sweep  # noqa: E402
from retention.sweep_phases import Phase, recording  # noqa: E402

FOLDERS_PER_CLASS = 25
CHUNK = 20_000
START = datetime(2000, 1, 1, tzinfo=UTC)
END = datetime(2026, 6, 30, tzinfo=UTC)
AS_OF = date(2026, 11, 1)
OWN_RULES = ("DESTROY-7Y", "CONTRACT-ENDED-12Y", "RETAIN-PERMANENT", "REVIEW-10Y")


@dataclass
class Figures:
    engine: str
    records: int
    build_s: float = 0.0
    sweeps: list[tuple[str, float, SweepResult]] | None = None
    reschedule_s: float = 0.0
    reschedule_recomputed: int = 0
    forecast_s: float = 0.0
    forecast_rows: int = 0
    prepare_s: float = 0.0
    executed: int = 0
    execute_s: float = 0.0
    failed: int = 0
    certificates: int = 0
    blobs_left: int = 0
    index_before: int = 0
    index_after: int = 0


def say(message: str) -> None:
    print(f"  {message}", flush=True)


# --- bulk loading ------------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def bulk_load(conn: Connection, table: Table, columns: list[str], rows: Iterator[tuple]) -> int:
    """Insert rows as fast as the engine allows: executemany on SQLite, COPY on PostgreSQL."""
    raw = conn.connection.driver_connection
    count = 0
    if conn.dialect.name == "postgresql":
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    cur = raw.cursor()  # type: ignore[union-attr]
    batch: list[tuple] = []
    for row in rows:
        batch.append(tuple(_sqlite_value(v) for v in row))
        if len(batch) >= CHUNK:
            cur.executemany(sql, batch)
            count += len(batch)
            batch = []
    if batch:
        cur.executemany(sql, batch)
        count += len(batch)
    return count


def _fix_sequences(conn: Connection, tables: list[str]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for name in tables:
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
            )
        )


def _moment(rng: random.Random, start: datetime = START, end: datetime = END) -> datetime:
    span = (end - start).total_seconds()
    return start + timedelta(seconds=rng.random() * span)


# --- the world ---------------------------------------------------------------------------------


def build(rt: Runtime, records: int, rng: random.Random) -> dict[str, Any]:
    clock.set_clock(lambda: datetime(2026, 7, 1, 9, 0, tzinfo=UTC))
    with rt.uow() as s:
        import_rows(s, read_file(DEFAULT_CONFIG_DIR / "fileplan.toml"), SYSTEM)
        ensure_schedule(s, rt.settings)
    with rt.engine.begin() as conn:
        classes = conn.execute(
            select(
                FilePlanNode.id, FilePlanNode.code, FilePlanNode.marking_value.label("mark")
            ).where(FilePlanNode.kind_value == "transaction")
        ).all()
        next_id = int(conn.scalar(select(func.max(FilePlanNode.id))) or 0) + 1
        folders: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        for cls in classes:
            for n in range(FOLDERS_PER_CLASS):
                created = _moment(rng, START, datetime(2025, 1, 1, tzinfo=UTC))
                closed = rng.random() < 0.6
                closed_at = created + timedelta(days=rng.randint(30, 900)) if closed else None
                folders.append(
                    (
                        next_id,
                        f"{cls.code}-F{n:03d}",
                        cls.id,
                        "folder",
                        f"{cls.code} folder {n}",
                        "",
                        cls.mark,
                        "",
                        None,
                        closed,
                        closed_at,
                        created,
                    )
                )
                event = {"HR-WF-FILE": "employee_left", "SEC-PS-VET": "employee_left"}.get(
                    cls.code, "contract_ended" if cls.code == "PROC-CM-CON" else None
                )
                if event and rng.random() < 0.5:
                    day = _moment(rng, created, END).date()
                    events.append((event, next_id, None, day, "", datetime.now(UTC), "bench"))
                next_id += 1
        bulk_load(
            conn,
            FilePlanNode.__table__,
            [
                "id",
                "code",
                "parent_id",
                "kind",
                "title",
                "description",
                "marking",
                "owner_unit",
                "retention_rule",
                "closed",
                "closed_at",
                "created_at",
            ],
            iter(folders),
        )
        _fix_sequences(conn, ["fileplan_nodes"])
    placements = [(c.id, c.mark) for c in classes] + [(f[0], f[6]) for f in folders]
    in_folders = [(f[0], f[6]) for f in folders]

    def documents() -> Iterator[tuple[Any, ...]]:
        for doc_id in range(1, records + 1):
            node_id, marking = rng.choice(in_folders if rng.random() < 0.75 else placements)
            created = _moment(rng)
            declared = created + timedelta(days=rng.randint(0, 10)) if rng.random() < 0.5 else None
            own = rng.choice(OWN_RULES) if rng.random() < 0.01 else None
            yield (
                doc_id,
                node_id,
                "filed",
                f"Record {doc_id}",
                "",
                "bench",
                "",
                f"EDRM-{doc_id:07d}",
                "",
                "text/plain",
                "en",
                "",
                marking,
                "[]",
                "{}",
                created,
                created + timedelta(days=rng.randint(0, 30)),
                None,
                declared is not None,
                declared,
                "bench" if declared else None,
                own,
            )

    shared = rt.blobs.put_bytes(b"A record kept by the retention benchmark.\n")

    def versions() -> Iterator[tuple[Any, ...]]:
        for doc_id in range(1, records + 1):
            yield (
                doc_id,
                doc_id,
                1,
                shared.sha256,
                shared.size,
                f"record-{doc_id}.txt",
                "text/plain",
                START,
                "bench",
            )

    doc_columns = [
        "id",
        "node_id",
        "status",
        "title",
        "description",
        "creator",
        "subject",
        "identifier",
        "doc_type",
        "format",
        "language",
        "coverage",
        "marking",
        "relations",
        "extra",
        "created_at",
        "modified_at",
        "filed_by_id",
        "is_record",
        "declared_at",
        "declared_by",
        "retention_rule",
    ]
    with rt.engine.begin() as conn:
        bulk_load(conn, Document.__table__, doc_columns, documents())
        bulk_load(
            conn,
            DocumentVersion.__table__,
            [
                "id",
                "document_id",
                "number",
                "sha256",
                "size",
                "filename",
                "mime",
                "created_at",
                "created_by",
            ],
            versions(),
        )
        for doc_id in rng.sample(range(1, records + 1), max(1, records // 500)):
            events.append(
                ("employee_left", None, doc_id, _moment(rng).date(), "", datetime.now(UTC), "b")
            )
        bulk_load(
            conn,
            RetentionEvent.__table__,
            [
                "name",
                "node_id",
                "document_id",
                "occurred_on",
                "note",
                "recorded_at",
                "recorded_by",
            ],
            iter(events),
        )
        _fix_sequences(conn, ["documents", "document_versions"])
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    with rt.uow() as s:
        invoices = [f[1] for f in folders if f[1].startswith("FIN-AP-INV-")]
        for code in invoices[:2]:
            place_hold(
                s,
                reason="Litigation 2026/3",
                authority="Court order",
                actor=SYSTEM,
                folder_code=code,
            )
        first = place_hold(
            s, reason="FOI 2026/117", authority="FOI Act 2000 s.1", actor=SYSTEM, document_id=1
        )
        held = rng.sample(range(2, records + 1), max(1, records // 100))
        s.execute(
            insert(LegalHoldItem),
            [{"hold_id": first.id, "document_id": d, "node_id": None} for d in held],
        )
    return {"folders": len(folders), "events": len(events), "held_directly": len(held) + 1}


# --- execution set-up --------------------------------------------------------------------------


def prepare_execution(rt: Runtime, count: int) -> list[int]:
    """Give `count` pending destroy items real blobs, text and index entries, then approve
    them (decisions written in bulk, as reviewers' bulk approval would)."""
    with rt.uow() as s:
        items = s.execute(
            select(DisposalItem.id, DisposalItem.document_id, DisposalItem.stages)
            .where(DisposalItem.status == "pending", DisposalItem.action == "destroy")
            .order_by(DisposalItem.id)
            .limit(count)
        ).all()
    doc_ids = [i.document_id for i in items]
    now = clock.now()
    for start in range(0, len(doc_ids), 1000):
        chunk = doc_ids[start : start + 1000]
        with rt.uow() as s:
            shas = {}
            for doc_id in chunk:
                body = f"Record {doc_id}: unique words zq{doc_id}x and its own bytes.\n".encode()
                shas[doc_id] = rt.blobs.put_bytes(body)
            versions = DocumentVersion.__table__
            s.connection().execute(
                update(versions)
                .where(versions.c.document_id == bindparam("doc"))
                .values(sha256=bindparam("sha"), size=bindparam("bytes")),
                [{"doc": d, "sha": b.sha256, "bytes": b.size} for d, b in shas.items()],
            )
            s.execute(
                insert(DocumentText),
                [
                    {
                        "document_id": d,
                        "text": f"unique words zq{d}x",
                        "pages": [],
                        "extracted_at": now,
                    }
                    for d in chunk
                ],
            )
            docs = s.scalars(select(Document).where(Document.id.in_(chunk))).all()
            rt.search.index(indexed_document(doc, f"unique words zq{doc.id}x") for doc in docs)
    rt.search.commit()
    with rt.uow() as s:
        s.execute(
            insert(DisposalDecision),
            [
                {
                    "item_id": i.id,
                    "stage": stage,
                    "decision": "approve",
                    "reason": "Past its retention period; no business need",
                    "new_date": None,
                    "decided_by": f"recman{stage}",
                    "decided_at": now,
                }
                for i in items
                for stage in range(1, i.stages + 1)
            ],
        )
        s.connection().execute(
            update(DisposalItem.__table__)
            .where(DisposalItem.__table__.c.id.in_([i.id for i in items]))
            .values(status="approved", stage=DisposalItem.__table__.c.stages)
        )
    return [i.id for i in items]


# --- the run -----------------------------------------------------------------------------------


def _backend_cpu_reader(conn: Connection) -> Any:
    """A function returning the CPU seconds used so far by this connection's PostgreSQL
    backend (same machine: /proc/<pid>/stat), or None on SQLite (no server process)."""
    if conn.dialect.name != "postgresql":
        return None
    pid = int(conn.scalar(text("SELECT pg_backend_pid()")) or 0)
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    return cpu


def timed_sweep(rt: Runtime, label: str, figures: Figures, show_phases: bool) -> SweepResult:
    begin, cpu = time.perf_counter(), time.process_time()
    with rt.uow() as s:
        server = _backend_cpu_reader(s.connection())
        server_before = server() if server else 0.0
        with recording(server) as phases:
            result = sweep(s, as_of=AS_OF, actor=SYSTEM)
        committing = time.perf_counter()
    seconds = time.perf_counter() - begin
    cpu_s = time.process_time() - cpu
    server_s = f", server CPU {server() - server_before:.2f} s" if server else ""
    assert figures.sweeps is not None
    figures.sweeps.append((label, seconds, result))
    say(
        f"sweep ({label}): {seconds:.2f} s wall, {cpu_s:.2f} s CPU{server_s} — queued "
        f"{len(result.queued):,}, held {result.held:,}, already queued "
        f"{result.already_queued:,}, recomputed {result.recomputed:,}"
    )
    if show_phases:
        _print_phases(phases, seconds, time.perf_counter() - committing)
    return result


def reference_write(rt: Runtime) -> None:
    """The reference for the first sweep: the bare engine writing the same rows, i.e.
    `INSERT INTO copy SELECT * FROM record_retention` into a fresh table with the same key and
    foreign key to documents (rolled back), timed in the same process."""
    begin = time.perf_counter()
    with rt.engine.connect() as conn, conn.begin() as tx:
        if conn.dialect.name == "postgresql":
            conn.execute(text("CREATE TABLE bench_rr_copy (LIKE record_retention INCLUDING ALL)"))
            conn.execute(
                text(
                    "ALTER TABLE bench_rr_copy ADD FOREIGN KEY (document_id) "
                    "REFERENCES documents (id) ON DELETE CASCADE"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TABLE bench_rr_copy (document_id INTEGER PRIMARY KEY "
                    "REFERENCES documents (id) ON DELETE CASCADE, rule_code, action, state, "
                    "trigger_on, due_on, review_on, computed_at)"
                )
            )
        begin = time.perf_counter()
        rows = conn.execute(text("INSERT INTO bench_rr_copy SELECT * FROM record_retention"))
        seconds = time.perf_counter() - begin
        tx.rollback()
    say(
        f"reference: bare INSERT … SELECT of the {rows.rowcount:,} computed rows into a copy of "
        f"record_retention with its foreign key: {seconds:.2f} s"
    )


def _print_phases(phases: list[Phase], total: float, commit: float) -> None:
    for p in phases:
        server = f", server CPU {p.server_cpu_s:6.2f} s" if p.server_cpu_s is not None else ""
        say(f"    {p.name:<36} {p.wall_s:6.2f} s wall, CPU {p.cpu_s:6.2f} s{server}")
    # Phases named with a leading space are parts of the phase after them: not summed twice.
    rest = total - commit - sum(p.wall_s for p in phases if not p.name.startswith(" "))
    say(f"    {'commit':<36} {commit:6.2f} s wall")
    say(f"    {'everything else':<36} {rest:6.2f} s wall")


def run(
    engine: str,
    records: int,
    database_url: str,
    seed: int,
    keep: bool,
    sweeps_only: bool = False,
    show_phases: bool = False,
) -> Figures:
    rng = random.Random(seed)
    figures = Figures(engine, records, sweeps=[])
    tmp = Path(tempfile.mkdtemp(prefix="edrm-bench-retention-"))
    admin = None
    name = ""
    try:
        overrides: dict[str, Any] = {"home": str(tmp / "home"), "database_url": ""}
        if engine == "postgresql":
            base = make_url(normalise_url(database_url))
            name = f"{base.database}_bench_retention"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            overrides["database_url"] = base.set(database=name).render_as_string(
                hide_password=False
            )
        settings = load_settings(overrides, environ={})
        ensure_home(settings)
        rt = build_runtime(settings)
        migrate(rt.engine)
        print(f"\n{engine}: building {records:,} records …", flush=True)
        begin = time.perf_counter()
        built = build(rt, records, rng)
        figures.build_s = time.perf_counter() - begin
        say(
            f"built in {figures.build_s:.1f} s: {built['folders']:,} folders, "
            f"{built['events']:,} events, {built['held_directly']:,} records held directly "
            "(+ 2 folders)"
        )
        clock.set_clock(None)
        timed_sweep(rt, "cold: first computation", figures, show_phases)
        reference_write(rt)
        timed_sweep(rt, "nightly: nothing changed", figures, show_phases)
        if sweeps_only:
            rt.close()
            return figures

        with rt.uow() as s:
            schedule = current_schedule(s)
        changed = Schedule(
            [
                r if r.code != "DESTROY-2Y" else type(r)(**{**r.__dict__, "period": Period(3)})
                for r in schedule.rules
            ],
            schedule.fy_start_month,
        )
        begin = time.perf_counter()
        with rt.uow() as s:
            outcome = import_schedule(s, changed, actor=SYSTEM, source="bench")
        figures.reschedule_s = time.perf_counter() - begin
        figures.reschedule_recomputed = outcome.recomputed
        say(
            f"schedule import with DESTROY-2Y changed to 3 years: {figures.reschedule_s:.2f} s "
            f"({outcome.recomputed:,} records recomputed)"
        )
        begin = time.perf_counter()
        with rt.uow() as s:
            rows = forecast(s, today=AS_OF, months=12)
            states = dict(
                s.execute(
                    select(RecordRetention.state, func.count()).group_by(RecordRetention.state)
                ).all()
            )
        figures.forecast_s = time.perf_counter() - begin
        figures.forecast_rows = len(rows)
        say(
            f"forecast (12 months): {figures.forecast_s:.2f} s, {len(rows)} rows, "
            f"{sum(r.count for r in rows):,} records; computed states {states}"
        )

        count = max(1, records // 100)
        begin = time.perf_counter()
        item_ids = prepare_execution(rt, count)
        figures.prepare_s = time.perf_counter() - begin
        figures.index_before = rt.search.count()
        say(
            f"prepared {len(item_ids):,} approved destructions (blobs, text, index entries) "
            f"in {figures.prepare_s:.1f} s; index holds {figures.index_before:,}"
        )
        from retention.execution import execute_approved

        begin = time.perf_counter()
        result = execute_approved(rt, actor=SYSTEM)
        figures.execute_s = time.perf_counter() - begin
        figures.executed = len(result.finished)
        figures.failed = len(result.failed)
        figures.certificates = len(result.certificates)
        figures.index_after = rt.search.count()
        with rt.uow() as s:
            shas = s.scalars(
                select(DocumentVersion.sha256).where(
                    DocumentVersion.document_id.in_(
                        select(DisposalItem.document_id).where(DisposalItem.id.in_(item_ids))
                    )
                )
            ).all()
        figures.blobs_left = sum(1 for sha in shas if rt.blobs.exists(sha))
        rate = figures.executed / figures.execute_s if figures.execute_s else 0.0
        say(
            f"execution: {figures.executed:,} destroyed in {figures.execute_s:.2f} s = "
            f"{rate:,.0f} records/s ({figures.failed} failed, {figures.certificates} "
            f"certificate(s), {len(result.batches)} batch(es)); blobs left "
            f"{figures.blobs_left}, index {figures.index_before:,} -> {figures.index_after:,}"
        )
        rt.close()
    finally:
        clock.set_clock(None)
        if keep:
            print(f"  kept {tmp}" + (f" and database {name}" if name else ""))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if admin is not None:
            admin.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--engine",
        choices=["sqlite", "postgresql", "both"],
        default=None,
        help="default: sqlite, and postgresql too when EDRM_TEST_DATABASE_URL is set",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("EDRM_TEST_DATABASE_URL", ""),
        help="PostgreSQL server to use (a database of the bench's own is created on it)",
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the data directory/database")
    parser.add_argument(
        "--sweeps-only",
        action="store_true",
        help="time the two sweeps only (no schedule import, forecast or execution)",
    )
    parser.add_argument("--phases", action="store_true", help="time each phase of the sweeps")
    args = parser.parse_args()
    engines = {"sqlite": ["sqlite"], "postgresql": ["postgresql"], "both": ["sqlite", "postgresql"]}
    chosen = (
        engines[args.engine]
        if args.engine
        else ["sqlite"] + (["postgresql"] if args.database_url else [])
    )
    if "postgresql" in chosen and not args.database_url:
        parser.error("PostgreSQL needs --database-url or EDRM_TEST_DATABASE_URL")
    results = [
        run(
            e,
            args.records,
            args.database_url,
            args.seed,
            args.keep,
            sweeps_only=args.sweeps_only,
            show_phases=args.phases,
        )
        for e in chosen
    ]
    print(
        "\nsummary (targets at 1,000,000 records: first sweep <= 10 s SQLite, <= 30 s PostgreSQL;"
        " nightly <= 5 s PostgreSQL; execution >= 500/s)"
    )
    for f in results:
        assert f.sweeps is not None
        sweeps = ", ".join(f"{label.split(':')[0]} {sec:.2f} s" for label, sec, _ in f.sweeps)
        rate = f.executed / f.execute_s if f.execute_s else 0.0
        print(
            f"  {f.engine:<10} {f.records:>9,} records: sweep {sweeps}; "
            f"re-schedule {f.reschedule_s:.2f} s; execution {rate:,.0f} records/s"
        )


if __name__ == "__main__":
    main()
