"""A page request's transaction on SQLite (issue 14 part 5, found under load): a GET begins by
reading, so it never queues behind a writer; a GET that read and then cannot write (another
writer committed after it read) runs once more, writing first, and answers as if nothing had
happened. Other requests begin by taking the write lock, as before.

SQLite only: PostgreSQL readers never wait for writers, and its transactions are not changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from edrm.people.models import User
from edrm.request_context import current_request_id
from edrm.web.runtime import db
from tests.conftest import World, create_app_for_tests, sign_in

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    # A writer that held the lock longer than this would fail a request that waited for it.
    return {**settings_overrides, "sqlite_busy_timeout_ms": 200}


def _database_file(settings_overrides: dict[str, Any]) -> str:
    url: str = settings_overrides["database_url"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite's locking")
    return url.removeprefix("sqlite:///")


@contextmanager
def _another_writer(path: str) -> Iterator[sqlite3.Connection]:
    """A second connection holding SQLite's write lock until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_page_that_only_reads_is_served_while_another_writer_holds_the_lock(
    world: World, app: Flask, settings_overrides: dict[str, Any]
) -> None:
    client = app.test_client()
    sign_in(client, "clerk")
    url = f"/documents/{world.docs['invoice']}"
    assert client.get(url).status_code == 200  # what a first look sets up (the schedule) is done
    with _another_writer(_database_file(settings_overrides)):
        page = client.get(url)
    assert page.status_code == 200
    assert "Invoice 1001 from Acme Ltd" in page.text


def test_a_form_post_still_waits_for_the_write_lock(
    world: World, app: Flask, settings_overrides: dict[str, Any]
) -> None:
    """A change takes the lock before it reads, so it never acts on a stale reading."""
    from edrm.db import READS_FIRST

    with app.test_request_context("/", method="POST"):
        session = db()
        options = session.connection().get_execution_options()
        assert not options.get(READS_FIRST, False)


def test_a_get_that_cannot_write_after_reading_runs_again_writing_first(
    world: World, settings_overrides: dict[str, Any]
) -> None:
    path = _database_file(settings_overrides)
    app = create_app_for_tests(settings_overrides)
    runs: list[str] = []

    def reads_then_writes() -> str:
        session = db()
        session.execute(select(User.id)).all()  # the reading: this transaction's snapshot
        if not runs:  # someone else changes the database after it was read
            with sqlite3.connect(path) as other:
                other.execute("UPDATE users SET unit = 'Elsewhere' WHERE username = 'admin'")
        runs.append("run")
        clerk = session.scalars(select(User).where(User.username == "clerk")).one()
        clerk.unit = "Accounts payable"
        session.flush()
        return "written"

    app.add_url_rule("/reads-then-writes", view_func=reads_then_writes)
    try:
        answer = app.test_client().get("/reads-then-writes")
        assert (answer.status_code, answer.text, len(runs)) == (200, "written", 2)
        assert current_request_id() is None  # the second run's id did not outlive the request
        with world.runtime.uow() as s:
            units = {name: unit for name, unit in s.execute(select(User.username, User.unit))}
        assert (units["clerk"], units["admin"]) == ("Accounts payable", "Elsewhere")
    finally:
        app.extensions["edrm"].close()


def test_a_change_begins_its_transaction_after_the_sign_in_is_settled(
    world: World, settings_overrides: dict[str, Any]
) -> None:
    """Finding who asks reads (and may note a last use): that is committed before the view runs,
    so a change holds the write lock only from its own first statement, not while its request
    body arrives and its files are stored."""
    from edrm.web.app import csrf

    app = create_app_for_tests(settings_overrides)
    seen: list[bool] = []

    def change() -> str:
        seen.append(db().in_transaction())
        return "changed"

    app.add_url_rule("/change", view_func=change, methods=["POST"])
    csrf.exempt(change)
    try:
        client = app.test_client()
        sign_in(client, "clerk")
        assert client.post("/change").text == "changed"
        assert seen == [False]
    finally:
        app.extensions["edrm"].close()
