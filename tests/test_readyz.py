"""GET /readyz (issue 14 part 4): 200 when the database, the search engine, the index lag, an
ingest worker and the scheduler are all well; 503 with a JSON body naming each check that is
not, in words to act on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from edrm import clock, leadership
from edrm.ingest import heartbeats
from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from edrm.wiring.scheduler import run_job
from tests.conftest import World


@pytest.fixture
def scheduled(world: World) -> World:
    """A scheduler has just run a job (the record /readyz looks for)."""
    assert run_job(world.runtime, "audit-checkpoint")
    return world


@pytest.fixture
def later() -> Iterator[None]:
    """The clock an hour ahead (restored afterwards)."""
    ahead = clock.now() + timedelta(hours=1)
    clock.set_clock(lambda: ahead)
    yield
    clock.set_clock(None)


def _beat(runtime: Runtime, identity: str) -> None:
    with runtime.uow() as s:
        heartbeats.beat(s, identity)


def test_ready_when_a_worker_beats_and_the_scheduler_has_run(
    scheduled: World, client: FlaskClient
) -> None:
    with Worker(scheduled.runtime, ocr_processes=1):  # it beats as it starts
        answer = client.get("/readyz")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "status": "ok",
        "database": "ok",
        "search": "ok",
        "outbox": "ok",
        "workers": "ok",
        "scheduler": "ok",
    }


def test_not_ready_without_a_live_worker_and_the_body_says_so(
    scheduled: World, client: FlaskClient
) -> None:
    with Worker(scheduled.runtime, ocr_processes=1):
        pass  # stopped: its heartbeat note is gone
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "not ready"
    assert body["workers"].startswith("no ingest worker heard from in the last 120 s")
    assert body["database"] == body["search"] == body["scheduler"] == "ok"


def test_a_worker_not_heard_from_for_too_long_is_not_alive(
    scheduled: World, client: FlaskClient
) -> None:
    _beat(scheduled.runtime, "host:1:dead")
    assert client.get("/readyz").status_code == 200
    then = clock.now() + timedelta(seconds=121)
    clock.set_clock(lambda: then)
    try:
        assert "no ingest worker" in client.get("/readyz").get_json()["workers"]
    finally:
        clock.set_clock(None)


def test_an_index_far_behind_and_a_silent_scheduler_are_named(
    world: World, client: FlaskClient, later: None
) -> None:
    """The world's documents wait in the outbox (no indexer runs here), an hour old now."""
    _beat(world.runtime, "host:2:alive")
    body = client.get("/readyz").get_json()
    # An hour, plus however long the world took to build before the clock moved.
    assert re.match(r"the search index is 36\d\d s behind \(over 300 s\)", body["outbox"])
    assert body["scheduler"] == (
        "no scheduler holds the lease and no scheduled job has ever started"
    )
    assert body["workers"] == "ok"


def test_a_scheduler_holding_the_lease_is_ready_before_its_first_job(
    world: World, client: FlaskClient
) -> None:
    """A leader renews its lease every few seconds: that is seen at once, without waiting for
    the first job to start."""
    _beat(world.runtime, "host:3:alive")
    with world.runtime.uow() as s:
        assert leadership.take(s, leadership.Candidate(), timedelta(seconds=30))
    assert client.get("/readyz").get_json()["scheduler"] == "ok"
