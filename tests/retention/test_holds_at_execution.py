"""Legal holds stop destruction on every path, at every moment: a hold on a folder or on what a
search finds, placed after the records were approved for destruction, keeps each record whole
(its versions' blobs, its preview, its search-index entry) whether disposal is carried out from
the page, the command line, the scheduled job or the confirmation of a transfer; and a hold
placed while a run is under way stops the rest of that run.

Every test here runs with chunks of one record (config/disposal.toml in a config folder of the
test's own), so that each record is destroyed in a transaction of its own and a hold placed
between two of them must be seen by the next.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import audit
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.runtime import Runtime
from edrm.wiring.scheduler import run_job
from retention.holds import place_hold
from retention.models import DisposalBatch, DisposalItem, ResidualStub
from retention.transfer import export_transfer, get_transfer
from retention.transfer_confirmation import confirm_transfer
from tests.conftest import Cli, World, file_text, sign_in
from tests.retention.disposal_helpers import (
    approve,
    config_dir_with,
    confirm_execution,
    index_everything,
    indexed_ids,
    queue,
    store_preview,
    with_records_management,
)

REASON = "Litigation: Acme v Department"
PATHS = [pytest.param("page", marks=pytest.mark.sqlite_only), "cli", "job", "transfer"]


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The test's settings, with a config folder whose disposal runs chunks of one record."""
    config = config_dir_with(tmp_path, "chunk_size = 1\nbatch_size = 1000\n")
    return {**settings_overrides, "config_dir": str(config)}


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def _place(world: World, kind: str) -> int:
    """A hold covering the invoices filed in FIN-AP-INV-2024 (and nothing else in the world):
    on that folder, or on what a search for "Acme" finds now."""
    target: dict[str, Any] = (
        {"folder_code": "FIN-AP-INV-2024"} if kind == "folder" else {"query": "Acme"}
    )
    with world.runtime.uow() as s:
        return place_hold(
            s,
            reason=REASON,
            authority="Civil Procedure Rules, Part 31",
            actor=world.people["recman"],
            search=world.runtime,
            **target,
        ).id


def _blobs(rt: Runtime, document_id: int) -> list[str]:
    with rt.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None
        shas = [v.sha256 for v in document.versions]
        return [*shas, document.extra["preview_sha256"]]


def _assert_whole(rt: Runtime, document_id: int, blobs: list[str]) -> None:
    """The record is as it was: filed, no stub, every blob, its preview, its index entry."""
    with rt.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None and document.status == "filed"
        assert document.extra["preview_sha256"] == blobs[-1]
        assert document.extra["pii"] == {"emails": 1}
        assert s.get(ResidualStub, document_id) is None
    assert all(rt.blobs.exists(sha) for sha in blobs), "a held record's blob was deleted"
    assert document_id in indexed_ids(rt), "a held record left the search index"


def _assert_gone(rt: Runtime, document_id: int, blobs: list[str]) -> None:
    with rt.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None and document.status == "destroyed"
        assert s.get(ResidualStub, document_id) is not None
    assert not any(rt.blobs.exists(sha) for sha in blobs)
    assert document_id not in indexed_ids(rt)


def _refusals(rt: Runtime, document_id: int) -> list[dict[str, Any]]:
    """The refusals' details, without the request id a page request adds to every entry."""
    with rt.uow() as s:
        return [
            {k: v for k, v in e.details_dict.items() if k != "request_id"}
            for e in audit.history(s, "document", document_id)
            if e.action == "hold.refused"
        ]


def _carry_out(path: str, world: World, request: pytest.FixtureRequest, bag: str) -> None:
    """Carry out the approved disposal the way `path` does it."""
    rt = world.runtime
    if path == "page":
        client: FlaskClient = request.getfixturevalue("client")
        sign_in(client, "recman")
        check = client.get("/records-management/execute/check").text
        held = check[check.index('id="held-list"') :]
        assert "held by hold " in held and REASON in held  # which hold, and why
        done = confirm_execution(client)
        assert done.status_code == 302
        page = client.get(done.headers["Location"]).text
        assert "1 item not carried out: under a legal hold now." in page
    elif path == "cli":
        cli: Cli = request.getfixturevalue("cli")
        cli.env["EDRM_CONFIG_DIR"] = str(rt.settings.config_dir)
        executed = cli("disposal", "execute", "--json", "--as", "recman")
        assert executed.exit_code == 0, executed.output
        body = json.loads(executed.stdout)
        assert len(body["held"]) == 1 and len(body["finished"]) == 1
    elif path == "job":
        message = run_job(rt, "disposal-execute-approved")
        assert message.startswith("finished 1 item(s), 0 failed, 1 batch(es), 1 certificate(s)")
    else:
        assert len(confirm_transfer(rt, bag, actor=world.people["recman"])) == 1


@pytest.mark.parametrize("hold", ["folder", "query"])
@pytest.mark.parametrize("path", PATHS)
def test_a_hold_placed_after_approval_keeps_the_record_whole_whichever_path_carries_out_disposal(
    rm: World, request: pytest.FixtureRequest, path: str, hold: str
) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    held, free = rm.docs["invoice"], rm.docs["sensitive"]  # FIN-AP-INV-2024; FIN-AP-INV
    action = "transfer" if path == "transfer" else "destroy"
    items = {doc: queue(rt, doc, action=action) for doc in (held, free)}
    blobs = {doc: (store_preview(rt, doc, f"preview {doc}".encode()), _blobs(rt, doc))[1]
             for doc in (held, free)}  # fmt: skip
    approve(rt, items.values(), recman)
    index_everything(rt)
    bag = export_transfer(rt, actor=recman).bag_id if path == "transfer" else ""
    hold_id = _place(rm, hold)

    _carry_out(path, rm, request, bag)

    _assert_whole(rt, held, blobs[held])
    _assert_gone(rt, free, blobs[free])  # the run did destroy what no hold covers
    with rt.uow() as s:
        item = s.get(DisposalItem, items[held])
        assert item is not None
        assert item.status == ("transferred" if path == "transfer" else "approved")
        assert item.batch_id is None
        assert item.last_error == (
            f"document {held} is under legal hold {hold_id} ({REASON}): it cannot be destroyed"
        )
        if path == "transfer":
            assert get_transfer(s, bag).status == "confirmed"  # not complete: one left
        assert audit.verify(s).ok
    refusals = _refusals(rt, held)
    assert {"change": "destroy", "holds": [hold_id], "item": items[held]} in refusals


@pytest.mark.parametrize("hold", ["folder", "query"])
def test_a_hold_placed_during_a_run_stops_the_rest_of_it(
    rm: World, monkeypatch: pytest.MonkeyPatch, hold: str
) -> None:
    """Three approved invoices in one batch, destroyed one per chunk; after the first chunk's
    index part, a hold covering all three arrives (as if placed by someone else meanwhile)."""
    import retention.execution as execution
    from retention.execution import execute_approved

    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        docs = [
            file_text(s, rt, "FIN-AP-INV-2024", f"Invoice {n} from Acme Ltd") for n in (7, 8, 9)
        ]
    blobs = {d: (store_preview(rt, d, f"preview {d}".encode()), _blobs(rt, d))[1] for d in docs}
    items = [queue(rt, d) for d in docs]
    approve(rt, items, recman)
    index_everything(rt)
    real = execution.delete_from_index
    placed: list[int] = []

    def index_part_then_a_hold_arrives(*args: Any, **kwargs: Any) -> dict[int, str]:
        failures = real(*args, **kwargs)
        if not placed:
            placed.append(_place(rm, hold))
        return failures

    monkeypatch.setattr(execution, "delete_from_index", index_part_then_a_hold_arrives)

    result = execute_approved(rt, actor=recman)

    first, rest = docs[0], docs[1:]
    assert result.finished == [items[0]]
    assert result.held == items[1:] and result.failed == []
    _assert_gone(rt, first, blobs[first])
    for doc in rest:
        _assert_whole(rt, doc, blobs[doc])
        assert {"change": "destroy", "holds": placed, "item": items[docs.index(doc)]} in (
            _refusals(rt, doc)
        )
    with rt.uow() as s:
        rows = {i.id: i for i in s.scalars(select(DisposalItem).where(DisposalItem.id.in_(items)))}
        assert [rows[i].status for i in items] == ["done", "approved", "approved"]
        assert [rows[i].batch_id for i in items[1:]] == [None, None]
        (batch,) = s.scalars(select(DisposalBatch))
        assert batch.status == "complete"
        assert result.certificates == [batch.certificate_document_id]
        certificate = s.get_one(Document, result.certificates[0])
        listing = s.get_one(Document, certificate.extra["schedule_document_id"])
        schedule = rt.blobs.read_bytes(listing.latest.sha256).decode()
        assert [int(r["document_id"]) for r in csv.DictReader(io.StringIO(schedule))] == [first]
        assert audit.verify(s).ok


def test_a_hold_placed_while_a_chunk_is_being_destroyed_waits_for_it_to_commit(
    rm: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database part of destruction reads the holds inside its transaction and allows no
    new hold until it commits (on SQLite the transaction's write lock does it, on PostgreSQL a
    lock on the holds table): a hold placed at that moment is placed after the destruction,
    never between the check and the commit."""
    import threading

    import retention.destruction_db as destruction_db
    from retention.execution import execute_approved

    rt, recman = rm.runtime, rm.people["recman"]
    invoice = rm.docs["invoice"]
    item = queue(rt, invoice)
    approve(rt, [item], recman)
    real = destruction_db.refuse_guarded
    placer = threading.Thread(target=lambda: _place(rm, "folder"))

    def a_hold_is_placed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        refused = real(*args, **kwargs)  # the holds have been read: none covers the invoice
        placer.start()
        placer.join(timeout=1.5)
        assert placer.is_alive(), "a hold was placed between the check and the destruction"
        return refused

    monkeypatch.setattr(destruction_db, "refuse_guarded", a_hold_is_placed_meanwhile)

    result = execute_approved(rt, actor=recman)

    placer.join(timeout=30)
    assert not placer.is_alive()
    assert result.finished == [item]
    with rt.uow() as s:
        trail = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert trail.index("disposal.destroy") < trail.index("hold.place")
