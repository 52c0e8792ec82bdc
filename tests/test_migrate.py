"""`edrm migrate --to URL`: an embedded (SQLite) installation is copied whole to an empty
PostgreSQL database — every table, the sequences, the audit chain verified there — and a
non-empty target is refused. Runs against the PostgreSQL that EDRM_TEST_DATABASE_URL names, in
a scratch database of its own on that server (dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from edrm.audit import AuditEvent
from edrm.db import Base, make_engine, normalise_url
from edrm.fileplan.service import create_folder
from edrm.settings import load_settings
from edrm.wiring import build_runtime
from tests.conftest import PG_URL, Cli, World, file_text

# The source is SQLite by definition; the target is the PostgreSQL under test.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def scratch_postgres() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("EDRM_TEST_DATABASE_URL is not set (the PostgreSQL to copy into)")
    base = make_url(normalise_url(PG_URL))
    name = f"edrm_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every edrm table's rows, in key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def test_an_embedded_install_is_copied_whole_to_postgresql_and_the_chain_verifies(
    world: World, cli: Cli, scratch_postgres: str
) -> None:
    rt = world.runtime
    with rt.uow() as s:
        create_folder(s, "FIN-AP-INV-2026", "FIN-AP-INV", "Invoices of 2026")
        for n in range(3):
            file_text(s, rt, "FIN-AP-INV-2026", f"Invoice {n}", body=f"Invoice {n} body\n")
    before = _contents(rt.settings.db_url)

    result = cli("migrate", "--to", scratch_postgres)

    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output
    assert "edrm search reindex" in result.output
    assert _contents(scratch_postgres) == before
    moved = build_runtime(load_settings({**_overrides(rt), "database_url": scratch_postgres}, {}))
    try:
        with moved.uow() as s:
            last = s.scalar(select(func.max(AuditEvent.seq)))
            new_id = file_text(s, moved, "FIN-AP-INV", "Filed after the move")
        assert new_id == max(row[0] for row in before["documents"]) + 1
        with moved.uow() as s:
            assert s.scalar(select(func.max(AuditEvent.seq))) > last
    finally:
        moved.close()


def test_a_target_that_is_not_empty_is_refused(
    world: World, cli: Cli, scratch_postgres: str
) -> None:
    engine = make_engine(scratch_postgres)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE somebody_elses (id integer)"))
    engine.dispose()

    result = cli("migrate", "--to", scratch_postgres)

    assert result.exit_code == 1
    assert "is not empty" in result.output and "Traceback" not in result.output


def test_a_target_that_is_not_postgresql_is_refused(world: World, cli: Cli, tmp_path: Any) -> None:
    result = cli("migrate", "--to", f"sqlite:///{tmp_path / 'other.db'}")
    assert result.exit_code == 1
    assert "give a postgresql:// URL" in result.output


def _overrides(rt: Any) -> dict[str, Any]:
    return {"home": str(rt.settings.home), "secret_key": "test-secret-key", "cookie_secure": False}
