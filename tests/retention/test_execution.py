"""Carrying out approved destruction: stubs, every part gone, batches, certificates, retries."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import audit, clock
from edrm.access import SYSTEM
from edrm.documents.models import Document, DocumentText
from edrm.documents.service import add_version
from edrm.errors import RefusedError
from edrm.runtime import Runtime
from edrm.search_indexer import apply_outbox
from retention.certificates import list_certificates
from retention.execution import destroy_items, execute_approved
from retention.models import (
    DisposalBatch,
    DisposalItem,
    LegalHold,
    LegalHoldItem,
    ResidualStub,
    Transfer,
    TransferItem,
)
from tests.conftest import World, file_text, sign_in
from tests.retention.disposal_helpers import (
    FailingDeletes,
    approve,
    hits,
    queue,
    store_preview,
    with_records_management,
)


@pytest.fixture
def rm(world: World) -> World:
    """The small world with a certificates class, a rule with its authority, two records
    managers."""
    return with_records_management(world)


def test_approved_destruction_removes_every_version_previews_and_text_and_leaves_a_stub(
    rm: World, client: FlaskClient, cli: Any
) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 4471 from Zorblax Ltd")
        add_version(s, rt.blobs, doc_id, io.BytesIO(b"second draft quuxnimbus"), "v2.txt")
        s.add(
            DocumentText(
                document_id=doc_id,
                text="Payment terms agreed with quuxnimbus trading",
                pages=[],
                extracted_at=clock.now(),
            )
        )
        shas = [v.sha256 for v in s.get(Document, doc_id).versions]  # type: ignore[union-attr]
    preview = store_preview(rt, doc_id, b"\x89PNG preview of the first page")
    apply_outbox(rt.sessions, rt.search)
    assert hits(rt, "quuxnimbus") == 1
    item = queue(rt, doc_id)
    approve(rt, [item], recman)

    result = execute_approved(rt, actor=recman)

    assert result.finished == [item] and not result.failed
    assert len(shas) == 2 and not any(rt.blobs.exists(sha) for sha in [*shas, preview])
    with rt.uow() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.status == "destroyed"
        assert "preview_sha256" not in doc.extra and "pii" not in doc.extra
        assert s.get(DocumentText, doc_id) is None
        stub = s.get(ResidualStub, doc_id)
        assert stub is not None
        assert (stub.identifier, stub.title, stub.class_code) == (
            doc.identifier,
            "Invoice 4471 from Zorblax Ltd",
            "FIN-AP-INV",
        )
        assert stub.authority == "Companies Act 2006 s.388"
        assert stub.rule_code == "DESTROY-7Y"
        assert stub.destroyed_by == "recman" and stub.destroyed_at is not None
        assert [a["by"] for a in stub.approvers] == ["recman"]
        assert stub.approvers[0]["reason"] == "past its retention period"
    assert hits(rt, "quuxnimbus") == 0
    apply_outbox(rt.sessions, rt.search)  # the indexer catching up must not bring it back
    assert hits(rt, "quuxnimbus") == 0 and hits(rt, "Zorblax") == 0

    sign_in(client, "recman")
    page = client.get(f"/documents/{doc_id}/download")
    assert page.status_code == 410
    assert "Invoice 4471 from Zorblax Ltd" in page.text and "Companies Act 2006 s.388" in page.text
    assert client.get(f"/documents/{doc_id}/versions/1/download").status_code == 410
    assert client.get(f"/documents/{doc_id}/preview.png").status_code == 410
    record_page = client.get(f"/documents/{doc_id}")
    assert record_page.status_code == 200 and "Destroyed" in record_page.text
    api = client.get(f"/api/v1/documents/{doc_id}/content")
    assert api.status_code == 410
    assert api.json["stub"]["identifier"] == stub.identifier
    assert api.json["stub"]["approvers"][0]["by"] == "recman"

    got = cli("doc", "get", str(doc_id), "-o", "/dev/null")
    assert got.exit_code == 1
    assert got.output.strip().startswith("edrm: error: document")
    assert "destroyed" in got.output and len(got.output.strip().splitlines()) == 1


def test_a_blob_shared_with_a_live_record_is_kept(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        body = "The same bytes filed twice\n"
        gone = file_text(s, rt, "FIN-AP-INV", "Copy A", body=body)
        kept = file_text(s, rt, "FIN-AP-INV", "Copy B", body=body)
        sha = s.get(Document, kept).latest.sha256  # type: ignore[union-attr]
    item = queue(rt, gone)
    approve(rt, [item], recman)

    execute_approved(rt, actor=recman)

    assert rt.blobs.exists(sha)
    with rt.uow() as s:
        assert s.get(Document, gone).status == "destroyed"  # type: ignore[union-attr]
        assert s.get(Document, kept).status == "filed"  # type: ignore[union-attr]


def test_a_batch_with_a_failed_index_delete_is_incomplete_without_certificate_and_a_retry_completes_it(  # noqa: E501
    rm: World,
) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        docs = [file_text(s, rt, "FIN-AP-INV", f"Invoice {n} from Wobbleton") for n in (1, 2, 3)]
    apply_outbox(rt.sessions, rt.search)
    items = [queue(rt, d) for d in docs]
    approve(rt, items, recman)
    flaky = FailingDeletes(rt.search, failing={docs[1]})
    rt._search = flaky  # type: ignore[assignment]

    first = execute_approved(rt, actor=recman)

    assert sorted(first.finished) == [items[0], items[2]]
    assert [i for i, _ in first.failed] == [items[1]] and "index" in first.failed[0][1]
    assert first.certificates == [] and len(first.batches) == 1
    with rt.uow() as s:
        batch = s.get(DisposalBatch, first.batches[0])
        assert batch is not None and batch.status == "executing"
        assert batch.certificate_document_id is None
        stuck = s.get(DisposalItem, items[1])
        assert stuck is not None and stuck.status == "executing" and stuck.last_error
        assert stuck.progress["db"] and stuck.progress["blobs"] and not stuck.progress.get("index")
        assert list_certificates(s) == []

    flaky.failing.clear()
    retry = execute_approved(rt, actor=recman)

    assert retry.finished == [items[1]] and not retry.failed
    assert len(retry.certificates) == 1
    with rt.uow() as s:
        batch = s.get(DisposalBatch, first.batches[0])
        assert batch is not None and batch.status == "complete"
        certificate = s.get(Document, retry.certificates[0])
        assert certificate is not None and batch.certificate_document_id == certificate.id
        assert certificate.is_record and certificate.class_code == "INFO-IM-DSP"
        assert certificate.latest.mime == "application/pdf"
        assert rt.blobs.read_bytes(certificate.latest.sha256).startswith(b"%PDF")
        schedule = s.get(Document, certificate.extra["schedule_document_id"])
        assert schedule is not None and schedule.is_record
        rows = list(
            csv.DictReader(io.StringIO(rt.blobs.read_bytes(schedule.latest.sha256).decode()))
        )
        assert sorted(int(r["document_id"]) for r in rows) == sorted(docs)
        assert {r["authority"] for r in rows} == {"Companies Act 2006 s.388"}
        assert [c["batch_id"] for c in list_certificates(s)] == [batch.id]
        assert all(s.get(DisposalItem, i).status == "done" for i in items)  # type: ignore[union-attr]
    assert hits(rt, "Wobbleton") == 0


def test_a_failed_blob_deletion_leaves_the_item_executing_and_a_retry_resumes_it(
    rm: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import retention.execution as execution

    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 9 from Gamma")
        sha = s.get(Document, doc_id).latest.sha256  # type: ignore[union-attr]
    item = queue(rt, doc_id)
    approve(rt, [item], recman)
    real = execution.delete_blobs

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise PermissionError("blob store is read-only")

    monkeypatch.setattr(execution, "delete_blobs", broken)
    first = execute_approved(rt, actor=recman)
    assert first.finished == [] and "blob store" in first.failed[0][1]
    assert rt.blobs.exists(sha) and first.certificates == []

    monkeypatch.setattr(execution, "delete_blobs", real)
    retry = execute_approved(rt, actor=recman)
    assert retry.finished == [item] and len(retry.certificates) == 1
    assert not rt.blobs.exists(sha)
    with rt.uow() as s:  # the stub was written once, by the first run
        assert len(s.scalars(select(ResidualStub)).all()) == 1


def test_a_record_put_under_hold_after_approval_is_skipped_and_left_approved(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 12 from Delta")
    item = queue(rt, doc_id)
    approve(rt, [item], recman)
    with rt.uow() as s:
        hold = LegalHold(
            reason="FOI 2025/117",
            authority="FOI Act 2000",
            scope="doc",
            target=str(doc_id),
            placed_at=clock.now(),
            placed_by="recman",
        )
        s.add(hold)
        s.flush()
        s.add(LegalHoldItem(hold_id=hold.id, document_id=doc_id))

    result = execute_approved(rt, actor=recman)

    assert result.held == [item] and result.finished == []
    with rt.uow() as s:
        assert s.get(DisposalItem, item).status == "approved"  # type: ignore[union-attr]
        assert s.get(Document, doc_id).status == "filed"  # type: ignore[union-attr]
        assert s.get(ResidualStub, doc_id) is None


def test_only_approved_items_are_executed(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        pending = file_text(s, rt, "FIN-AP-INV", "Invoice 20")
        transfer = file_text(s, rt, "FIN-AP-INV", "Invoice 21")
    queue(rt, pending)
    transfer_item = queue(rt, transfer, action="transfer")
    approve(rt, [transfer_item], recman)

    result = execute_approved(rt, actor=recman)

    assert result.finished == [] and result.batches == []
    with rt.uow() as s:
        assert {d.status for d in s.scalars(select(Document))} == {"filed"}


def test_only_records_managers_carry_out_disposal(rm: World) -> None:
    rt, clerk = rm.runtime, rm.people["clerk"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 30")
    item = queue(rt, doc_id)
    approve(rt, [item], rm.people["recman"])
    with pytest.raises(RefusedError, match="only records managers"):
        execute_approved(rt, actor=clerk)
    with pytest.raises(RefusedError, match="only records managers"):
        destroy_items(rt, [item], actor=clerk)
    with rt.uow() as s:
        assert s.get(Document, doc_id).status == "filed"  # type: ignore[union-attr]


def test_an_item_nobody_approved_is_not_destroyed_even_when_named(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 31")
    item = queue(rt, doc_id)

    result = destroy_items(rt, [item], actor=recman)

    assert result.failed == [(item, f"disposal item {item} is pending")]
    assert result.finished == [] and result.batches == []
    with rt.uow() as s:
        assert s.get(Document, doc_id).status == "filed"  # type: ignore[union-attr]


def _in_transfer(rt: Runtime, item_id: int, document_id: int, *, status: str) -> None:
    with rt.uow() as s:
        transfer = Transfer(
            bag_id=f"bag-{item_id}",
            path="/nowhere",
            status=status,
            created_at=clock.now(),
            created_by="recman",
        )
        s.add(transfer)
        s.flush()
        s.add(TransferItem(transfer_id=transfer.id, item_id=item_id, document_id=document_id))


def test_a_transferred_record_is_not_destroyed_before_the_archive_confirms_receipt(
    rm: World,
) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Board paper 8")
    item = queue(rt, doc_id, action="transfer", status="transferred")
    _in_transfer(rt, item, doc_id, status="exported")

    result = destroy_items(rt, [item], actor=recman)

    assert result.finished == [] and "receipt" in result.failed[0][1]
    with rt.uow() as s:
        assert s.get(ResidualStub, doc_id) is None


def test_destroy_items_of_a_transfer_notes_the_bag_on_each_stub(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Board paper 7")
    item = queue(rt, doc_id, action="transfer", status="transferred")
    _in_transfer(rt, item, doc_id, status="confirmed")

    result = destroy_items(rt, [item], actor=recman, note="transferred to the archive in bag B1")

    assert result.finished == [item] and len(result.certificates) == 1
    with rt.uow() as s:
        stub = s.get(ResidualStub, doc_id)
        assert stub is not None and stub.note == "transferred to the archive in bag B1"


def test_destruction_is_audited_and_the_chain_still_verifies(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 40")
    item = queue(rt, doc_id)
    approve(rt, [item], recman)

    execute_approved(rt, actor=recman)

    with rt.uow() as s:
        actions = [e.action for e in audit.history(s, "document", doc_id)]
        assert "disposal.decide" in actions and "disposal.destroy" in actions
        assert audit.verify(s).ok


def test_the_cli_executes_and_lists_certificates(rm: World, cli: Any) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 50")
    item = queue(rt, doc_id)

    decided = cli("disposal", "decide", str(item), "--approve", "--reason", "due", "--as", "recman")
    assert decided.exit_code == 0, decided.output
    listed = cli("disposal", "list", "--json", "--status", "approved")
    assert [(r["id"], r["status"]) for r in _json(listed.output)] == [(item, "approved")]

    executed = cli("disposal", "execute", "--json", "--as", "recman")
    assert executed.exit_code == 0, executed.output
    body = _json(executed.output)
    assert body["finished"] == [item] and len(body["certificates"]) == 1
    certs = _json(cli("disposal", "certificates", "--json").output)
    assert [c["certificate_document_id"] for c in certs] == body["certificates"]
    shown = _json(cli("doc", "show", str(doc_id), "--json").output)
    assert shown["status"] == "destroyed"


def _json(text: str) -> Any:
    import json

    return json.loads(text)


def test_scheduled_execution_as_the_system_runs_only_what_people_approved(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        approved = file_text(s, rt, "FIN-AP-INV", "Invoice 60")
        waiting = file_text(s, rt, "FIN-AP-INV", "Invoice 61")
    item = queue(rt, approved)
    queue(rt, waiting)
    approve(rt, [item], recman)

    result = execute_approved(rt, actor=SYSTEM)

    assert result.finished == [item]
    with rt.uow() as s:
        assert s.get(Document, waiting).status == "filed"  # type: ignore[union-attr]
        assert s.get(ResidualStub, approved).destroyed_by == "system"  # type: ignore[union-attr]


def test_a_destroyed_records_stub_cannot_be_moved_or_edited(rm: World) -> None:
    from edrm.documents import guards
    from edrm.documents.service import move_document, update_metadata
    from retention.stubs import refuse_if_destroyed

    guards.register(refuse_if_destroyed)  # as the composition root does
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 70")
    item = queue(rt, doc_id)
    approve(rt, [item], recman)
    execute_approved(rt, actor=recman)

    with pytest.raises(RefusedError, match="destroyed"), rt.uow() as s:
        move_document(s, doc_id, "FIN-AP-INV-2024", actor=recman)
    with pytest.raises(RefusedError, match="destroyed"), rt.uow() as s:
        update_metadata(s, doc_id, {"title": "Something else"}, actor=recman)
