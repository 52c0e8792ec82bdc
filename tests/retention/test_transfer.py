"""Transfer to the archive (scenario 13): approved transfer items leave as a BagIt bag with
content, metadata and audit history; local destruction waits for the archive's receipt."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import bagit
import pytest
from sqlalchemy import func, select

from edrm import audit, clock
from edrm.access import SYSTEM, Principal
from edrm.documents.models import Document
from edrm.documents.service import add_version
from edrm.errors import InvalidInputError, RefusedError
from edrm.runtime import Runtime
from retention import review
from retention import transfer as transfer_module
from retention.execution import execute_approved
from retention.holds import lift_hold, place_hold
from retention.models import DisposalItem, ResidualStub, RetentionRule, Transfer
from retention.transfer import export_transfer, get_transfer
from retention.transfer_confirmation import confirm_transfer
from tests.conftest import Cli, World

DC = "{http://purl.org/dc/elements/1.1/}"


def _transfer_rule(runtime: Runtime) -> None:
    with runtime.uow() as s:
        s.add(
            RetentionRule(
                code="TRANSFER-20Y",
                title="Historical value: transfer",
                trigger="created",
                period_years=20,
                action="transfer",
                authority="Public Records Act 1958, s.3",
                review_stages=1,
                updated_at=clock.now(),
            )
        )


def _approved_transfer(world: World, *keys: str) -> dict[str, int]:
    """Queue these documents for transfer and have the records manager approve them."""
    rt = world.runtime
    items: dict[str, int] = {}
    with rt.uow() as s:
        for key in keys:
            document = s.get(Document, world.docs[key])
            assert document is not None
            item = DisposalItem(
                document_id=document.id,
                rule_code="TRANSFER-20Y",
                action="transfer",
                class_code=document.class_code or "",
                due_on=date(2024, 3, 31),
                stage=1,
                stages=1,
                status="pending",
                queued_at=clock.now(),
                progress={},
            )
            s.add(item)
            s.flush()
            items[key] = item.id
    with rt.uow() as s:
        for item_id in items.values():
            review.decide(
                s, item_id, "approve", reason="Historical value", actor=world.people["recman"]
            )
    return items


def _status(rt: Runtime, document_id: int) -> str:
    with rt.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None
        return document.status


def _hold(world: World, document_id: int) -> int:
    with world.runtime.uow() as s:
        return place_hold(
            s,
            reason="Public inquiry",
            authority="Inquiries Act 2005",
            actor=world.people["recman"],
            document_id=document_id,
        ).id


@pytest.fixture
def transferable(world: World) -> World:
    _transfer_rule(world.runtime)
    with world.runtime.uow() as s:
        add_version(
            s,
            world.runtime.blobs,
            world.docs["invoice"],
            io.BytesIO(b"Invoice 1001, corrected amount\n"),
            "invoice-1001-v2.txt",
        )
    return world


def test_a_transfer_produces_a_valid_bag_and_local_destruction_waits_for_confirmation(
    transferable: World,
) -> None:
    world, rt = transferable, transferable.runtime
    recman = world.people["recman"]
    items = _approved_transfer(world, "invoice", "discipline")
    invoice, discipline = world.docs["invoice"], world.docs["discipline"]
    with rt.uow() as s:
        shas = {v.number: v.sha256 for v in s.get(Document, invoice).versions}  # type: ignore[union-attr]

    transfer = export_transfer(rt, actor=recman)

    bag_dir = Path(transfer.path)
    assert bag_dir.parent == rt.settings.home / "transfers"
    bag = bagit.Bag(str(bag_dir))
    bag.validate()  # raises if any file is missing, extra or altered
    assert bag.algorithms == ["sha256"]
    assert (bag_dir / "manifest-sha256.txt").is_file()
    assert bag.info["External-Identifier"] == transfer.bag_id
    record = bag_dir / "data" / f"EDRM-{invoice:07d}"
    for number, sha in shas.items():
        (content,) = (record / "content" / f"v{number}").iterdir()
        assert content.read_bytes() == rt.blobs.read_bytes(sha)
        assert bag.entries[content.relative_to(bag_dir).as_posix()]["sha256"] == sha
    metadata = json.loads((record / "metadata.json").read_text())
    assert metadata["identifier"] == f"EDRM-{invoice:07d}"
    assert metadata["title"] == "Invoice 1001 from Acme Ltd"
    assert metadata["class_code"] == "FIN-AP-INV"
    assert [v["number"] for v in metadata["versions"]] == [1, 2]
    assert metadata["retention"]["authority"] == "Public Records Act 1958, s.3"
    assert metadata["decisions"][0]["by"] == "recman"
    dc = ET.parse(record / "dublin_core.xml").getroot()
    assert dc.findtext(f"{DC}title") == "Invoice 1001 from Acme Ltd"
    assert dc.findtext(f"{DC}identifier") == f"EDRM-{invoice:07d}"
    history = json.loads((record / "audit_history.json").read_text())
    actions = [e["action"] for e in history]
    assert actions[0] == "document.create"
    assert "document.version" in actions
    assert "disposal.decide" in actions
    assert all(e["object_id"] == str(invoice) for e in history if e["object_type"] == "document")
    assert (bag_dir / "data" / f"EDRM-{discipline:07d}" / "metadata.json").is_file()

    # Exported, not confirmed: nothing is destroyed, not even by a run of the execution job.
    execute_approved(rt, actor=SYSTEM)
    assert _status(rt, invoice) == _status(rt, discipline) == "filed"
    assert all(rt.blobs.exists(sha) for sha in shas.values())
    with rt.uow() as s:
        assert {s.get(DisposalItem, i).status for i in items.values()} == {"transferred"}  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(ResidualStub)) == 0

    finished = confirm_transfer(rt, transfer.bag_id, actor=recman, receipt="TNA receipt 42")

    assert finished == sorted(items.values())
    assert _status(rt, invoice) == _status(rt, discipline) == "destroyed"
    assert not any(rt.blobs.exists(sha) for sha in shas.values())
    with rt.uow() as s:
        stub = s.get(ResidualStub, invoice)
        assert stub is not None
        assert stub.note == f"transferred to The National Archives in bag {transfer.bag_id}"
        assert stub.approvers[0]["by"] == "recman"
        done = get_transfer(s, transfer.bag_id)
        assert (done.status, done.receipt, done.confirmed_by) == (
            "complete",
            "TNA receipt 42",
            "recman",
        )
        assert audit.verify(s).ok
    assert not bag_dir.exists()  # the archive has it: no copy of the content is kept here


def test_a_record_under_hold_stays_out_of_the_bag_and_approved(transferable: World) -> None:
    world, rt = transferable, transferable.runtime
    items = _approved_transfer(world, "invoice", "discipline")
    _hold(world, world.docs["discipline"])

    transfer = export_transfer(rt, actor=world.people["recman"])

    data = Path(transfer.path) / "data"
    assert (data / f"EDRM-{world.docs['invoice']:07d}").is_dir()
    assert not (data / f"EDRM-{world.docs['discipline']:07d}").exists()
    with rt.uow() as s:
        assert s.get(DisposalItem, items["discipline"]).status == "approved"  # type: ignore[union-attr]
        assert s.get(DisposalItem, items["invoice"]).status == "transferred"  # type: ignore[union-attr]


def test_a_hold_placed_after_export_delays_local_destruction_until_it_is_lifted(
    transferable: World,
) -> None:
    world, rt = transferable, transferable.runtime
    recman = world.people["recman"]
    items = _approved_transfer(world, "invoice", "discipline")
    transfer = export_transfer(rt, actor=recman)
    hold_id = _hold(world, world.docs["invoice"])

    assert confirm_transfer(rt, transfer.bag_id, actor=recman) == [items["discipline"]]
    assert _status(rt, world.docs["invoice"]) == "filed"
    with rt.uow() as s:
        assert get_transfer(s, transfer.bag_id).status == "confirmed"
        lift_hold(s, hold_id, reason="Inquiry closed", actor=recman)

    assert confirm_transfer(rt, transfer.bag_id, actor=recman) == [items["invoice"]]
    assert _status(rt, world.docs["invoice"]) == "destroyed"
    with rt.uow() as s:
        assert get_transfer(s, transfer.bag_id).status == "complete"


def test_a_hold_placed_while_the_bag_is_written_cancels_the_export(
    transferable: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, rt = transferable, transferable.runtime
    items = _approved_transfer(world, "invoice")
    real = transfer_module.make_and_validate_bag

    def hold_arrives_meanwhile(*args: object, **kwargs: object) -> None:
        real(*args, **kwargs)  # type: ignore[arg-type]
        _hold(world, world.docs["invoice"])

    monkeypatch.setattr(transfer_module, "make_and_validate_bag", hold_arrives_meanwhile)

    with pytest.raises(RefusedError, match=r"now under legal hold\): nothing was transferred"):
        export_transfer(rt, actor=world.people["recman"])

    assert not any((rt.settings.home / "transfers").iterdir())
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(Transfer)) == 0
        assert s.get(DisposalItem, items["invoice"]).status == "approved"  # type: ignore[union-attr]


def test_a_record_changed_after_export_is_not_destroyed_and_goes_in_a_new_bag(
    transferable: World,
) -> None:
    world, rt = transferable, transferable.runtime
    recman = world.people["recman"]
    items = _approved_transfer(world, "invoice", "discipline")
    first = export_transfer(rt, actor=recman)
    with rt.uow() as s:
        add_version(
            s, rt.blobs, world.docs["discipline"], io.BytesIO(b"Outcome appended\n"), "case.txt"
        )

    assert confirm_transfer(rt, first.bag_id, actor=recman) == [items["invoice"]]

    assert _status(rt, world.docs["discipline"]) == "filed"
    with rt.uow() as s:
        item = s.get(DisposalItem, items["discipline"])
        assert item is not None and item.status == "approved"
        assert f"changed after it was exported in bag {first.bag_id}" in (item.last_error or "")
        assert get_transfer(s, first.bag_id).status == "complete"
    second = export_transfer(rt, actor=recman)
    record = Path(second.path) / "data" / f"EDRM-{world.docs['discipline']:07d}"
    assert sorted(p.name for p in (record / "content").iterdir()) == ["v1", "v2"]


def test_with_nothing_approved_for_transfer_no_bag_is_written(transferable: World) -> None:
    rt = transferable.runtime
    with pytest.raises(InvalidInputError, match="no approved transfer items"):
        export_transfer(rt, actor=transferable.people["recman"])
    assert not any((rt.settings.home / "transfers").glob("*"))


def test_an_export_that_cannot_read_a_version_leaves_no_bag_and_no_transfer(
    transferable: World,
) -> None:
    world, rt = transferable, transferable.runtime
    items = _approved_transfer(world, "old")
    with rt.uow() as s:
        sha = s.get(Document, world.docs["old"]).latest.sha256  # type: ignore[union-attr]
    rt.blobs.path(sha).unlink()

    with pytest.raises(RefusedError, match="cannot be transferred"):
        export_transfer(rt, actor=world.people["recman"])

    assert not any((rt.settings.home / "transfers").iterdir())
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(Transfer)) == 0
        assert s.get(DisposalItem, items["old"]).status == "approved"  # type: ignore[union-attr]


def test_only_records_managers_export_and_confirm(transferable: World) -> None:
    world, rt = transferable, transferable.runtime
    _approved_transfer(world, "invoice")
    clerk: Principal = world.people["clerk"]
    with pytest.raises(RefusedError, match="records managers"):
        export_transfer(rt, actor=clerk)
    transfer = export_transfer(rt, actor=world.people["recman"])
    with pytest.raises(RefusedError, match="records managers"):
        confirm_transfer(rt, transfer.bag_id, actor=clerk)
    assert _status(rt, world.docs["invoice"]) == "filed"


def test_the_cli_exports_lists_and_confirms_a_transfer(
    transferable: World, cli: Cli, tmp_path: Path
) -> None:
    _approved_transfer(transferable, "invoice")
    out = tmp_path / "outbox"

    exported = cli("transfer", "export", "--json", "--out-dir", str(out), "--as", "recman")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert data["count"] == 1 and data["status"] == "exported"
    assert Path(data["path"]).parent == out.resolve()
    listed = json.loads(cli("transfer", "list", "--json", "--as", "recman").output)
    assert [(t["bag_id"], t["status"]) for t in listed] == [(data["bag_id"], "exported")]
    nothing_left = cli("transfer", "export")
    assert nothing_left.exit_code == 1
    assert "nothing to transfer" in nothing_left.output

    confirmed = cli("transfer", "confirm", data["bag_id"], "--receipt", "R-1", "--as", "recman")
    assert confirmed.exit_code == 0, confirmed.output
    assert f"transfer {data['bag_id']} complete" in confirmed.output
    assert f"items destroyed locally: {data['items'][0]}" in confirmed.output
    assert Path(data["path"]).is_dir()  # a bag written outside EDRM_HOME is the archive's

    unknown = cli("transfer", "confirm", "no-such-bag")
    assert unknown.exit_code == 1
    assert "no transfer with bag id 'no-such-bag'" in unknown.output
    clerk = cli("transfer", "list", "--as", "clerk")
    assert clerk.exit_code == 1
    assert "only records managers" in clerk.output


def test_the_bag_is_named_and_dated_by_the_service_clock(transferable: World) -> None:
    world, rt = transferable, transferable.runtime
    _approved_transfer(world, "invoice")
    clock.set_clock(lambda: datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    try:
        transfer = export_transfer(rt, actor=world.people["recman"])
    finally:
        clock.set_clock(None)
    assert transfer.bag_id.startswith("edrm-20300102T030405-")
    assert bagit.Bag(transfer.path).info["Bagging-Date"] == "2030-01-02"
    record = Path(transfer.path) / "data" / f"EDRM-{world.docs['invoice']:07d}"
    metadata = json.loads((record / "metadata.json").read_text())
    assert metadata["retention"]["due"] == "2024-03-31"
    assert metadata["transfer"]["exported_at"].startswith("2030-01-02T03:04:05")


def test_an_export_keeps_the_bags_already_recorded_and_anything_not_named_as_a_bag(
    transferable: World,
) -> None:
    """Only a bag that no transfer records (left by an export killed before it recorded it:
    see tests/retention/test_disposal_crash.py) is removed by the next export."""
    world, rt = transferable, transferable.runtime
    recman = world.people["recman"]
    first_items = _approved_transfer(world, "invoice")
    first = export_transfer(rt, actor=recman)
    notes = rt.settings.home / "transfers" / "notes from the archive"
    notes.mkdir()
    _approved_transfer(world, "discipline")

    second = export_transfer(rt, actor=recman)

    assert Path(first.path).is_dir() and Path(second.path).is_dir() and notes.is_dir()
    bagit.Bag(first.path).validate()
    with rt.uow() as s:
        assert s.get(DisposalItem, first_items["invoice"]).status == "transferred"  # type: ignore[union-attr]
        assert [e.action for e in audit.history(s, "transfer", first.bag_id)] == ["transfer.export"]
