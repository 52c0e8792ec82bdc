"""Kill `edrm doc link` / `unlink` (SIGKILL, a real process) where it changes things, then run
it again: the record is linked (or unlinked) exactly once, with one audit entry, the search
outbox notes the change, and `edrm audit verify` passes.

The crash points are hooked in the child process itself (it wraps the link service before the
command runs), so the product carries no test-only code: as soon as the service has flushed its
row and audit entry (not committed), and just after the transaction has committed (before the
command answers)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from edrm.audit import AuditEvent
from edrm.documents.models import RecordLink
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import import_rows
from edrm.outbox import OutboxEntry
from edrm.runtime import Runtime
from tests.conftest import Cli, World
from tests.kill_points import KILL_HOOKS

pytestmark = pytest.mark.slow  # each case runs real processes to their kill point

ROOT = Path(__file__).resolve().parents[1]
PLACES = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
LEGAL,,function,Legal services,Law,OFFICIAL,,Legal,,false
LEGAL-ADV,LEGAL,activity,Legal advice,Advice given,OFFICIAL,,Legal,DESTROY-7Y,false
"""

CHILD = (
    KILL_HOOKS
    + r"""
point, command = sys.argv[1], sys.argv[2:]


service, when = point.rsplit(":", 1)
if service != "none":
    wrap(f"edrm.documents.links.{service}", then_commit=when == "after-commit")

from edrm.cli import main

main(command, prog_name="edrm")
"""
)


def run_edrm(rt: Runtime, point: str, *command: str) -> subprocess.CompletedProcess[str]:
    """`edrm <command>` in a process of its own, killed at `point` ("none": not killed)."""
    settings = rt.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env.update(
        EDRM_HOME=str(settings.home),
        EDRM_DATABASE_URL=settings.database_url,
        EDRM_CONFIG_DIR=str(settings.config_dir),
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
    if point != "none:":
        assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    return done


def _state(rt: Runtime, doc_id: int, action: str) -> tuple[int, int, int]:
    """(links of the record, audit entries of `action` for it, outbox notes for it)."""
    with rt.uow() as s:

        def count(model: Any, *where: Any) -> int:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return (
            count(RecordLink, RecordLink.document_id == doc_id),
            count(AuditEvent, AuditEvent.object_id == str(doc_id), AuditEvent.action == action),
            count(OutboxEntry, OutboxEntry.document_id == doc_id),
        )


@pytest.fixture
def places(world: World) -> World:
    with world.runtime.uow() as s:
        import_rows(s, parse_csv(PLACES))
    return world


@pytest.mark.parametrize("when", ["before-commit", "after-commit"])
def test_a_link_killed_mid_way_is_made_exactly_once(places: World, cli: Cli, when: str) -> None:
    rt, doc_id = places.runtime, places.docs["invoice"]
    _links, _audited, notes = _state(rt, doc_id, "document.link")
    command = ("doc", "link", str(doc_id), "--to", "LEGAL-ADV", "--as", "clerk", "--json")

    run_edrm(rt, f"link_document:{when}", *command)

    committed = when == "after-commit"
    assert _state(rt, doc_id, "document.link") == (
        (1, 1, notes + 1) if committed else (0, 0, notes)
    )
    again = run_edrm(rt, "none:", *command)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is not committed
    assert _state(rt, doc_id, "document.link") == (1, 1, notes + 1)
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True


@pytest.mark.sqlite_only  # the same one-transaction shape as the link, run on both
@pytest.mark.parametrize("when", ["before-commit", "after-commit"])
def test_an_unlink_killed_mid_way_is_done_exactly_once(places: World, cli: Cli, when: str) -> None:
    rt, doc_id = places.runtime, places.docs["invoice"]
    linked = cli("doc", "link", str(doc_id), "--to", "LEGAL-ADV", "--as", "clerk")
    assert linked.exit_code == 0, linked.output
    _links, _audited, notes = _state(rt, doc_id, "document.unlink")
    command = ("doc", "unlink", str(doc_id), "--from", "LEGAL-ADV", "--as", "clerk", "--json")

    run_edrm(rt, f"unlink_document:{when}", *command)

    committed = when == "after-commit"
    assert _state(rt, doc_id, "document.unlink") == (
        (0, 1, notes + 1) if committed else (1, 0, notes)
    )
    again = run_edrm(rt, "none:", *command)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is not committed
    assert _state(rt, doc_id, "document.unlink") == (0, 1, notes + 1)
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
