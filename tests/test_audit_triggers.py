"""Issue 11, point 5: the database itself refuses to change the audit trail — UPDATE and DELETE
of entries, deleting the head, setting the head back — on SQLite and PostgreSQL (triggers from
migration 0008), whatever connection asks."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from edrm import audit
from edrm.runtime import Runtime


def _events(runtime: Runtime, n: int) -> None:
    with runtime.uow() as s:
        for i in range(n):
            audit.record(s, "alice", "document.create", "document", i)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2",
        "UPDATE audit_events SET hash = prev_hash",
        "DELETE FROM audit_events WHERE seq = 3",
        "DELETE FROM audit_events",
    ],
    ids=["update-one", "update-all", "delete-one", "delete-all"],
)
def test_the_database_refuses_to_change_or_delete_audit_entries(
    runtime: Runtime, statement: str
) -> None:
    _events(runtime, 3)
    with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(text(statement))
    with runtime.uow() as s:
        assert audit.verify(s).ok
        assert s.query(audit.AuditEvent).count() == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_head SET last_seq = 2, last_hash = 'x' WHERE id = 1",
        "UPDATE audit_head SET last_hash = 'x' WHERE id = 1",
        "DELETE FROM audit_head",
    ],
    ids=["set-back", "same-seq", "delete"],
)
def test_the_database_refuses_to_set_the_head_back_or_delete_it(
    runtime: Runtime, statement: str
) -> None:
    _events(runtime, 3)
    with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(text(statement))
    with runtime.uow() as s:
        assert audit.verify(s).ok


def test_appending_still_works_past_the_triggers(runtime: Runtime) -> None:
    _events(runtime, 3)
    with runtime.uow() as s:
        audit.rotate_key(s)
    _events(runtime, 2)
    with runtime.uow() as s:
        result = audit.verify(s)
    assert (result.ok, result.checked) == (True, 6)
