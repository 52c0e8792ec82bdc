"""Correcting a record from its page (issue 12 item 5): editing its details with a reason
(checked, then saved and audited), moving it to a class chosen by name and a folder where the
class needs one, filing a triage document from its own page, and uploading a new version; each
refused while a legal hold covers the record, and not found by those who may not see it."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import clock
from edrm.access import SYSTEM
from edrm.audit import AuditEvent
from edrm.documents.filing import folder_needed
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, create_document, declare_record
from edrm.fileplan.models import FilePlanNode
from retention.holds import place_hold
from retention.models import RetentionRule
from retention.schedule import ensure_schedule
from tests.conftest import World, file_text, sign_in

pytestmark = pytest.mark.sqlite_only  # pages over services tested on both databases

CHANGE_PAGES = ("edit", "move", "move/folder?class=FIN-AP-INV", "versions/new")


def _csrf(client: FlaskClient, path: str = "/") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _post(client: FlaskClient, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": _csrf(client)})


@dataclass(frozen=True)
class Entry:
    actor: str
    details: dict[str, Any]


def _events(world: World, action: str, document_id: int) -> list[Entry]:
    """The audit entries of one kind about one document, oldest first."""
    with world.runtime.uow() as s:
        return [
            Entry(e.actor, json.loads(e.details or "{}"))
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            )
            if e.object_id == str(document_id)
        ]


def _document(world: World, document_id: int) -> Document:
    with world.runtime.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None
        s.expunge(document)
        return document


def _hold(world: World, document_id: int, reason: str = "Tribunal claim 2025/88") -> int:
    with world.runtime.uow() as s:
        return place_hold(
            s,
            reason=reason,
            authority="Legal adviser",
            actor=world.people["recman"],
            document_id=document_id,
        ).id


def _folders_needed_in_invoices(world: World) -> None:
    """Give Supplier invoices a rule that counts from the day its folder is closed (the
    configured schedule loaded first, so the other classes keep their rules)."""
    with world.runtime.uow() as s:
        ensure_schedule(s, world.runtime.settings)
        s.add(
            RetentionRule(
                code="CLOSED-6Y",
                title="Destroy six years after the file is closed",
                trigger="folder_closed",
                period_years=6,
                action="destroy",
                authority="Limitation Act 1980",
                review_stages=1,
                updated_at=clock.now(),
            )
        )
        node = s.scalar(select(FilePlanNode).where(FilePlanNode.code == "FIN-AP-INV"))
        assert node is not None
        node.retention_rule = "CLOSED-6Y"


def _clerks_incident(world: World) -> int:
    """A record the clerk filed in Security incidents (a class with no folders)."""
    with world.runtime.uow() as s:
        return file_text(
            s,
            world.runtime,
            "SEC-OPS-INC",
            "Tailgating at the side door",
            actor=world.people["clerk"],
        )


def _clerks_triage_document(world: World) -> int:
    with world.runtime.uow() as s:
        sha = world.runtime.blobs.put_stream(io.BytesIO(b"A note with no obvious home.\n"))
        return create_document(
            s,
            sha.sha256,
            sha.size,
            "text/plain",
            NewDocument(filename="note.txt", into_code="", title="A note with no obvious home"),
            actor=world.people["clerk"],
            triage=True,
        ).id


DETAILS = {
    "title": "Invoice 1001 from Acme Ltd (corrected)",
    "doc_type": "invoice",
    "subject": "stationery; Acme",
    "description": "",
    "marking": "OFFICIAL",
    "reason": "The title missed the correction notice",
}


# --- editing details ------------------------------------------------------------------------------


def test_the_filer_sees_what_changes_before_it_is_saved(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: editing the details shows the old and new values and saves nothing
    until the person confirms."""
    sign_in(client, "clerk")
    path = f"/documents/{world.docs['invoice']}/edit"
    assert client.get(path).status_code == 200
    check = _post(client, path, DETAILS)
    assert check.status_code == 200 and "Check your changes" in check.text
    assert "Was: Invoice 1001 from Acme Ltd" in check.text
    assert DETAILS["reason"] in check.text
    assert _document(world, world.docs["invoice"]).title == "Invoice 1001 from Acme Ltd"


def test_saving_edited_details_audits_the_old_and_new_values_and_the_reason(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: a confirmed edit changes the record and its audit entry keeps what was
    there before, what is there now and why."""
    sign_in(client, "clerk")
    path = f"/documents/{world.docs['invoice']}/edit"
    saved = _post(client, path, {**DETAILS, "confirm": "1"})
    assert saved.status_code == 302
    assert (
        "Details saved: title, document type and subject changed"
        in client.get(saved.headers["Location"]).text
    )
    document = _document(world, world.docs["invoice"])
    assert (document.title, document.doc_type, document.subject) == (
        DETAILS["title"],
        "invoice",
        "stationery; Acme",
    )
    [event] = _events(world, "document.metadata", world.docs["invoice"])
    assert event.actor == "clerk"
    assert event.details["before"] == {
        "title": "Invoice 1001 from Acme Ltd",
        "doc_type": "",
        "subject": "",
    }
    assert event.details["after"]["title"] == DETAILS["title"]
    assert event.details["reason"] == DETAILS["reason"]


def test_an_edit_without_a_reason_is_refused_with_the_error_linked_to_the_field(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: every change needs a reason; the error summary links to the field."""
    sign_in(client, "clerk")
    answer = _post(
        client,
        f"/documents/{world.docs['invoice']}/edit",
        {**DETAILS, "reason": "", "confirm": "1"},
    )
    assert answer.status_code == 400
    assert "govuk-error-summary" in answer.text
    assert 'href="#reason"' in answer.text and "Enter the reason for the change" in answer.text
    assert _document(world, world.docs["invoice"]).title == "Invoice 1001 from Acme Ltd"


def test_a_description_sent_back_with_browser_line_ends_is_not_a_change(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: the check page lists only what the person changed (a browser's CRLF
    line ends in an untouched description are not a change)."""
    with world.runtime.uow() as s:
        document = s.get(Document, world.docs["invoice"])
        assert document is not None
        document.description = "First line.\nSecond line."
    sign_in(client, "clerk")
    check = _post(
        client,
        f"/documents/{world.docs['invoice']}/edit",
        {**DETAILS, "description": "First line.\r\nSecond line.\r\n"},
    )
    assert check.status_code == 200 and "Check your changes" in check.text
    assert "Was: Invoice 1001 from Acme Ltd" in check.text
    assert "Was: First line." not in check.text


def test_a_marking_below_the_class_default_is_not_offered(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: the marking list runs from the class's default to the person's
    clearance, so a record cannot be marked lower than its place."""
    sign_in(client, "recman")  # SECRET clearance
    page = client.get(f"/documents/{world.docs['discipline']}/edit").text  # in HR-CASE-DIS
    offered = re.findall(r'<option value="([^"]+)"', page)
    assert offered == ["OFFICIAL-SENSITIVE", "SECRET"]


def test_editing_a_held_record_is_refused_naming_the_hold_and_audited(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: while a legal hold covers the record its details cannot change; the
    page names the hold and its reason, and the refused attempt is in the audit trail."""
    hold_id = _hold(world, world.docs["invoice"])
    sign_in(client, "clerk")
    path = f"/documents/{world.docs['invoice']}/edit"
    page = client.get(path)
    assert page.status_code == 403
    assert "You cannot edit the details of this record" in page.text
    assert f"Legal hold {hold_id}" in page.text and "Tribunal claim 2025/88" in page.text
    refused = _post(client, path, {**DETAILS, "confirm": "1"})
    assert refused.status_code == 403
    assert _document(world, world.docs["invoice"]).title == "Invoice 1001 from Acme Ltd"
    assert [e.details["change"] for e in _events(world, "hold.refused", world.docs["invoice"])] == [
        "metadata"
    ]


@pytest.mark.parametrize("page", CHANGE_PAGES)
def test_someone_who_may_not_see_the_record_finds_no_change_page(
    client: FlaskClient, world: World, page: str
) -> None:
    """Issue 12 item 5: the edit, move and new-version pages of a record above the person's
    clearance answer 404, as for a record that does not exist."""
    sign_in(client, "clerk")
    secret = world.docs["secret"]
    assert client.get(f"/documents/{secret}/{page}").status_code == 404
    assert _post(client, f"/documents/{secret}/{page}", {}).status_code == 404
    assert client.get(f"/documents/999999/{page}").status_code == 404


def test_someone_who_did_not_file_it_is_told_who_may_change_it(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: a person who may see the record but did not file it is refused,
    naming who may change it."""
    sign_in(client, "analyst")
    page = client.get(f"/documents/{world.docs['invoice']}/edit")
    assert page.status_code == 403
    assert "Only Clerk, who filed it, or a records manager may edit the details of it" in page.text
    record = client.get(f"/documents/{world.docs['invoice']}").text
    assert "Edit details" not in record and "Only Clerk, who filed it" in record


# --- moving -------------------------------------------------------------------------------------


def test_the_class_is_chosen_by_name_with_nothing_chosen_at_first(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: the move page lists classes by their titles and chooses none, so one
    click cannot file into the first class."""
    sign_in(client, "clerk")
    page = client.get(f"/documents/{world.docs['invoice']}/move").text
    assert '<option value="" selected>Choose a class</option>' in page
    assert '<option value="FIN-AP-INV">Supplier invoices</option>' in page
    assert page.count(" selected") == 1


def test_a_move_is_audited_with_its_reason(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: moving a record to another class records where from, where to and
    why."""
    incident = _clerks_incident(world)
    sign_in(client, "clerk")
    step = _post(client, f"/documents/{incident}/move", {"class_code": "FIN-AP-INV"})
    assert step.status_code == 302 and "class=FIN-AP-INV" in step.headers["Location"]
    moved = _post(
        client,
        f"/documents/{incident}/move/folder",
        {"class_code": "FIN-AP-INV", "folder_code": "FIN-AP-INV-2024", "reason": "Misfiled"},
    )
    assert moved.status_code == 302
    assert _document(world, incident).node_id is not None
    [event] = _events(world, "document.move", incident)
    assert event.details == {
        "from": "SEC-OPS-INC",
        "to": "FIN-AP-INV-2024",
        "reason": "Misfiled",
        "request_id": moved.headers["X-Request-Id"],  # issue 14 part 4: the request that moved it
    }


def test_a_move_needs_a_reason(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: a move without a reason is refused, the error linked to the field."""
    incident = _clerks_incident(world)
    sign_in(client, "clerk")
    answer = _post(
        client,
        f"/documents/{incident}/move/folder",
        {"class_code": "FIN-AP-INV", "folder_code": "FIN-AP-INV-2024"},
    )
    assert answer.status_code == 400 and 'href="#reason"' in answer.text
    assert _events(world, "document.move", incident) == []


def test_the_folder_choice_lists_only_the_classes_open_folders(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: step two offers the class's open folders (not its closed ones)."""
    sign_in(client, "clerk")
    page = client.get(f"/documents/{world.docs['invoice']}/move/folder?class=FIN-AP-INV").text
    assert "Supplier invoices 2024-25" in page
    assert "Supplier invoices 2019-20" not in page  # closed


def test_moving_into_a_class_whose_rule_counts_from_the_folder_closing_asks_for_a_folder(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: where the class's retention rule needs a folder, a move without one is
    refused with a clear error, so the record does not sit "not yet known" for ever."""
    _folders_needed_in_invoices(world)
    incident = _clerks_incident(world)
    sign_in(client, "clerk")
    answer = _post(
        client,
        f"/documents/{incident}/move/folder",
        {"class_code": "FIN-AP-INV", "folder_code": "", "reason": "Misfiled"},
    )
    assert answer.status_code == 400
    assert 'href="#folder_code"' in answer.text
    assert "Choose a folder in Supplier invoices: its retention rule" in answer.text
    assert "counts from the day its folder is closed" in answer.text
    assert "Not in a folder" not in answer.text
    assert _events(world, "document.move", incident) == []


def test_a_new_folder_can_be_opened_while_moving(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: where the class has no suitable folder, the person opens one as they
    move the record; the new folder is audited too."""
    _folders_needed_in_invoices(world)
    incident = _clerks_incident(world)
    sign_in(client, "clerk")
    moved = _post(
        client,
        f"/documents/{incident}/move/folder",
        {
            "class_code": "FIN-AP-INV",
            "folder_code": "new",
            "new_folder": "Acme Ltd disputes",
            "reason": "Misfiled",
        },
    )
    assert moved.status_code == 302
    with world.runtime.uow() as s:
        document = s.get(Document, incident)
        assert document is not None and document.node is not None
        assert (document.node.code, document.node.title) == ("FIN-AP-INV-001", "Acme Ltd disputes")
        created = s.scalars(select(AuditEvent).where(AuditEvent.action == "folder.create")).all()
        assert "FIN-AP-INV-001" in {e.object_id for e in created}


def test_a_class_the_person_may_not_file_in_is_refused(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: a class the person may not file in (another team's) is refused as if
    it were not on the list."""
    sign_in(client, "clerk")
    answer = _post(
        client, f"/documents/{world.docs['invoice']}/move", {"class_code": "HR-CASE-DIS"}
    )
    assert answer.status_code == 400 and "Choose a class from the list" in answer.text
    assert "HR-CASE-DIS" not in client.get(f"/documents/{world.docs['invoice']}/move").text


def test_the_page_of_a_record_outside_the_folder_its_rule_needs_says_so(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: a record filed in a class whose rule counts from a folder's closing,
    but in no folder, says why its disposal date is not known and offers the move."""
    _folders_needed_in_invoices(world)
    sign_in(client, "recman")
    page = client.get(f"/documents/{world.docs['sensitive']}").text  # in FIN-AP-INV itself
    assert "This record is not in a folder" in page
    assert "Move it into a folder" in page


def test_the_core_asks_retention_whether_a_class_needs_a_folder(world: World) -> None:
    """Issue 12 item 5: the core's filing asks the folder rule the wiring registered
    (retention's), not the schedule itself."""
    _folders_needed_in_invoices(world)
    with world.runtime.uow() as s:
        classes = {
            n.code: n
            for n in s.scalars(
                select(FilePlanNode).where(FilePlanNode.code.in_(["FIN-AP-INV", "SEC-OPS-INC"]))
            )
        }
        assert "folder is closed" in (folder_needed(s, classes["FIN-AP-INV"]) or "")
        assert folder_needed(s, classes["SEC-OPS-INC"]) is None


# --- filing from the triage list ----------------------------------------------------------------


def test_a_triage_documents_page_offers_file_this_with_no_class_chosen(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: a document not yet filed has a "File this" form on its own page,
    choosing a class by name, with none chosen."""
    document_id = _clerks_triage_document(world)
    sign_in(client, "clerk")
    page = client.get(f"/documents/{document_id}").text
    assert 'id="file-this"' in page
    assert '<option value="" selected>Choose a class</option>' in page
    assert page.count(" selected") == 1


def test_filing_a_triage_document_from_its_page(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: choosing a class with no folders files the document at once
    (audited)."""
    document_id = _clerks_triage_document(world)
    sign_in(client, "clerk")
    filed = _post(client, f"/documents/{document_id}/move", {"class_code": "SEC-OPS-INC"})
    assert filed.status_code == 302
    assert f"/documents/{document_id}" == filed.headers["Location"]
    document = _document(world, document_id)
    assert document.status == "filed" and document.node_id is not None
    assert [e.details["to"] for e in _events(world, "document.file", document_id)] == [
        "SEC-OPS-INC"
    ]


def test_filing_a_triage_document_where_a_folder_is_needed_asks_for_one(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: filing into a class whose rule needs a folder goes on to the folder
    choice, and refuses to file without one."""
    _folders_needed_in_invoices(world)
    document_id = _clerks_triage_document(world)
    sign_in(client, "clerk")
    step = _post(client, f"/documents/{document_id}/move", {"class_code": "FIN-AP-INV"})
    assert step.status_code == 302 and "move/folder" in step.headers["Location"]
    refused = _post(
        client,
        f"/documents/{document_id}/move/folder",
        {"class_code": "FIN-AP-INV", "folder_code": ""},
    )
    assert refused.status_code == 400 and _document(world, document_id).status == "triage"
    filed = _post(
        client,
        f"/documents/{document_id}/move/folder",
        {"class_code": "FIN-AP-INV", "folder_code": "FIN-AP-INV-2024"},
    )
    assert filed.status_code == 302 and _document(world, document_id).status == "filed"


def test_filing_from_the_triage_list_where_a_folder_is_needed_goes_to_the_folder_step(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 5: the triage list's "File in …" button does not file into a class whose
    rule needs a folder: it leads to the document's folder step, and nothing is filed yet."""
    _folders_needed_in_invoices(world)
    document_id = _clerks_triage_document(world)
    sign_in(client, "clerk")
    step = _post(client, f"/triage/{document_id}", {"class_code": "FIN-AP-INV"})
    assert step.status_code == 302
    assert step.headers["Location"].startswith(f"/documents/{document_id}/move/folder")
    assert _document(world, document_id).status == "triage"


# --- a new version ------------------------------------------------------------------------------


def test_uploading_a_new_version_keeps_the_old_one(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: a new version is added (audited); the first stays downloadable."""
    sign_in(client, "clerk")
    path = f"/documents/{world.docs['invoice']}/versions/new"
    assert client.get(path).status_code == 200
    answer = client.post(
        path,
        data={
            "csrf_token": _csrf(client),
            "file": (io.BytesIO(b"Invoice 1001, corrected.\n"), "invoice-1001-v2.txt"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    document = _document(world, world.docs["invoice"])
    assert [v.number for v in document.versions] == [1, 2]
    assert [e.details["number"] for e in _events(world, "document.version", document.id)] == [2]
    assert client.get(f"/documents/{document.id}/versions/1/download").status_code == 200


def test_a_declared_record_takes_no_new_version(client: FlaskClient, world: World) -> None:
    """Issue 12 item 5: a declared record's content is fixed: no upload is offered, and the
    page says why."""
    with world.runtime.uow() as s:
        declare_record(s, world.docs["invoice"], actor=SYSTEM)
    sign_in(client, "clerk")
    assert "Upload a new version" not in client.get(f"/documents/{world.docs['invoice']}").text
    page = client.get(f"/documents/{world.docs['invoice']}/versions/new")
    assert page.status_code == 403 and "It is a declared record" in page.text


def test_the_service_keeps_the_reason_in_the_audit_entry(world: World) -> None:
    """Issue 12 item 5: the metadata service keeps the reason in its entry (every page and
    command that passes one)."""
    from edrm.documents.service import update_metadata

    with world.runtime.uow() as s:
        update_metadata(
            s, world.docs["old"], {"subject": "Beta plc"}, actor=SYSTEM, reason="Supplier name"
        )
    [entry] = _events(world, "document.metadata", world.docs["old"])
    assert entry.details["reason"] == "Supplier name"
