"""The database layer: engine settings, migrations that match the models, the unit of work."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

import edrm.wiring.tables  # noqa: F401  (every table)
from edrm.db import Base, current_revision, head_revision, make_engine
from edrm.runtime import Runtime
from edrm.system_state import SystemState, get_state, set_state
from edrm.unit_of_work import unit_of_work


def test_sqlite_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=4321)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
    engine.dispose()


def test_a_migrated_database_is_at_the_newest_revision(runtime: Runtime) -> None:
    assert current_revision(runtime.engine) == head_revision()


def test_the_migrations_match_the_models(runtime: Runtime) -> None:
    with runtime.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_unit_of_work_commits_when_the_block_ends(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as s:
        set_state(s, "k", "v")
    with unit_of_work(runtime.sessions) as s:
        assert get_state(s, "k") == "v"


def test_the_unit_of_work_rolls_back_on_error(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), unit_of_work(runtime.sessions) as s:
        set_state(s, "k", "v")
        s.flush()
        raise RuntimeError("boom")
    with unit_of_work(runtime.sessions) as s:
        assert s.scalar(select(func.count()).select_from(SystemState)) == 0


def test_foreign_keys_are_enforced(runtime: Runtime) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), unit_of_work(runtime.sessions) as s:
        s.execute(
            text(
                "INSERT INTO fileplan_nodes (code, parent_id, kind, title, description, marking,"
                " owner_unit, closed, created_at) VALUES ('X', 999, 'activity', 'X', '',"
                " 'OFFICIAL', '', false, CURRENT_TIMESTAMP)"
            )
        )
