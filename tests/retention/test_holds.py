"""Legal holds (scenarios 1, 2, 11 and 12's hold part): a hold on a record, a folder or what a
search finds stops disposal and every change of what it covers until the last hold is lifted;
each refusal is audited; a hold in use cannot be deleted."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import SYSTEM, Principal
from edrm.documents.models import Document
from edrm.documents.service import (
    NewDocument,
    add_version,
    create_document,
    declare_record,
    file_from_triage,
    move_document,
    update_metadata,
)
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.service import create_folder
from edrm.runtime import Runtime
from edrm.saved_searches import save
from edrm.search_service import catch_up
from retention.holds import (
    delete_hold,
    held,
    held_document_ids,
    hold_document_ids,
    holds_covering,
    lift_hold,
    list_holds,
    place_hold,
)
from retention.models import DisposalItem, LegalHold, RetentionRule
from tests.conftest import Cli, World, file_text

REASON = "FOI request 2025/117"
AUTHORITY = "Freedom of Information Act 2000, s.77"


def _doc(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    assert document is not None
    return document


def _hold(world: World, **target: Any) -> int:
    """Place a hold as the records manager (committed); its id."""
    rt = world.runtime
    with rt.uow() as s:
        return place_hold(
            s,
            reason=target.pop("reason", REASON),
            authority=AUTHORITY,
            actor=world.people["recman"],
            search=rt,
            **target,
        ).id


def _lift(world: World, hold_id: int) -> None:
    with world.runtime.uow() as s:
        lift_hold(s, hold_id, reason="request answered", actor=world.people["recman"])


def _refusals(runtime: Runtime, document_id: int) -> list[dict[str, Any]]:
    with runtime.uow() as s:
        return [
            e.details_dict
            for e in reversed(audit.history(s, "document", document_id))
            if e.action == "hold.refused"
        ]


def _held_ids(runtime: Runtime) -> set[int]:
    with runtime.uow() as s:
        return set(s.scalars(held_document_ids(s)))


# --- scenario 1: the sweep leaves held records alone until the last hold is lifted -------------


def _queued(runtime: Runtime) -> set[int]:
    with runtime.uow() as s:
        return set(
            s.scalars(select(DisposalItem.document_id).where(DisposalItem.status == "pending"))
        )


def test_a_record_past_its_date_under_two_holds_is_not_queued_until_the_last_is_lifted(
    world: World,
) -> None:
    from retention.sweep import sweep

    rt = world.runtime
    with rt.uow() as s:  # the small plan's invoices class names this rule
        s.add(
            RetentionRule(
                code="DESTROY-7Y",
                title="Supplier invoices: destroy after 7 years",
                trigger="created",
                period_years=7,
                action="destroy",
                authority="Limitation Act 1980",
                review_stages=1,
                updated_at=clock.now(),
            )
        )
    invoice = world.docs["invoice"]
    on_record = _hold(world, document_id=invoice)
    on_folder = _hold(world, folder_code="FIN-AP-INV-2024", reason="Litigation: Acme v Dept")
    past_its_date = clock.now().date() + timedelta(days=8 * 366)

    def run_sweep() -> Any:
        with rt.uow() as s:
            return sweep(s, as_of=past_its_date, actor=SYSTEM)

    first = run_sweep()
    assert invoice not in _queued(rt)
    assert world.docs["sensitive"] in _queued(rt), "an unheld record of the class is queued"
    assert first.held == 1

    _lift(world, on_record)
    second = run_sweep()
    assert invoice not in _queued(rt), "one hold still covers it"
    assert second.held == 1

    _lift(world, on_folder)
    last = run_sweep()
    assert invoice in _queued(rt)
    with rt.uow() as s:
        queued_now = set(
            s.scalars(select(DisposalItem.document_id).where(DisposalItem.id.in_(last.queued)))
        )
    assert queued_now == {invoice}


# --- scenario 2: every change to a held record is refused and audited -------------------------


def test_on_a_held_record_destroy_move_refile_content_and_declaration_changes_are_refused_and_audited(  # noqa: E501
    world: World,
) -> None:
    from retention.execution import execute_approved
    from tests.retention.disposal_helpers import approve, queue, with_records_management

    rt = with_records_management(world).runtime
    clerk, recman = world.people["clerk"], world.people["recman"]
    invoice = world.docs["invoice"]
    item = queue(rt, invoice)
    approve(rt, [item], recman)
    with rt.uow() as s:  # a document still on the clerk's triage list
        stored = rt.blobs.put_stream(io.BytesIO(b"Letter from Acme Ltd about invoice 1001\n"))
        waiting = create_document(
            s,
            stored.sha256,
            stored.size,
            "text/plain",
            NewDocument(filename="letter.txt", into_code=""),
            actor=clerk,
            triage=True,
        ).id
    hold_id = _hold(world, document_id=invoice)
    second = _hold(world, document_id=waiting)

    attempts = {
        "move": lambda s: move_document(s, invoice, "FIN-AP-INV", actor=recman),
        "content": lambda s: add_version(
            s, rt.blobs, invoice, io.BytesIO(b"altered"), "invoice.txt", actor=clerk
        ),
        "declare": lambda s: declare_record(s, invoice, actor=recman),
        "metadata": lambda s: update_metadata(s, invoice, {"title": "Altered"}, actor=recman),
        "file": lambda s: file_from_triage(s, waiting, "FIN-AP-INV", actor=clerk),
    }
    for change, attempt in attempts.items():
        with pytest.raises(RefusedError, match="under legal hold") as refused, rt.uow() as s:
            attempt(s)
        assert "cannot be" in str(refused.value), change
    executed = execute_approved(rt, actor=recman)
    assert executed.held == [item] and executed.finished == []
    with rt.uow() as s:
        left = s.get(DisposalItem, item)
        assert left is not None and left.status == "approved"
        assert left.last_error == (
            f"document {invoice} is under legal hold {hold_id} ({REASON}): it cannot be destroyed"
        )

    with rt.uow() as s:
        document = _doc(s, invoice)
        assert document.folder_code == "FIN-AP-INV-2024"
        assert document.title == "Invoice 1001 from Acme Ltd"
        assert [v.number for v in document.versions] == [1]
        assert not document.is_record
        assert document.status == "filed"
        assert _doc(s, waiting).in_triage
    on_invoice = _refusals(rt, invoice)
    assert [r["change"] for r in on_invoice] == [
        "move",
        "content",
        "declare",
        "metadata",
        "destroy",
    ]
    assert all(r["holds"] == [hold_id] for r in on_invoice)
    assert on_invoice[-1] == {"change": "destroy", "holds": [hold_id], "item": item}
    assert _refusals(rt, waiting) == [{"change": "file", "holds": [second]}]
    with rt.uow() as s:
        assert audit.verify(s).ok


def test_a_refusal_names_every_hold_that_covers_the_record(world: World) -> None:
    rt = world.runtime
    invoice = world.docs["invoice"]
    first = _hold(world, document_id=invoice)
    second = _hold(world, folder_code="FIN-AP-INV", reason="Public inquiry")
    with pytest.raises(RefusedError) as refused, rt.uow() as s:
        move_document(s, invoice, "FIN-AP-INV", actor=world.people["recman"])
    assert str(refused.value) == (
        f"document {invoice} is under legal holds {first} ({REASON}) and "
        f"{second} (Public inquiry): it cannot be moved"
    )


def test_the_guard_for_many_records_refuses_exactly_what_the_guard_for_one_refuses(
    world: World,
) -> None:
    """Disposal asks about a whole chunk at once; the answer must be the one-by-one answer."""
    from edrm.documents import guards
    from retention.holds import refuse_held

    rt = world.runtime
    catch_up(rt)
    _hold(world, folder_code="FIN-AP-INV-2024")
    _hold(world, query="intrusion")
    _hold(world, document_id=world.docs["discipline"], reason="Tribunal")
    _hold(world, document_id=world.docs["discipline"], reason="Second claim")
    recman = world.people["recman"]
    with rt.uow() as s:
        documents = list(s.scalars(select(Document).order_by(Document.id)))
        one_by_one = {}
        for document in documents:
            try:
                guards.check(s, document, "destroy", recman)
            except RefusedError as exc:
                one_by_one[document.id] = (str(exc), exc.audit)
        many = refuse_held(s, documents, "destroy", recman)
        every_guard = guards.refusals(s, documents, "destroy", recman)
    assert set(one_by_one) == {world.docs[k] for k in ("invoice", "secret", "discipline")}
    assert {i: (str(e), e.audit) for i, e in many.items()} == one_by_one
    assert {i: (str(e), e.audit) for i, e in every_guard.items()} == one_by_one


def test_once_the_hold_is_lifted_the_record_can_change_again(world: World) -> None:
    rt = world.runtime
    invoice = world.docs["invoice"]
    _lift(world, _hold(world, document_id=invoice))
    with rt.uow() as s:
        move_document(s, invoice, "FIN-AP-INV", actor=world.people["recman"])
        assert _doc(s, invoice).folder_code is None


# --- what a hold covers -----------------------------------------------------------------------


def test_a_folder_hold_covers_what_is_below_it_including_what_is_filed_later(
    world: World,
) -> None:
    rt = world.runtime
    hold_id = _hold(world, folder_code="FIN-AP-INV")  # a class, with its folders
    with rt.uow() as s:
        later = file_text(s, rt, "FIN-AP-INV-2024", "Invoice 1002 from Acme Ltd")
    covered = {world.docs[k] for k in ("invoice", "sensitive", "old")} | {later}
    assert _held_ids(rt) == covered
    with rt.uow() as s:
        assert set(s.scalars(hold_document_ids(s, hold_id))) == covered
        assert held(s, [*covered, world.docs["secret"]]) == covered
        assert [h.id for h in holds_covering(s, _doc(s, later))] == [hold_id]


def test_a_query_hold_covers_what_the_search_finds_when_it_is_placed(world: World) -> None:
    rt = world.runtime
    catch_up(rt)
    hold_id = _hold(world, query="Acme")
    with rt.uow() as s:
        later = file_text(s, rt, "SEC-OPS-INC", "Acme Ltd visitor log")
    catch_up(rt)
    assert _held_ids(rt) == {world.docs["invoice"]}, "a snapshot: the later match is free"
    with rt.uow() as s:
        assert _doc(s, later).id not in held(s, [later])
        hold = s.get(LegalHold, hold_id)
        assert hold is not None and (hold.scope, hold.target) == ("query", "Acme")


def test_a_hold_on_a_saved_search_holds_its_hits(world: World) -> None:
    rt = world.runtime
    catch_up(rt)
    with rt.uow() as s:
        saved = save(s, world.people["recman"], "Security incidents", "intrusion", {})
    hold_id = _hold(world, query=f"saved:{saved.id}")
    assert _held_ids(rt) == {world.docs["secret"]}
    by_name = _hold(world, query="Security incidents")
    with rt.uow() as s:
        assert set(s.scalars(hold_document_ids(s, by_name))) == {world.docs["secret"]}
        hold = s.get(LegalHold, hold_id)
        assert hold is not None and hold.target == f"saved search {saved.id}: Security incidents"


# --- placing and lifting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [{}, {"document_id": 1, "folder_code": "FIN-AP-INV"}, {"folder_code": "X", "query": "y"}],
)
def test_a_hold_names_exactly_one_target(world: World, target: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError, match="exactly one target"):
        _hold(world, **target)


def test_a_hold_needs_a_reason_and_an_authority(world: World) -> None:
    with world.runtime.uow() as s:
        for reason, authority in (("  ", AUTHORITY), (REASON, "")):
            with pytest.raises(InvalidInputError, match="give the hold's"):
                place_hold(
                    s,
                    reason=reason,
                    authority=authority,
                    actor=world.people["recman"],
                    document_id=world.docs["invoice"],
                )


def test_an_empty_query_is_refused_rather_than_holding_everything(world: World) -> None:
    with pytest.raises(InvalidInputError, match="words to search for"):
        _hold(world, query="  ")


def test_only_records_managers_place_lift_and_delete_holds(world: World) -> None:
    clerk: Principal = world.people["clerk"]
    hold_id = _hold(world, document_id=world.docs["invoice"])
    with world.runtime.uow() as s:
        with pytest.raises(RefusedError, match="only records managers"):
            place_hold(s, reason=REASON, authority=AUTHORITY, actor=clerk, folder_code="FIN-AP-INV")
        with pytest.raises(RefusedError, match="only records managers"):
            lift_hold(s, hold_id, reason="no", actor=clerk)
        with pytest.raises(RefusedError, match="only records managers"):
            delete_hold(s, hold_id, actor=clerk)


def test_a_hold_on_an_unknown_target_is_not_found(world: World) -> None:
    for target in ({"document_id": 999_999}, {"folder_code": "NOPE"}):
        with pytest.raises(NotFoundError):
            _hold(world, **target)


def test_placing_and_lifting_are_audited_and_a_hold_is_lifted_once(world: World) -> None:
    rt = world.runtime
    hold_id = _hold(world, document_id=world.docs["invoice"])
    _lift(world, hold_id)
    with rt.uow() as s:
        events = list(reversed(audit.history(s, "legal_hold", hold_id)))
        assert [e.action for e in events] == ["hold.place", "hold.lift"]
        assert events[0].details_dict["documents"] == 1
        assert events[0].details_dict["authority"] == AUTHORITY
        with pytest.raises(RefusedError, match="already lifted"):
            lift_hold(s, hold_id, reason="again", actor=world.people["recman"])
        with pytest.raises(InvalidInputError, match="reason"):
            lift_hold(s, _hold_in(s, world), reason=" ", actor=world.people["recman"])


def _hold_in(s: Session, world: World) -> int:
    return place_hold(
        s,
        reason=REASON,
        authority=AUTHORITY,
        actor=world.people["recman"],
        folder_code="SEC-OPS-INC",
    ).id


def test_list_holds_shows_active_holds_or_all(world: World) -> None:
    first = _hold(world, document_id=world.docs["invoice"])
    second = _hold(world, folder_code="SEC-OPS-INC")
    _lift(world, first)
    with world.runtime.uow() as s:
        assert [h.id for h in list_holds(s, active_only=True)] == [second]
        assert {h.id for h in list_holds(s)} == {first, second}


# --- scenario 12 (holds): a hold in use cannot be deleted; an unused one can ------------------


def test_a_hold_in_use_cannot_be_deleted_an_unused_one_can(world: World) -> None:
    rt = world.runtime
    recman = world.people["recman"]
    with rt.uow() as s:
        create_folder(s, "FIN-AP-INV-2025", "FIN-AP-INV", "Supplier invoices 2025-26")
    in_use = _hold(world, document_id=world.docs["invoice"])
    unused = _hold(world, folder_code="FIN-AP-INV-2025")  # an empty folder: covers nothing

    in_use_message = rf"legal hold {in_use} is in use: it covers 1 record"
    with pytest.raises(RefusedError, match=in_use_message), rt.uow() as s:
        delete_hold(s, in_use, actor=recman)
    with rt.uow() as s:
        delete_hold(s, unused, actor=recman)
    _lift(world, in_use)  # lifted: no longer in use
    with rt.uow() as s:
        delete_hold(s, in_use, actor=recman)

    with rt.uow() as s:
        assert list_holds(s) == []
        deleted = audit.history(s, "legal_hold", unused)[0]
        assert deleted.action == "hold.delete"
        assert deleted.details_dict["target"] == "FIN-AP-INV-2025"
        assert audit.verify(s).ok


# --- scenario 11: declaration needs the mandatory metadata; closed folders take nothing -------


def test_declaring_without_mandatory_metadata_fails_and_filing_into_a_closed_folder_fails(
    world: World,
) -> None:
    rt = world.runtime
    recman = world.people["recman"]
    invoice = world.docs["invoice"]
    with rt.uow() as s:
        update_metadata(s, invoice, {"creator": ""}, actor=recman)
    missing = r"cannot be declared a record: creator missing"
    with pytest.raises(InvalidInputError, match=missing), rt.uow() as s:
        declare_record(s, invoice, actor=recman)

    with pytest.raises(RefusedError, match="'FIN-AP-INV-2019' is closed"), rt.uow() as s:
        file_text(s, rt, "FIN-AP-INV-2019", "Invoice 18 from Beta plc")
    with pytest.raises(RefusedError, match="'FIN-AP-INV-2019' is closed"), rt.uow() as s:
        move_document(s, invoice, "FIN-AP-INV-2019", actor=recman)

    with rt.uow() as s:
        document = _doc(s, invoice)
        assert not document.is_record
        assert document.folder_code == "FIN-AP-INV-2024"
        assert (
            s.scalar(select(Document.id).where(Document.title == "Invoice 18 from Beta plc"))
            is None
        )


def test_a_document_still_on_a_triage_list_cannot_be_declared(world: World) -> None:
    rt = world.runtime
    with rt.uow() as s:
        stored = rt.blobs.put_stream(io.BytesIO(b"A note\n"))
        waiting = create_document(
            s,
            stored.sha256,
            stored.size,
            "text/plain",
            NewDocument(filename="note.txt", into_code=""),
            actor=world.people["clerk"],
            triage=True,
        ).id
    with pytest.raises(InvalidInputError, match="file-plan class"), rt.uow() as s:
        declare_record(s, waiting, actor=world.people["recman"])


# --- the command line -------------------------------------------------------------------------


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def _error_line(result: Result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edrm: error: "), result.stderr
    return lines[0]


def _place(cli: Cli, *target: str) -> Result:
    return cli("hold", "place", "--reason", REASON, "--authority", AUTHORITY, *target)


def test_hold_place_list_lift_and_delete_on_the_command_line(cli: Cli, world: World) -> None:
    invoice = world.docs["invoice"]
    placed = json.loads(_ok(_place(cli, "--doc", str(invoice), "--json")).stdout)
    assert placed == {"id": placed["id"], "documents": 1}
    assert "covers 1 document" in _ok(_place(cli, "--folder", "SEC-OPS-INC")).stdout

    listed = json.loads(_ok(cli("hold", "list", "--json")).stdout)
    assert {h["id"]: (h["active"], h["documents"]) for h in listed}[placed["id"]] == (True, 1)
    assert {"reason", "authority", "scope", "target", "placed_by"} <= set(listed[0])

    refused = _error_line(cli("doc", "move", str(invoice), "--to", "FIN-AP-INV"))
    assert f"under legal hold {placed['id']} ({REASON})" in refused
    assert "in use" in _error_line(cli("hold", "delete", str(placed["id"])))
    assert cli("hold", "lift", str(placed["id"])).exit_code != 0  # --reason is required
    _ok(cli("hold", "lift", str(placed["id"]), "--reason", "Request answered"))
    in_force = json.loads(cli("hold", "list", "--json").stdout)
    assert placed["id"] not in [h["id"] for h in in_force]
    assert len(json.loads(cli("hold", "list", "--all", "--json").stdout)) == 2
    _ok(cli("hold", "delete", str(placed["id"])))
    _ok(cli("doc", "move", str(invoice), "--to", "FIN-AP-INV"))


def test_hold_place_by_query_holds_the_hits_and_shows_them(cli: Cli, world: World) -> None:
    placed = json.loads(_ok(_place(cli, "--query", "intrusion", "--json")).stdout)
    assert placed["documents"] == 1
    shown = json.loads(_ok(cli("hold", "show", str(placed["id"]), "--json")).stdout)
    assert shown["document_ids"] == [world.docs["secret"]]


def test_hold_place_mistakes_are_one_error_line(cli: Cli, world: World) -> None:
    invoice = str(world.docs["invoice"])
    assert "only records managers" in _error_line(_place(cli, "--doc", invoice, "--as", "clerk"))
    assert "exactly one" in _error_line(_place(cli))
    assert "exactly one" in _error_line(_place(cli, "--doc", invoice, "--folder", "SEC-OPS-INC"))
    assert "not found" in _error_line(_place(cli, "--folder", "NOPE"))
    assert "only records managers" in _error_line(cli("hold", "list", "--as", "clerk"))
