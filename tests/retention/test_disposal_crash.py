"""Kill disposal where it changes things, then run it again: the result is as if nothing had
happened in between.

Each step runs as a real `edrm` command in a separate OS process (`CHILD` below, on the test's
data directory, database and config folder) and is SIGKILLed at a crash point. The crash
points are hooked in the child process itself (it wraps one step of the product before running
the command), so the product carries no test-only code:

- destruction (`edrm disposal execute`, chunks of two records): after the first chunk's
  database part has committed, before its blobs and index entries go; after the blob and index
  parts, before the chunk's outcome is recorded; inside the certificate's transaction;
- the sweep (`edrm retention sweep`): with everything queued but not committed; just after the
  commit; between its set-based writes (record_retention rewritten in place, or the queue
  filled, not committed);
- transfer export (`edrm transfer export`): with the bag written, validated and in place but
  not recorded; with the Transfer written but not committed.

Then the same command runs again, normally, in a new process: every record is destroyed (or
queued, or exported) exactly once, nothing of a destroyed record is left in the blob store or
the search index, one certificate covers the batch, and `edrm audit verify` passes.
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
from typing import Any

import bagit
import pytest
from sqlalchemy import delete, func, select

from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.runtime import Runtime
from retention.models import (
    DisposalBatch,
    DisposalItem,
    RecordRetention,
    ResidualStub,
    Transfer,
    TransferItem,
)
from retention.recompute import recompute
from retention.schedule import fy_start_month
from retention.transfer import transfers_dir
from tests.conftest import Cli, World, file_text
from tests.kill_points import KILL_HOOKS
from tests.retention.disposal_helpers import (
    approve,
    config_dir_with,
    index_everything,
    indexed_ids,
    queue,
    store_preview,
    with_records_management,
)

pytestmark = pytest.mark.slow  # each case runs a real process to its kill point

ROOT = Path(__file__).resolve().parents[2]

# The child: argv is the crash point, then the `edrm` command line to run.
CHILD = (
    KILL_HOOKS
    + r"""
point, command = sys.argv[1], sys.argv[2:]


def on_sql(prefix):
    # Kill the process as soon as the database has run the first statement that starts with
    # `prefix` (uncommitted: the kill falls between two of the sweep's set-based writes).
    from sqlalchemy.engine import Engine

    def after(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(prefix):
            die()

    event.listen(Engine, "after_cursor_execute", after)


POINTS = {
    "after-database-part": lambda: wrap("retention.execution.db_part"),
    "before-outcome": lambda: wrap("retention.execution.record_outcome", before=True),
    "inside-certificate": lambda: wrap("retention.batch_completion.issue_certificate"),
    "sweep-before-commit": lambda: wrap("retention.sweep._audit_run"),
    "sweep-after-commit": lambda: wrap("retention.sweep._audit_run", then_commit=True),
    "sweep-after-retention-update": lambda: on_sql("UPDATE RECORD_RETENTION"),
    "sweep-after-queue-insert": lambda: on_sql("INSERT INTO DISPOSAL_QUEUE"),
    "bag-in-place": lambda: wrap("retention.transfer._record_transfer", before=True),
    "transfer-before-commit": lambda: wrap("retention.transfer._record_transfer"),
}
if point != "none":
    POINTS[point]()

from edrm.cli import main

main(command, prog_name="edrm")
"""
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Destruction in chunks of two records, so that a crash can fall between two chunks."""
    config = config_dir_with(tmp_path, "chunk_size = 2\nbatch_size = 1000\n")
    return {**settings_overrides, "config_dir": str(config)}


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


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
    if point != "none":
        assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    return done


def _count(rt: Runtime, model: Any, *where: Any) -> int:
    with rt.uow() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _events(rt: Runtime, action: str) -> Counter[str]:
    """How many entries of this action each object has in the audit trail."""
    with rt.uow() as s:
        return Counter(s.scalars(select(AuditEvent.object_id).where(AuditEvent.action == action)))


def assert_audit_verifies(cli: Cli) -> None:
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["ok"] is True


# --- destruction ----------------------------------------------------------------------------


def _approved_invoices(rm: World) -> tuple[list[int], list[int], dict[int, list[str]]]:
    """Three approved invoices with previews, indexed: (documents, items, blobs by document)."""
    rt = rm.runtime
    with rt.uow() as s:
        docs = [file_text(s, rt, "FIN-AP-INV", f"Invoice {n} from Quimby Ltd") for n in (1, 2, 3)]
    blobs: dict[int, list[str]] = {}
    for doc in docs:
        preview = store_preview(rt, doc, f"preview of {doc}".encode())
        with rt.uow() as s:
            versions = [v.sha256 for v in s.get_one(Document, doc).versions]
        blobs[doc] = [*versions, preview]
    items = [queue(rt, d) for d in docs]
    approve(rt, items, rm.people["recman"])
    index_everything(rt)
    assert set(docs) <= indexed_ids(rt)
    return docs, items, blobs


def _assert_killed_where_said(point: str, rt: Runtime, docs: list[int], blobs: Any) -> None:
    with rt.uow() as s:
        destroyed = set(s.scalars(select(Document.id).where(Document.status == "destroyed")))
        batch = s.scalar(select(DisposalBatch))
        assert batch is not None and batch.status == "executing"
    left = {d for d in docs if any(rt.blobs.exists(sha) for sha in blobs[d])}
    if point == "after-database-part":  # the first chunk is destroyed in the database only
        assert destroyed == set(docs[:2]) and left == set(docs)
        assert set(docs) <= indexed_ids(rt)
    elif point == "before-outcome":
        # The first chunk's blobs and index entries went, unrecorded; the second chunk had
        # started meanwhile (its database and index parts run while the first one's blobs go).
        assert destroyed == set(docs) and not left & set(docs[:2])
        assert not set(docs) & indexed_ids(rt)
        assert _count(rt, DisposalItem, DisposalItem.status == "done") == 0
    else:  # every item done; the certificate's transaction died
        assert destroyed == set(docs) and left == set()
        assert _count(rt, DisposalItem, DisposalItem.status == "done") == 3


@pytest.mark.parametrize("point", ["after-database-part", "before-outcome", "inside-certificate"])
def test_destruction_killed_mid_run_finishes_once_on_the_next_run(
    rm: World, cli: Cli, point: str
) -> None:
    rt = rm.runtime
    docs, items, blobs = _approved_invoices(rm)

    run_edrm(rt, point, "disposal", "execute", "--as", "recman")
    _assert_killed_where_said(point, rt, docs, blobs)

    rerun = run_edrm(rt, "none", "disposal", "execute", "--json", "--as", "recman")

    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["failed"] == [] and len(report["certificates"]) == 1
    with rt.uow() as s:
        assert set(s.scalars(select(Document.status).where(Document.id.in_(docs)))) == {"destroyed"}
        assert sorted(s.scalars(select(ResidualStub.document_id))) == docs
        statuses = s.scalars(select(DisposalItem.status).where(DisposalItem.id.in_(items)))
        assert list(statuses) == ["done"] * 3
        (batch,) = s.scalars(select(DisposalBatch))
        assert batch.status == "complete"
        assert batch.certificate_document_id == report["certificates"][0]
    with rt.uow() as s:
        filed_for_batch = [d for d in s.scalars(select(Document)) if d.extra.get("disposal_batch")]
        assert len(filed_for_batch) == 2  # one certificate and its CSV schedule
    assert _events(rt, "disposal.destroy") == Counter({str(d): 1 for d in docs})
    assert _events(rt, "disposal.certificate") == Counter({str(batch.id): 1})
    assert not any(rt.blobs.exists(sha) for doc in docs for sha in blobs[doc])
    assert not set(docs) & indexed_ids(rt)
    assert_audit_verifies(cli)


# --- the sweep -------------------------------------------------------------------------------


def _aged(world: World, years: int) -> None:
    with world.runtime.uow() as s:
        for doc in s.scalars(select(Document)):
            doc.created_at = doc.created_at - timedelta(days=365 * years + 5)


@pytest.mark.parametrize("point", ["sweep-before-commit", "sweep-after-commit"])
def test_a_sweep_killed_mid_run_queues_each_due_record_once(
    world: World, cli: Cli, point: str
) -> None:
    rt = world.runtime
    _aged(world, 10)  # the three invoices (DESTROY-7Y from creation) are due
    invoices = sorted(world.docs[k] for k in ("invoice", "sensitive", "old"))

    run_edrm(rt, point, "retention", "sweep", "--as", "recman")
    committed = point == "sweep-after-commit"
    queued = _count(rt, DisposalItem)
    assert queued == (3 if committed else 0)
    assert sum(_events(rt, "retention.sweep").values()) == (1 if committed else 0)

    rerun = run_edrm(rt, "none", "retention", "sweep", "--json", "--as", "recman")

    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["queued"] == 3 - queued
    with rt.uow() as s:
        queued_docs = sorted(s.scalars(select(DisposalItem.document_id)))
        assert queued_docs == invoices, "each due record queued once"
        assert set(s.scalars(select(DisposalItem.status))) == {"pending"}
    assert sum(_events(rt, "retention.sweep").values()) == (2 if committed else 1)
    assert_audit_verifies(cli)


def _stored_retention(rt: Runtime) -> dict[int, tuple[Any, ...]]:
    with rt.uow() as s:
        return {
            r.document_id: (r.rule_code, r.action, r.state, r.trigger_on, r.due_on, r.review_on)
            for r in s.scalars(select(RecordRetention))
        }


@pytest.mark.parametrize("point", ["sweep-after-retention-update", "sweep-after-queue-insert"])
def test_a_sweep_killed_between_its_set_based_writes_leaves_nothing_and_reruns_the_same(
    world: World, cli: Cli, point: str
) -> None:
    """Killed with record_retention rewritten in place (or the queue filled) but not
    committed: nothing of the run is left, and a new run computes and queues exactly what an
    uninterrupted run does."""
    rt = world.runtime
    first = run_edrm(rt, "none", "retention", "sweep", "--json", "--as", "recman")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["queued"] == 0
    computed = _stored_retention(rt)
    _aged(world, 10)  # their trigger dates move: the next sweep rewrites their rows in place
    invoices = sorted(world.docs[k] for k in ("invoice", "sensitive", "old"))

    run_edrm(rt, point, "retention", "sweep", "--as", "recman")
    assert _stored_retention(rt) == computed, "the killed run's rewrite was rolled back"
    assert _count(rt, DisposalItem) == 0
    assert sum(_events(rt, "retention.sweep").values()) == 1

    rerun = run_edrm(rt, "none", "retention", "sweep", "--json", "--as", "recman")
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["queued"] == 3
    after = _stored_retention(rt)
    assert after != computed and after.keys() == computed.keys()
    with rt.uow() as s:
        assert sorted(s.scalars(select(DisposalItem.document_id))) == invoices
        # What computing them from nothing gives (queued records are left as they are, so
        # their items go too; all of it rolled back).
        s.execute(delete(DisposalItem))
        s.execute(delete(RecordRetention))
        recompute(s, fy_start_month=fy_start_month(s))
        s.flush()
        fresh = {
            r.document_id: (r.rule_code, r.action, r.state, r.trigger_on, r.due_on, r.review_on)
            for r in s.scalars(select(RecordRetention))
        }
        s.rollback()
    assert after == fresh, "the rerun's rows are what computing them from nothing gives"
    again = run_edrm(rt, "none", "retention", "sweep", "--json", "--as", "recman")
    assert json.loads(again.stdout)["queued"] == 0, "no record is queued twice"
    assert _count(rt, DisposalItem) == 3
    assert_audit_verifies(cli)


# --- transfer export -------------------------------------------------------------------------


@pytest.mark.parametrize("point", ["bag-in-place", "transfer-before-commit"])
def test_a_transfer_export_killed_mid_run_exports_each_record_once_and_leaves_no_stray_copy(
    rm: World, cli: Cli, point: str
) -> None:
    rt = rm.runtime
    docs = [rm.docs["invoice"], rm.docs["discipline"]]
    items = [queue(rt, d, action="transfer") for d in docs]
    approve(rt, items, rm.people["recman"])

    run_edrm(rt, point, "transfer", "export", "--as", "recman")
    (stray,) = transfers_dir(rt).iterdir()  # a whole, valid bag that nothing refers to
    bagit.Bag(str(stray)).validate()
    assert _count(rt, Transfer) == 0
    assert _count(rt, DisposalItem, DisposalItem.status == "approved") == 2

    rerun = run_edrm(rt, "none", "transfer", "export", "--json", "--as", "recman")

    assert rerun.returncode == 0, rerun.stderr
    exported = json.loads(rerun.stdout)
    with rt.uow() as s:
        (transfer,) = s.scalars(select(Transfer))
        assert transfer.bag_id == exported["bag_id"] != stray.name
        assert sorted(s.scalars(select(TransferItem.item_id))) == items
        statuses = s.scalars(select(DisposalItem.status).where(DisposalItem.id.in_(items)))
        assert set(statuses) == {"transferred"}
    assert _events(rt, "transfer.export") == Counter(
        {**{str(d): 1 for d in docs}, transfer.bag_id: 1}
    )
    assert [p.name for p in transfers_dir(rt).iterdir()] == [transfer.bag_id]
    bagit.Bag(transfer.path).validate()
    assert_audit_verifies(cli)
