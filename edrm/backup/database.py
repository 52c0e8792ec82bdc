"""The database part of a backup: one consistent snapshot, and what it refers to.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the live database in one
step while writers carry on (WAL: readers do not block them). PostgreSQL: a REPEATABLE READ
transaction exports its snapshot, `pg_dump --snapshot` dumps exactly that snapshot (custom
format), and the blobs it refers to are read in the same transaction, so the dump and the
list of blobs agree. Restore: SQLite copies the file into place; PostgreSQL runs `pg_restore`
into the configured database, which must be empty.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.engine import URL, make_url

from edrm.backup.manifest import BackupError
from edrm.db import normalise_url, sqlite_path, table_of
from edrm.documents.models import Document, DocumentVersion
from edrm.ingest.models import DONE, FAILED, IngestJob
from edrm.renditions.models import Rendition

SQLITE_FILE = "database/edrm.db"
PG_FILE = "database/edrm.pgdump"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True)
class DatabaseSnapshot:
    """The snapshot in the backup, and what it holds."""

    relative: str
    kind: str
    revision: str | None
    documents: int
    live_documents: int
    blobs: frozenset[str]


def referenced_blobs(conn: Connection) -> set[str]:
    """Every blob the database needs: the versions, previews and renditions of documents not
    destroyed, and the content of ingest jobs not yet finished."""
    versions, documents, jobs = (table_of(m) for m in (DocumentVersion, Document, IngestJob))
    live = documents.c.status != "destroyed"
    found: set[str] = set(
        conn.scalars(
            select(versions.c.sha256)
            .join(documents, documents.c.id == versions.c.document_id)
            .where(live)
            .distinct()
        )
    )
    preview = documents.c.extra["preview_sha256"].as_string()
    previews: list[str | None] = list(
        conn.scalars(select(preview).where(live, preview.is_not(None)).distinct())
    )
    found.update(p for p in previews if p)
    renditions = table_of(Rendition)  # only live documents have any (destruction deletes them)
    found.update(conn.scalars(select(renditions.c.sha256).distinct()))
    found.update(
        conn.scalars(select(jobs.c.sha256).where(jobs.c.status.not_in((DONE, FAILED))).distinct())
    )
    return found


def _describe(conn: Connection, relative: str, kind: str) -> DatabaseSnapshot:
    documents = table_of(Document)
    revision = conn.scalar(text("SELECT version_num FROM alembic_version"))
    total = conn.scalar(select(func.count()).select_from(documents)) or 0
    live = conn.scalar(
        select(func.count()).select_from(documents).where(documents.c.status != "destroyed")
    )
    return DatabaseSnapshot(
        relative, kind, revision, int(total), int(live or 0), frozenset(referenced_blobs(conn))
    )


def snapshot(engine: Engine, dest: Path) -> DatabaseSnapshot:
    """Take the database snapshot into `dest` (the backup folder)."""
    source = sqlite_path(engine)
    if source is not None:
        return _sqlite_snapshot(source, dest)
    return _pg_snapshot(engine, dest)


def _sqlite_snapshot(source: Path, dest: Path) -> DatabaseSnapshot:
    target = dest / SQLITE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    live = sqlite3.connect(source, timeout=30)
    copy = sqlite3.connect(tmp)
    try:
        live.backup(copy)  # all pages in one step: one consistent read of the database
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        live.close()
    engine = create_engine(f"sqlite:///{tmp}")
    try:
        with engine.connect() as conn:
            described = _describe(conn, SQLITE_FILE, "sqlite")
    finally:
        engine.dispose()
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return described


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's environment for the URL (so no password is on a command line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for name, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value:
            env[name] = str(value)
    return env


def pg_tool(name: str) -> str:
    """`pg_dump` or `pg_restore`: on PATH, else PostgreSQL 15's own folder."""
    found = shutil.which(name) or (str(PG_BIN / name) if (PG_BIN / name).is_file() else None)
    if found is None:
        raise BackupError(f"{name} is not installed (install the PostgreSQL client tools)")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["(no message)"]
        raise BackupError(f"{Path(command[0]).name} failed: {lines[0]}")


def _pg_snapshot(engine: Engine, dest: Path) -> DatabaseSnapshot:
    target = dest / PG_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    url = make_url(engine.url.render_as_string(hide_password=False))
    repeatable = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with repeatable as conn, conn.begin():
        exported = conn.scalar(text("SELECT pg_export_snapshot()"))
        _run(
            [pg_tool("pg_dump"), "--format=custom", f"--snapshot={exported}", f"--file={tmp}"],
            _pg_env(url),
        )
        described = _describe(conn, PG_FILE, "postgresql")
    os.replace(tmp, target)
    return described


def database_is_empty(url: str) -> bool:
    """Whether the database at `url` has no tables yet (a SQLite file that does not exist)."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                count = conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE type='table'"))
            else:
                count = conn.scalar(
                    text(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema"
                        " NOT IN ('pg_catalog', 'information_schema')"
                    )
                )
    finally:
        engine.dispose()
    return not count


def restore_database(dump: Path, kind: str, url: str) -> None:
    """Put the snapshot `dump` (a SQLite file or a pg_dump archive) into the (empty) database
    at `url`."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != kind:
        raise BackupError(
            f"the backup holds a {kind} database but this installation uses"
            f" {parsed.get_backend_name()}: restore into the same kind of database"
        )
    if kind == "sqlite":
        target = Path(parsed.database or "")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.restore")
        shutil.copyfile(dump, tmp)
        os.replace(tmp, target)
        return
    _run(
        [
            pg_tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={parsed.database}",
            str(dump),
        ],
        _pg_env(parsed),
    )
