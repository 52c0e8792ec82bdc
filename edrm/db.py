"""Database: the declarative base, engines (SQLite and PostgreSQL), sessions, migrations.

Entry points (web request, CLI command, scheduled job) open a unit of work (`edrm.unit_of_work`)
and pass its session down; services never commit.
"""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from edrm.lengths import refuse_over_long_text
from edrm.package_files import package_dir
from edrm.settings import Settings

MIGRATIONS_DIR = package_dir("migrations")  # Alembic's scripts, shipped inside the package
ALEMBIC_VERSION_TABLE = "alembic_version"  # where alembic keeps the schema's revision

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: The execution option of a SQLite transaction that begins by reading (BEGIN DEFERRED): the
#: web layer's GET requests. Every other transaction begins IMMEDIATE, holding the write lock.
READS_FIRST = "edrm_reads_first"

#: SQLITE_BUSY's primary code; BUSY_SNAPSHOT (517) and BUSY_RECOVERY (261) share it.
_SQLITE_BUSY = 5


class StaleReadError(Exception):
    """A transaction that began by reading could not start writing: another writer committed
    after it read (SQLite's BUSY_SNAPSHOT) or held the lock. Nothing was written; the work
    starts again in a transaction that writes first."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """A model's Table, for Core statements. SQLAlchemy types `__table__` as any FromClause (a
    class may be mapped to a join or a subquery); every model here is mapped to a Table."""
    return cast(Table, model.__table__)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use edrm.clock.now()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def make_engine(url: str, *, busy_timeout_ms: int = 15000) -> Engine:
    """An engine for `url`. SQLite gets WAL, foreign keys, a busy timeout and
    BEGIN IMMEDIATE transactions, so writers queue instead of failing half-way; a transaction
    opened with the READS_FIRST option begins DEFERRED instead, so a reader never waits for a
    writer (WAL lets both run), and if it then writes and SQLite refuses (its snapshot is older
    than another's commit) the error is a StaleReadError, for its caller to start again."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(
        url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (see the pysqlite notes in its docs).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        reads_first = conn.get_execution_options().get(READS_FIRST, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if reads_first else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _sqlite_busy(context: Any) -> None:
        conn = context.connection
        code = getattr(context.original_exception, "sqlite_errorcode", None)
        if conn is None or code is None or code & 0xFF != _SQLITE_BUSY:
            return
        if conn.get_execution_options().get(READS_FIRST, False):
            raise StaleReadError(str(context.original_exception)) from context.original_exception

    return engine


def engine_from_settings(settings: Settings) -> Engine:
    if not settings.database_url:
        settings.home.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.db_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def session_factory(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions on `engine` that refuse over-long text before anything is written
    (edrm.lengths); each starts with a copy of `info` in its `Session.info` (the composition
    root puts the audit trail's keys there)."""
    return refuse_over_long_text(
        sessionmaker(bind=engine, expire_on_commit=False, autoflush=True, info=info or {})
    )


def alembic_config(url: str) -> Any:
    from alembic.config import Config  # alembic takes ~0.5 s to import: only to migrate

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    from alembic import command  # heavy, like alembic.config above

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database's schema is at (alembic_version), or None before `edrm init`.

    Read directly, as alembic's MigrationContext.get_current_revision reads it (a test checks
    they agree), because importing alembic costs every command a noticeable part of a second;
    a table naming several revisions is left to alembic, which refuses it.
    """
    with engine.connect() as conn:
        if not inspect(conn).has_table(ALEMBIC_VERSION_TABLE):
            return None
        versions = list(conn.scalars(text(f"SELECT version_num FROM {ALEMBIC_VERSION_TABLE}")))
        if len(versions) > 1:  # branches: alembic says what is wrong
            from alembic.runtime.migration import MigrationContext  # heavy: see alembic_config

            return MigrationContext.configure(conn).get_current_revision()
    return versions[0] if versions else None


def head_revision() -> str | None:
    """The newest migration's revision: the one no other migration revises.

    Read from the scripts' `revision` and `down_revision` assignments without importing them
    or alembic; a script that is not that simple (a non-literal value, `depends_on`) or more
    than one head leaves the answer, or the error, to alembic's ScriptDirectory (a test checks
    they agree).
    """
    simple = _simple_head(MIGRATIONS_DIR / "versions")
    if simple is not None:
        return simple
    from alembic.script import ScriptDirectory  # heavy: see alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _simple_head(versions: Path) -> str | None:
    """The one head of the scripts in `versions`, or None when alembic must be asked."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for script in versions.glob("*.py"):
        if script.name.startswith((".#", "__init__")):
            continue
        values = _literal_assignments(script)
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str) or values.get("depends_on") is not None:
            return None
        if down is None:
            pass
        elif isinstance(down, str):
            revised.add(down)
        elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
            revised.update(down)
        else:
            return None
        revisions.add(revision)
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 and revised <= revisions else None


def _literal_assignments(script: Path) -> dict[str, Any]:
    """The module-level `name = literal` (or `name: T = literal`) assignments of a script; a
    value that is not a literal is given as the NOT_LITERAL marker."""
    source = script.read_bytes()
    try:
        tree = ast.parse(_header(source), str(script))
    except SyntaxError:  # the header cut a string or a bracket: the whole script answers
        tree = ast.parse(source, str(script))
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name):
            try:
                found[target.id] = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError):
                found[target.id] = _NOT_LITERAL
    return found


_NOT_LITERAL = object()
#: The first line of a script's functions or classes (where the header of names ends).
_BODY_STARTS = re.compile(rb"^(?:def|async|class|@)", re.MULTILINE)
#: The names read from a script; one of them after the header means the whole script is read.
_READ_NAMES = re.compile(rb"\b(?:revision|down_revision|depends_on)\b")


def _header(source: bytes) -> bytes:
    """A migration script up to its first top-level function or class, when none of the names
    read from it appears after that point; else the whole script. Parsing the header alone
    gives the same module-level assignments of those names (a test compares) in a fraction of
    the time: the functions are most of a script (0.02 s of CPU at every command's start)."""
    body = _BODY_STARTS.search(source)
    if body is None or _READ_NAMES.search(source, body.start()):
        return source
    return source[: body.start()]


def sqlite_path(engine: Engine) -> Path | None:
    url = engine.url
    database = url.database
    if url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return Path(database)
    return None
