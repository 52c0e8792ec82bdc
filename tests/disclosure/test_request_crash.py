"""Kill the request commands where they write, then run them again: the result is as if
nothing had happened in between.

Each step is a real `edrm` command in a separate OS process (`CHILD`, on the test's data
directory and database), SIGKILLed at a crash point hooked in the child itself (the product
carries no test-only code):

- `edrm request open`: with the request numbered and its event written, not committed;
- `edrm request add`: with the bundle rows and the hold's items written, not committed; and
  just after the commit;
- `edrm scheduler run information-request-closures`: with a closed request's hold lifted,
  not committed.

Then the command runs again, normally: the request takes the first reference, each record is in
the bundle and under the hold once, the hold is lifted once, and `edrm audit verify` passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from disclosure.models import BundleItem, InformationRequest, RequestEvent
from edrm import clock
from edrm.audit import AuditEvent
from edrm.job_lock import JobLock
from edrm.runtime import Runtime
from retention.holds import held
from retention.models import LegalHold, LegalHoldItem
from tests.conftest import Cli, World
from tests.disclosure.helpers import with_officers
from tests.kill_points import KILL_HOOKS

pytestmark = pytest.mark.slow  # each case runs a real process to its kill point

ROOT = Path(__file__).resolve().parents[2]

CHILD = (
    KILL_HOOKS
    + r"""
point, command = sys.argv[1], sys.argv[2:]


import disclosure.bundles, disclosure.closure, disclosure.requests  # noqa: E401

POINTS = {
    "open-before-commit": lambda: wrap("disclosure.aggregation.flag_aggregation", everywhere=True),
    "add-before-commit": lambda: wrap("disclosure.bundles.protect", everywhere=True),
    "add-after-commit": lambda: wrap(
        "disclosure.bundles.protect", then_commit=True, everywhere=True
    ),
    "closure-before-commit": lambda: wrap("disclosure.closure.lift_expired_holds", everywhere=True),
}
if point != "none":
    POINTS[point]()

from edrm.cli import main

main(command, prog_name="edrm")
"""
)


@pytest.fixture
def office(world: World) -> World:
    return with_officers(world)


def run_edrm(rt: Runtime, point: str, *command: str) -> subprocess.CompletedProcess[str]:
    settings = rt.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env.update(
        EDRM_HOME=str(settings.home),
        EDRM_DATABASE_URL=settings.database_url,
        EDRM_SECRET_KEY="test-secret-key",
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, point, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if point != "none":
        assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    else:
        assert done.returncode == 0, (done.stdout, done.stderr)
    return done


def _received() -> str:
    return (clock.now().date() - timedelta(days=10)).isoformat()


def _open_args() -> list[str]:
    return ["request", "open", "--type", "foi", "--received", _received(),
            "--requester", "Jane Requester", "--as", "iro", "--json"]  # fmt: skip


def _audit_ok(cli: Cli) -> None:
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True


def test_a_request_killed_while_opening_leaves_nothing_and_is_opened_once(
    office: World, cli: Cli
) -> None:
    rt = office.runtime
    run_edrm(rt, "open-before-commit", *_open_args())
    with rt.uow() as s:
        assert s.scalars(select(InformationRequest)).all() == []
    opened = json.loads(run_edrm(rt, "none", *_open_args()).stdout)
    assert opened["reference"].endswith("-0001")
    with rt.uow() as s:
        actions = Counter(s.scalars(select(AuditEvent.action)))
    assert actions["request.open"] == 1
    _audit_ok(cli)


@pytest.mark.parametrize("point", ["add-before-commit", "add-after-commit"])
def test_records_added_when_killed_are_in_the_bundle_and_held_exactly_once(
    office: World, cli: Cli, point: str
) -> None:
    rt = office.runtime
    request_id = json.loads(run_edrm(rt, "none", *_open_args()).stdout)["id"]
    docs = [office.docs["invoice"], office.docs["old"]]
    add = ["request", "add", str(request_id), "--as", "iro"]
    for doc in docs:
        add += ["--doc", str(doc)]
    run_edrm(rt, point, *add)
    with rt.uow() as s:
        in_bundle = set(s.scalars(select(BundleItem.document_id)))
        assert in_bundle == (set(docs) if point == "add-after-commit" else set())
        assert held(s, docs) == in_bundle, "a record in the bundle is always under the hold"
    run_edrm(rt, "none", *add)
    with rt.uow() as s:
        assert sorted(s.scalars(select(BundleItem.document_id))) == sorted(docs)
        assert held(s, docs) == set(docs)
        (hold,) = s.scalars(select(LegalHold))
        items = list(s.scalars(select(LegalHoldItem.document_id)))
        assert sorted(items) == sorted(docs) and hold.scope == "request"
        kinds = Counter(s.scalars(select(RequestEvent.kind)))
        assert kinds["add"] == 1
        assert Counter(s.scalars(select(AuditEvent.action)))["hold.place"] == 1
    _audit_ok(cli)


def test_a_hold_lift_killed_before_commit_is_done_once_on_the_next_run(
    office: World, cli: Cli
) -> None:
    rt = office.runtime
    request_id = json.loads(run_edrm(rt, "none", *_open_args()).stdout)["id"]
    doc = str(office.docs["invoice"])
    run_edrm(rt, "none", "request", "add", str(request_id), "--doc", doc, "--as", "iro")
    run_edrm(rt, "none", "request", "close", str(request_id), "--outcome", "granted", "--as", "iro")
    with rt.uow() as s:  # closed four months ago
        s.get_one(InformationRequest, request_id).closed_at = clock.now() - timedelta(days=124)
    job = ["scheduler", "run", "information-request-closures"]
    run_edrm(rt, "closure-before-commit", *job)
    with rt.uow() as s:
        assert held(s, [int(doc)]) == {int(doc)}
        # The killed run's lease on the job would lapse by itself: let it lapse now.
        lock = s.get_one(JobLock, "information-request-closures")
        lock.locked_until = clock.now() - timedelta(seconds=1)
    first = run_edrm(rt, "none", *job)
    assert "1 request hold(s) lifted; 1 requester(s) erased" in first.stdout + first.stderr
    again = run_edrm(rt, "none", *job)
    assert "0 request hold(s) lifted; 0 requester(s) erased" in again.stdout + again.stderr
    with rt.uow() as s:
        assert held(s, [int(doc)]) == set()
        actions = Counter(s.scalars(select(AuditEvent.action)))
        assert actions["hold.lift"] == 1 and actions["request.hold.lifted"] == 1
        assert actions["request.requester.erased"] == 1
    _audit_ok(cli)
