"""Records managers below a record's marking, on the records managers' pages: the queue, one
item, decisions, execution, holds, transfers and certificates never show them the title of a
record they may not see, and they cannot decide on it or carry it out. Withheld records are
still counted, as lines that say they are withheld."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.documents.models import Document
from retention.models import DisposalBatch, DisposalItem, LegalHold
from tests.conftest import World, add_person, file_text, sign_in
from tests.retention.disposal_helpers import confirm_execution, with_records_management
from tests.retention.disposal_world import queue_due

pytestmark = pytest.mark.sqlite_only

SECRET_TITLE = "Acme fraud referral to the police"
SENSITIVE_TITLE = "Supplier bank details"  # OFFICIAL-SENSITIVE, in the small world
WITHHELD = "A record you are not cleared to see"


@pytest.fixture
def rm(world: World) -> World:
    """The small world with records management, a SECRET invoice-class record due with the
    others, and `offrm`: a records manager cleared only for OFFICIAL."""
    world = with_records_management(world)
    with world.runtime.uow() as s:
        world.docs["fraud"] = file_text(
            s,
            world.runtime,
            "FIN-AP-INV-2024",
            SECRET_TITLE,
            marking="SECRET",
            filename="acme-fraud-referral.txt",
        )
        world.people["offrm"] = add_person(s, "offrm", "records_manager", "OFFICIAL")
    queue_due(world.runtime)
    return world


def _items(rm: World) -> dict[int, DisposalItem]:
    with rm.runtime.uow() as s:
        return {i.document_id: i for i in s.scalars(select(DisposalItem))}


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data={**data, "csrf_token": _csrf(client, "/")})


def _decide(client: FlaskClient, item_ids: list[int], decision: str, reason: str) -> Any:
    return _post(
        client,
        "/records-management/queue/decide",
        {"item": [str(i) for i in item_ids], "decision": decision, "reason": reason},
    )


def _hidden_titles_absent(page: str) -> None:
    assert SECRET_TITLE not in page
    assert "acme-fraud-referral" not in page
    assert SENSITIVE_TITLE not in page


# --- the queue and its items --------------------------------------------------------------------


def test_the_queue_shows_a_record_above_the_managers_clearance_without_its_title_as_needing_a_cleared_reviewer(  # noqa: E501
    client: FlaskClient, rm: World
) -> None:
    fraud = _items(rm)[rm.docs["fraud"]]
    sign_in(client, "offrm")
    page = client.get("/records-management/queue").text
    _hidden_titles_absent(page)
    assert "Invoice 1001 from Acme Ltd" in page  # what they may see is there as before
    row = page[page.index(f'data-item="{fraud.id}"') :]
    row = row[: row.index("</tr>")]
    assert WITHHELD in row and "Needs a cleared reviewer" in row
    assert 'name="item"' not in row  # nothing to tick: they cannot decide on it
    assert re.search(r"Waiting for review: <span[^>]*>4</span>", page)  # still counted
    assert "4 items." in page  # one row per item, withheld ones included


def test_a_cleared_manager_sees_the_same_row_with_its_title(client: FlaskClient, rm: World) -> None:
    sign_in(client, "recman")
    page = client.get("/records-management/queue").text
    assert SECRET_TITLE in page and "Needs a cleared reviewer" not in page


def test_the_item_page_of_a_record_above_the_managers_clearance_shows_no_title_stub_or_form(
    client: FlaskClient, rm: World
) -> None:
    fraud = _items(rm)[rm.docs["fraud"]]
    sign_in(client, "recman")
    _decide(client, [fraud.id], "refer", f"Ask legal about {SECRET_TITLE}")
    sign_in(client, "offrm")
    response = client.get(f"/records-management/queue/{fraud.id}")
    assert response.status_code == 200  # the queue showed the item: its record is withheld
    page = response.text
    _hidden_titles_absent(page)
    assert 'id="needs-cleared-reviewer"' in page
    assert "Decide on stage" not in page
    decisions = page[page.index('id="decisions"') :]
    assert "Refer" in decisions and "recman" in decisions  # the decision, not its reason
    assert f'/documents/{rm.docs["fraud"]}"' not in page
    assert f"object_id={rm.docs['fraud']}" not in page


def test_a_records_manager_not_cleared_for_a_record_cannot_decide_on_it(
    client: FlaskClient, rm: World
) -> None:
    fraud = _items(rm)[rm.docs["fraud"]]
    sign_in(client, "offrm")
    response = _decide(client, [fraud.id], "approve", "Past its retention period")
    page = client.get(response.headers["Location"]).text
    assert f"Item {fraud.id}: disposal item {fraud.id} needs a cleared reviewer" in page
    _hidden_titles_absent(page)
    assert _items(rm)[rm.docs["fraud"]].status == "pending"


def test_the_review_service_refuses_an_uncleared_managers_decision_and_audits_it(
    rm: World,
) -> None:
    from edrm.audit import AuditEvent
    from edrm.errors import RefusedError
    from retention.review import decide_many

    fraud = _items(rm)[rm.docs["fraud"]]
    with pytest.raises(RefusedError, match="needs a cleared reviewer"), rm.runtime.uow() as s:
        decide_many(s, [fraud.id], "approve", reason="due", actor=rm.people["offrm"])
    with rm.runtime.uow() as s:
        refused = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "disposal.decision_refused")
        ).all()
        assert [e.actor for e in refused] == ["offrm"]
        assert s.get(DisposalItem, fraud.id).status == "pending"


def test_deciding_every_matching_item_decides_only_the_ones_the_manager_is_cleared_for(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "offrm")
    page = client.get("/records-management/queue").text
    assert "All 2 items waiting for review that you are cleared to decide" in page
    response = _post(
        client,
        "/records-management/queue/decide",
        {"scope": "matching", "status": "pending", "decision": "reject", "reason": "Keep"},
    )
    assert response.status_code == 302
    statuses = {doc: i.status for doc, i in _items(rm).items()}
    assert statuses[rm.docs["invoice"]] == statuses[rm.docs["old"]] == "rejected"
    assert statuses[rm.docs["fraud"]] == statuses[rm.docs["sensitive"]] == "pending"


def test_carrying_out_approved_destruction_leaves_records_the_manager_is_not_cleared_for(
    client: FlaskClient, rm: World
) -> None:
    items = _items(rm)
    sign_in(client, "recman")
    _decide(client, [items[rm.docs["fraud"]].id, items[rm.docs["invoice"]].id], "approve", "Due")
    sign_in(client, "offrm")
    response = confirm_execution(client)
    page = client.get(response.headers["Location"]).text
    assert "1 item not carried out: they need a records manager cleared" in page
    with rm.runtime.uow() as s:
        assert s.get(Document, rm.docs["invoice"]).status == "destroyed"
        assert s.get(Document, rm.docs["fraud"]).status == "filed"
        assert s.get(DisposalItem, items[rm.docs["fraud"]].id).status == "approved"


# --- holds --------------------------------------------------------------------------------------


def test_a_hold_page_lists_a_record_above_the_managers_clearance_as_withheld(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "recman")
    placed = _post(
        client,
        "/records-management/holds",
        {"reason": "Inquiry", "authority": "The Inquiry", "document_id": str(rm.docs["fraud"])},
    )
    hold_url = placed.headers["Location"]
    assert SECRET_TITLE in client.get(hold_url).text
    sign_in(client, "offrm")
    page = client.get(hold_url).text
    _hidden_titles_absent(page)
    assert "Records covered (1)" in page and WITHHELD in page
    assert f"Document {rm.docs['fraud']}" not in page
    listing = client.get("/records-management/holds").text
    assert WITHHELD in listing and f"Document {rm.docs['fraud']}" not in listing


def test_a_folder_hold_on_a_folder_the_manager_may_not_see_is_withheld_and_cannot_be_placed(
    client: FlaskClient, rm: World
) -> None:
    sign_in(client, "recman")  # in the hr group: may see HR-CASE
    placed = _post(
        client,
        "/records-management/holds",
        {"reason": "Tribunal", "authority": "Legal", "folder_code": "HR-CASE-DIS"},
    )
    hold_url = placed.headers["Location"]
    sign_in(client, "offrm")  # not in the hr group
    page = client.get(hold_url).text
    assert "HR-CASE-DIS" not in page and "Discipline cases" not in page
    assert "A file-plan place you are not cleared to see" in page
    refused = _post(
        client,
        "/records-management/holds",
        {"reason": "Tribunal", "authority": "Legal", "folder_code": "HR-CASE-DIS"},
    )
    missing = _post(
        client,
        "/records-management/holds",
        {"reason": "Tribunal", "authority": "Legal", "folder_code": "NO-SUCH-FOLDER"},
    )
    assert refused.status_code == missing.status_code == 400
    assert "file-plan node &#39;HR-CASE-DIS&#39; not found" in refused.text
    assert "file-plan node &#39;NO-SUCH-FOLDER&#39; not found" in missing.text
    with rm.runtime.uow() as s:
        assert len(s.scalars(select(LegalHold)).all()) == 1


# --- transfers and certificates -----------------------------------------------------------------


def test_a_transfer_page_lists_a_record_above_the_managers_clearance_as_withheld(
    client: FlaskClient, rm: World
) -> None:
    items = _items(rm)
    chosen = [items[rm.docs["fraud"]].id, items[rm.docs["invoice"]].id]
    with rm.runtime.uow() as s:
        for item_id in chosen:
            s.get(DisposalItem, item_id).action = "transfer"
    sign_in(client, "recman")
    _decide(client, chosen, "approve", "Selected for preservation")
    written = _post(client, "/records-management/transfers/export", {})
    transfer_url = written.headers["Location"]
    assert SECRET_TITLE in client.get(transfer_url).text
    sign_in(client, "offrm")
    page = client.get(transfer_url).text
    _hidden_titles_absent(page)
    records = page[page.index("Records in the package") :]
    assert "Invoice 1001 from Acme Ltd" in records
    assert records.count("data-withheld") == 1


def test_a_batch_page_lists_destroyed_records_above_the_managers_clearance_as_withheld(
    client: FlaskClient, rm: World
) -> None:
    items = _items(rm)
    sign_in(client, "recman")
    _decide(client, [items[rm.docs["fraud"]].id, items[rm.docs["invoice"]].id], "approve", "Due")
    confirm_execution(client)
    with rm.runtime.uow() as s:
        batch = s.scalars(select(DisposalBatch)).one()
        assert batch.status == "complete"
    assert SECRET_TITLE in client.get(f"/records-management/certificates/{batch.id}").text
    sign_in(client, "offrm")
    listing = client.get("/records-management/certificates").text
    assert "Certificate of destruction: batch" not in listing  # the certificate is SECRET too
    assert WITHHELD in listing
    page = client.get(f"/records-management/certificates/{batch.id}").text
    _hidden_titles_absent(page)
    records = page[page.index('id="batch-records"') :]
    assert "Invoice 1001 from Acme Ltd" in records
    assert records.count("data-withheld") == 1
    assert "1 of them is a record you are not cleared to see" in page
    assert client.get("/records-management/certificates/999999").status_code == 404


def test_the_cli_queue_as_an_uncleared_manager_withholds_the_title(cli: Any, rm: World) -> None:
    import json

    listed = cli("disposal", "list", "--as", "offrm", "--json")
    rows = {r["document_id"]: r for r in json.loads(listed.output)}
    assert rows[rm.docs["fraud"]]["withheld"] is True
    assert rows[rm.docs["invoice"]]["withheld"] is False
    text = cli("disposal", "list", "--as", "offrm").output
    assert SECRET_TITLE not in text and "needs a cleared reviewer" in text


def test_the_check_before_carrying_out_names_only_records_the_manager_may_see(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: the check page lists by title only the records the person may see;
    the others are counted as left for a cleared records manager."""
    items = _items(rm)
    sign_in(client, "recman")
    _decide(client, [items[rm.docs["fraud"]].id, items[rm.docs["invoice"]].id], "approve", "Due")
    sign_in(client, "offrm")
    page = client.get("/records-management/execute/check").text
    _hidden_titles_absent(page)
    assert "Invoice 1001 from Acme Ltd" in page
    assert '<span id="count-destroy">1</span> record' in page
    assert "1 item whose records you are not cleared to see" in page
