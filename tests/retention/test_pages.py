"""The records managers' pages: who may use them, decisions through the forms, holds, events,
execution, certificates, transfers, the schedule and the audit search; and, for everyone, each
record's rule and due date and the consequence of filing in a class."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import clock
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from retention.models import DisposalItem, LegalHold, RetentionEvent
from tests.conftest import World, sign_in
from tests.retention.disposal_helpers import confirm_execution, with_records_management
from tests.retention.disposal_world import queue_due

# Pages over services tested on both databases (see tests/conftest.py).
pytestmark = pytest.mark.sqlite_only

PAGES = (
    "/records-management/",
    "/records-management/queue",
    "/records-management/schedule",
    "/records-management/schedule.csv",
    "/records-management/forecast",
    "/records-management/certificates",
    "/records-management/holds",
    "/records-management/transfers",
    "/records-management/events",
    "/records-management/audit",
)


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _post(client: FlaskClient, path: str, data: dict[str, Any], *, token_from: str) -> Any:
    return client.post(path, data={**data, "csrf_token": _csrf(client, token_from)})


def _items(rm: World) -> dict[int, DisposalItem]:
    with rm.runtime.uow() as s:
        return {i.document_id: i for i in s.scalars(select(DisposalItem))}


def _decide(client: FlaskClient, item_ids: list[int], decision: str, **fields: Any) -> Any:
    data: dict[str, Any] = {"item": [str(i) for i in item_ids], "decision": decision, **fields}
    return _post(client, "/records-management/queue/decide", data, token_from="/")


# --- who may use them -------------------------------------------------------------------------


def test_a_civil_servant_is_refused_every_records_management_page(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "clerk")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "for records managers" in response.text


def test_a_civil_servant_cannot_decide_even_with_a_valid_form(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "clerk")
    response = _decide(client, [item.id], "approve", reason="tidy up")
    assert response.status_code == 403
    assert _items(rm)[rm.docs["invoice"]].status == "pending"


def test_the_pages_ask_for_sign_in_first(client: FlaskClient, rm: World) -> None:
    response = client.get("/records-management/queue")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_a_records_manager_can_open_every_page(client: FlaskClient, rm: World) -> None:
    queue_due(rm.runtime)
    sign_in(client, "recman")
    for path in PAGES:
        assert client.get(path).status_code == 200, path


def test_only_records_managers_see_the_records_management_link(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "clerk")
    assert "Records management" not in client.get("/").text
    sign_in(client, "recman")
    assert 'href="/records-management/"' in client.get("/").text


# --- the disposal queue and decisions ---------------------------------------------------------


def test_the_queue_shows_due_records_in_batches_by_class_and_action_with_counts(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    sign_in(client, "recman")
    page = client.get("/records-management/queue").text
    batches = page[page.index('id="batches"') : page.index("</table>", page.index('id="batches"'))]
    assert "FIN-AP-INV" in batches and "Destroy" in batches
    assert re.search(r"Waiting for review: <span[^>]*>3</span>", page)
    assert "Invoice 1001 from Acme Ltd" in page
    assert "Discipline case 17" not in page  # its class has no rule: never due


def test_the_queue_filters_by_class_and_action(client: FlaskClient, rm: World) -> None:
    queue_due(rm.runtime)
    sign_in(client, "recman")
    assert "Invoice 1001" in client.get("/records-management/queue?class_code=FIN-AP-INV").text
    page = client.get("/records-management/queue?class_code=FIN-AP-INV&action=transfer").text
    assert "Invoice 1001" not in page
    assert 'id="nothing-left"' in page


def test_a_records_manager_approves_ticked_items_through_the_form(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    items = _items(rm)
    chosen = [items[rm.docs["invoice"]].id, items[rm.docs["old"]].id]
    sign_in(client, "recman")
    response = _decide(client, chosen, "approve", reason="Past its retention period")
    assert response.status_code == 302
    after = _items(rm)
    assert after[rm.docs["invoice"]].status == "approved"
    assert after[rm.docs["old"]].status == "approved"
    assert after[rm.docs["sensitive"]].status == "pending"
    assert (
        "2 decisions recorded: 2 approved, ready to carry out."
        in client.get(response.headers["Location"]).text
    )


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    response = _decide(client, [item.id], "approve", reason="  ")
    assert response.status_code == 400
    assert "Enter a reason for the decision" in response.text
    assert _items(rm)[rm.docs["invoice"]].status == "pending"


def test_a_decision_without_the_csrf_token_is_refused(client: FlaskClient, rm: World) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    response = client.post(
        "/records-management/queue/decide",
        data={"item": str(item.id), "decision": "approve", "reason": "due"},
    )
    assert response.status_code == 400
    assert _items(rm)[rm.docs["invoice"]].status == "pending"


def test_a_decision_with_no_item_chosen_asks_for_one(client: FlaskClient, rm: World) -> None:
    queue_due(rm.runtime)
    sign_in(client, "recman")
    response = _decide(client, [], "approve", reason="due")
    assert response.status_code == 400
    assert "Choose at least one item" in response.text


def test_extending_needs_a_date_and_takes_the_item_out_of_the_queue(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    refused = _decide(client, [item.id], "extend", reason="Audit next year")
    assert refused.status_code == 400
    assert "Enter the date to extend to" in refused.text
    year = clock.now().year + 2
    done = _decide(
        client, [item.id], "extend", reason="Audit next year", new_date=["31", "3", str(year)]
    )
    assert done.status_code == 302
    assert _items(rm)[rm.docs["invoice"]].status == "extended"
    assert "Invoice 1001" not in client.get("/records-management/queue").text


def test_one_decision_for_every_item_matching_the_filters(client: FlaskClient, rm: World) -> None:
    queue_due(rm.runtime)
    sign_in(client, "recman")
    response = _post(
        client,
        "/records-management/queue/decide",
        {
            "scope": "matching",
            "status": "pending",
            "class_code": "FIN-AP-INV",
            "decision": "reject",
            "reason": "Still needed for the audit",
        },
        token_from="/",
    )
    assert response.status_code == 302
    assert {i.status for i in _items(rm).values()} == {"rejected"}


def test_the_same_person_cannot_decide_a_second_stage_and_the_refusal_is_audited(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    _decide(client, [item.id], "refer", reason="Needs the finance director's view")
    second = _decide(client, [item.id], "approve", reason="Fine by me")
    page = client.get(second.headers["Location"]).text
    assert "needs a different reviewer" in page
    after = _items(rm)[rm.docs["invoice"]]
    assert (after.status, after.stage, after.stages) == ("pending", 2, 2)
    with rm.runtime.uow() as s:
        refusals = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "disposal.decision_refused")
        ).all()
    assert [e.actor for e in refusals] == ["recman"]
    sign_in(client, "recman2")
    _decide(client, [item.id], "approve", reason="Agreed")
    assert _items(rm)[rm.docs["invoice"]].status == "approved"


def test_a_decision_on_several_items_with_one_refused_decides_none_and_says_why(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    items = _items(rm)
    invoice, old = items[rm.docs["invoice"]].id, items[rm.docs["old"]].id
    sign_in(client, "recman")
    _decide(client, [invoice], "refer", reason="Needs the finance director's view")
    response = _decide(client, [invoice, old], "approve", reason="Past its retention period")
    page = client.get(response.headers["Location"]).text
    assert f"Item {invoice}: you decided stage 1" in page
    assert "None of the 2 items was decided" in page
    assert _items(rm)[rm.docs["old"]].status == "pending"


def test_an_items_page_shows_its_decisions_and_takes_a_decision(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    response = _post(
        client,
        "/records-management/queue/decide",
        {"item": str(item.id), "back": str(item.id), "decision": "refer", "reason": "Ask legal"},
        token_from=f"/records-management/queue/{item.id}",
    )
    assert "/records-management/queue/" in response.headers["Location"]  # the next item
    page = client.get(f"/records-management/queue/{item.id}").text
    decisions = page[page.index('id="decisions"') :]
    assert "Referred" in decisions and "Ask legal" in decisions and "recman" in decisions
    assert "Referred at first review, waiting for second review" in page
    assert 'id="reviewed-by-you"' in page and "Decide on stage 2" not in page


def test_a_missing_queue_item_is_not_found(client: FlaskClient, rm: World) -> None:
    sign_in(client, "recman")
    assert client.get("/records-management/queue/999999").status_code == 404


# --- execution and certificates ---------------------------------------------------------------


def test_carrying_out_approved_destruction_files_a_certificate_listed_on_its_page(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    _decide(client, [item.id], "approve", reason="Past its retention period")
    response = confirm_execution(client)
    assert response.headers["Location"].endswith("/records-management/execute/done")
    page = client.get(response.headers["Location"]).text
    assert "1 record destroyed; 1 certificate filed" in page
    page = client.get("/records-management/certificates").text
    assert "Download the certificate" in page and "Download the list of records (CSV)" in page
    with rm.runtime.uow() as s:
        assert s.get(Document, rm.docs["invoice"]).status == "destroyed"
        assert s.get(Document, rm.docs["sensitive"]).status == "filed"  # never approved


def test_carrying_out_with_nothing_approved_destroys_nothing(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    sign_in(client, "recman")
    page = client.get("/records-management/execute/check").text
    assert "There are no approved decisions to carry out now." in page
    assert 'name="confirm"' not in page
    with rm.runtime.uow() as s:
        assert {d.status for d in s.scalars(select(Document))} == {"filed"}


# --- holds ------------------------------------------------------------------------------------


def test_a_hold_placed_on_the_page_keeps_a_due_record_out_of_the_queue_until_lifted(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "recman")
    placed = _post(
        client,
        "/records-management/holds",
        {
            "reason": "FOI request 2025/117",
            "authority": "FOI team",
            "folder_code": "FIN-AP-INV-2024",
        },
        token_from="/records-management/holds",
    )
    assert placed.status_code == 302
    hold_page = client.get(placed.headers["Location"]).text
    assert "FOI request 2025/117" in hold_page and "Everything under FIN-AP-INV-2024" in hold_page
    queue_due(rm.runtime)
    assert rm.docs["invoice"] not in _items(rm)
    record = client.get(f"/documents/{rm.docs['invoice']}").text
    assert "Under legal hold" in record

    hold_id = int(placed.headers["Location"].rsplit("/", 1)[1])
    lifted = _post(
        client,
        f"/records-management/holds/{hold_id}",
        {"reason": "Request answered"},
        token_from=placed.headers["Location"],
    )
    assert lifted.status_code == 302
    queue_due(rm.runtime)
    assert rm.docs["invoice"] in _items(rm)


def test_a_hold_must_name_exactly_one_thing_to_cover(client: FlaskClient, rm: World) -> None:
    sign_in(client, "recman")
    response = _post(
        client,
        "/records-management/holds",
        {"reason": "Litigation", "authority": "Legal", "document_id": "1", "folder_code": "FIN"},
        token_from="/records-management/holds",
    )
    assert response.status_code == 400
    assert "Fill in exactly one" in response.text
    with rm.runtime.uow() as s:
        assert s.scalars(select(LegalHold)).all() == []


def test_a_hold_in_use_cannot_be_deleted_from_its_page(client: FlaskClient, rm: World) -> None:
    sign_in(client, "recman")
    placed = _post(
        client,
        "/records-management/holds",
        {"reason": "Inquiry", "authority": "The Inquiry", "document_id": str(rm.docs["invoice"])},
        token_from="/records-management/holds",
    )
    hold_url = placed.headers["Location"]
    response = _post(client, f"{hold_url}/delete", {}, token_from=hold_url)
    assert "it covers 1 record" in client.get(response.headers["Location"]).text
    with rm.runtime.uow() as s:
        assert len(s.scalars(select(LegalHold)).all()) == 1


# --- events, schedule, forecast, audit --------------------------------------------------------


def test_recording_an_event_through_the_form(client: FlaskClient, rm: World) -> None:
    sign_in(client, "recman")
    response = _post(
        client,
        "/records-management/events",
        {
            "name": "contract_ended",
            "folder_code": "FIN-AP-INV-2024",
            "occurred_on": ["1", "2", "2025"],
        },
        token_from="/records-management/events",
    )
    assert response.status_code == 302
    with rm.runtime.uow() as s:
        event = s.scalars(select(RetentionEvent)).one()
        assert (event.name, event.occurred_on) == ("contract_ended", date(2025, 2, 1))
    assert "contract_ended" in client.get("/records-management/events").text


def test_an_event_naming_nothing_is_rejected(client: FlaskClient, rm: World) -> None:
    sign_in(client, "recman")
    response = _post(
        client,
        "/records-management/events",
        {"name": "employee_left", "occurred_on": ["1", "2", "2025"]},
        token_from="/records-management/events",
    )
    assert response.status_code == 400
    assert "Name either a folder or class code, or a document number" in response.text


def test_the_schedule_page_shows_each_class_rule_and_where_it_is_inherited_from(
    client: FlaskClient, rm: World
) -> None:
    from edrm.fileplan.models import FilePlanNode

    with rm.runtime.uow() as s:
        nodes = {n.code: n for n in s.scalars(select(FilePlanNode))}
        nodes["FIN-AP"].retention_rule = "DESTROY-7Y"
        nodes["FIN-AP-INV"].retention_rule = None
    sign_in(client, "recman")
    page = client.get("/records-management/schedule").text

    def row(code: str) -> str:
        start = page.index(f'data-class="{code}"')
        return page[start : page.index("</tr>", start)]

    assert "DESTROY-7Y" in row("FIN-AP") and "inherited" not in row("FIN-AP")
    assert "DESTROY-7Y" in row("FIN-AP-INV") and "inherited from FIN-AP" in row("FIN-AP-INV")
    assert "DESTROY-7Y" not in row("FIN")
    assert 'id="rule-DESTROY-7Y"' in page and "Companies Act 2006 s.388" in page


def test_the_schedule_downloads_as_csv(client: FlaskClient, rm: World) -> None:
    sign_in(client, "recman")
    response = client.get("/records-management/schedule.csv")
    assert response.mimetype == "text/csv"
    assert "DESTROY-7Y" in response.text


def test_a_schedule_edited_as_csv_is_imported_through_the_page(
    client: FlaskClient, rm: World
) -> None:
    import io

    sign_in(client, "recman")
    text = client.get("/records-management/schedule.csv").text
    header, *rows = text.splitlines()
    columns = header.split(",")
    for n, row in enumerate(rows):
        cells = row.split(",")
        if cells[columns.index("code")] == "DESTROY-7Y":
            cells[columns.index("years")] = "8"
            rows[n] = ",".join(cells)
    edited = "\n".join([header, *rows]).encode()
    response = client.post(
        "/records-management/schedule",
        data={"file": (io.BytesIO(edited), "schedule.csv"), "csrf_token": _csrf(client, "/")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200  # the preview: nothing imported yet
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', response.text))
    import html

    fields = {k: html.unescape(v) for k, v in fields.items()}
    response = client.post("/records-management/schedule/import", data=fields)
    assert response.status_code == 302
    assert "1 changed" in client.get(response.headers["Location"]).text
    with rm.runtime.uow() as s:
        from retention.schedule import get_rule

        assert get_rule(s, "DESTROY-7Y").period.years == 8


def test_the_forecast_counts_records_falling_due_by_class_and_month(
    client: FlaskClient, rm: World
) -> None:
    from datetime import timedelta

    queue_due(rm.runtime, as_of=date(2000, 1, 1))  # computes due dates; queues nothing
    months_before_due = clock.now().replace(year=clock.now().year + 7) - timedelta(days=60)
    clock.set_clock(lambda: months_before_due)
    try:
        sign_in(client, "recman")  # at that moment: a session from 7 years before has ended
        page = client.get("/records-management/forecast").text
    finally:
        clock.set_clock(None)
    row = page[page.index('data-class="FIN-AP-INV"') :]
    row = row[: row.index("</tr>")]
    assert "Destroy" in row
    assert re.search(r"<strong>3</strong>", row)  # the three invoices, created today


def test_the_audit_search_finds_entries_by_actor_and_action(client: FlaskClient, rm: World) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    _decide(client, [item.id], "approve", reason="Past its retention period")
    page = client.get("/records-management/audit?actor=recman&action=disposal.decide").text
    entries = page[page.index('id="audit-entries"') :]
    assert "disposal.decide" in entries and "Past its retention period" in entries
    assert "login" not in entries
    bad = client.get("/records-management/audit?from=yesterday")
    assert bad.status_code == 400


# --- transfers --------------------------------------------------------------------------------


def test_a_transfer_is_written_and_local_destruction_waits_for_the_receipt(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    with rm.runtime.uow() as s:
        s.get(DisposalItem, item.id).action = "transfer"
    sign_in(client, "recman")
    _decide(client, [item.id], "approve", reason="Selected for preservation")
    written = _post(client, "/records-management/transfers/export", {}, token_from="/")
    transfer_url = written.headers["Location"]
    assert "Record the archive" in client.get(transfer_url).text
    with rm.runtime.uow() as s:
        assert s.get(Document, rm.docs["invoice"]).status == "filed"
    confirmed = _post(
        client, transfer_url, {"receipt": "TNA accession 2040/12"}, token_from=transfer_url
    )
    assert confirmed.status_code == 302
    with rm.runtime.uow() as s:
        assert s.get(Document, rm.docs["invoice"]).status == "destroyed"
    assert "TNA accession 2040/12" in client.get(transfer_url).text


# --- for everyone: a record's rule and due date, and the consequence of filing ---------------


def test_a_civil_servant_sees_the_rule_and_due_date_on_a_record(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime, as_of=date(2000, 1, 1))
    sign_in(client, "clerk")
    page = client.get(f"/documents/{rm.docs['invoice']}").text
    details = page[page.index('id="details"') :]
    details = details[: details.index("</dl>")]
    assert "DESTROY-7Y" in details and "inherited from FIN-AP-INV" in details
    due = clock.now().date().replace(year=clock.now().year + 7)
    assert f"{due:%-d %B %Y}, then destroy" in details
    assert "Disposal queue" not in details  # the queue is the records managers' business


def test_a_records_manager_sees_a_records_place_in_the_disposal_queue_on_its_page(
    client: FlaskClient, rm: World
) -> None:
    queue_due(rm.runtime)
    item = _items(rm)[rm.docs["invoice"]]
    sign_in(client, "recman")
    page = client.get(f"/documents/{rm.docs['invoice']}").text
    assert f'href="/records-management/queue/{item.id}">Waiting for review, stage 1 of 1' in page


def test_filing_in_a_class_says_what_will_happen_to_the_record(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "clerk")
    answer = client.get("/records-management/consequence?code=FIN-AP-INV").get_json()
    until = clock.now().date().replace(year=clock.now().year + 7)
    assert answer["consequence"] == f"kept until {until:%B %Y}, then destroyed"
    assert 'data-consequence="/records-management/consequence"' in client.get("/upload").text


def test_the_consequence_of_a_class_the_person_may_not_see_is_not_found(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "clerk")
    response = client.get("/records-management/consequence?code=HR-CASE-DIS")
    assert response.status_code == 404
    assert "HR-CASE-DIS" in response.get_json()["error"]
