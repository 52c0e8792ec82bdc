"""Legal holds where people meet them (issue 12 item 6): a held record's page says at the top
which hold covers it, why and who placed it; changes it would refuse are not offered, and a
refused one names the hold; a hold's page lists what it covers (only what the viewer may see,
counted all the same) and offers "Delete" only when deleting would be allowed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.documents.service import move_document
from edrm.errors import RefusedError
from edrm.fileplan.service import create_folder
from retention.holds import lift_hold, place_hold
from tests.conftest import World, add_person, sign_in

pytestmark = pytest.mark.sqlite_only  # pages over services tested on both databases

REASON = "Employment tribunal: Acme v the Department"


def _csrf(client: FlaskClient, path: str = "/") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _post(client: FlaskClient, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data={**(data or {}), "csrf_token": _csrf(client)})


def _hold(world: World, *, document: str | None = None, folder: str | None = None) -> int:
    with world.runtime.uow() as s:
        return place_hold(
            s,
            reason=REASON,
            authority="Government Legal Department",
            actor=world.people["recman"],
            document_id=world.docs[document] if document else None,
            folder_code=folder,
        ).id


def _refusals(world: World, document_id: int) -> list[str]:
    with world.runtime.uow() as s:
        return [
            json.loads(e.details)["change"]
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "hold.refused")
                .order_by(AuditEvent.seq)
            )
            if e.object_id == str(document_id)
        ]


# --- the record's page ----------------------------------------------------------------------------


def test_a_held_records_page_warns_at_the_top_naming_the_hold(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 6: the hold is told above the record's title: which hold, its reason, its
    authority and who placed it."""
    hold_id = _hold(world, document="invoice")
    sign_in(client, "clerk")
    page = client.get(f"/documents/{world.docs['invoice']}").text
    banner = page.index("This record is on legal hold")
    assert banner < page.index("<h1")
    notice = page[banner : page.index("<h1")]
    assert f"Legal hold {hold_id}" in notice and REASON in notice
    assert "Government Legal Department" in notice and "Placed by recman" in notice


def test_only_records_managers_get_a_link_to_the_hold(client: FlaskClient, world: World) -> None:
    """Issue 12 item 6: the hold's page is linked for those who may open it (records
    managers), and not for the record's filer."""
    hold_id = _hold(world, document="invoice")
    link = f'href="/records-management/holds/{hold_id}"'
    sign_in(client, "clerk")
    assert link not in client.get(f"/documents/{world.docs['invoice']}").text
    sign_in(client, "recman")
    assert link in client.get(f"/documents/{world.docs['invoice']}").text


def test_a_held_records_page_offers_no_change_the_hold_forbids(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 6: Declare, Edit, Move and new version are not offered while held (a
    button that leads to a refusal is a dead end)."""
    record = f"/documents/{world.docs['invoice']}"
    offers = [f'"{record}/{action}"' for action in ("declare", "edit", "move", "versions/new")]
    sign_in(client, "clerk")
    before = client.get(record).text
    assert all(offer in before for offer in offers)
    _hold(world, document="invoice")
    page = client.get(record).text
    assert [offer for offer in offers if offer in page] == []


def test_declaring_a_held_record_names_the_hold_and_leads_back(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 6: a declaration sent anyway (from a page opened before the hold) is
    refused on a page naming the hold, with a way back to the record; the refusal is
    audited."""
    hold_id = _hold(world, document="invoice")
    sign_in(client, "clerk")
    answer = _post(client, f"/documents/{world.docs['invoice']}/declare")
    assert answer.status_code == 403
    assert "You cannot declare this record" in answer.text
    assert f"Legal hold {hold_id}" in answer.text and REASON in answer.text
    assert f'href="/documents/{world.docs["invoice"]}">Back to the record' in answer.text
    with world.runtime.uow() as s:
        document = s.get(Document, world.docs["invoice"])
        assert document is not None and not document.is_record
    assert _refusals(world, world.docs["invoice"]) == ["declare"]


def test_moving_a_held_record_as_its_owner_names_the_hold(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 6: the filer may move their record, but not while it is held: the page
    says which hold and why, not "you may not move"."""
    hold_id = _hold(world, folder="FIN-AP-INV-2024")  # the folder the clerk's invoice is in
    sign_in(client, "clerk")
    page = client.get(f"/documents/{world.docs['invoice']}/move")
    assert page.status_code == 403
    assert f"Legal hold {hold_id}" in page.text and REASON in page.text
    assert "it covers everything in FIN-AP-INV-2024 Supplier invoices 2024-25" in page.text
    assert "Only Clerk" not in page.text


def test_someone_else_moving_a_held_record_hears_of_both_the_hold_and_who_may(
    world: World,
) -> None:
    """Issue 12 item 6: refusing someone who may not move the record anyway still names the
    hold on it (the service's words, as the command line shows them)."""
    _hold(world, document="invoice")
    with world.runtime.uow() as s, pytest.raises(RefusedError) as refused:
        move_document(s, world.docs["invoice"], "SEC-OPS-INC", actor=world.people["analyst"])
    words = str(refused.value)
    assert words.startswith(f"you may not move document {world.docs['invoice']}")
    assert "only the person who filed it or a records manager may" in words
    assert "under legal hold" in words and REASON in words


# --- the hold's page ----------------------------------------------------------------------------


def test_a_hold_page_lists_the_records_under_a_folder_it_holds(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 6: a folder hold's page lists the records filed there, linked, with how
    many it covers."""
    hold_id = _hold(world, folder="FIN-AP-INV-2024")
    sign_in(client, "recman")
    page = client.get(f"/records-management/holds/{hold_id}").text
    assert "Records covered (1)" in page
    assert f'href="/documents/{world.docs["invoice"]}">Invoice 1001 from Acme Ltd</a>' in page
    assert 'href="/fileplan/FIN-AP-INV-2024"' in page


def test_a_hold_page_lists_only_what_the_viewer_may_see_and_counts_the_rest(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 6: a records manager not cleared for some covered records sees them
    counted, not named."""
    with world.runtime.uow() as s:
        add_person(s, "offrm", "records_manager", "OFFICIAL")
    hold_id = _hold(world, folder="FIN-AP-INV")  # the invoices, the bank details (SENSITIVE)
    sign_in(client, "offrm")
    page = client.get(f"/records-management/holds/{hold_id}").text
    assert "Records covered (3)" in page
    assert "Invoice 1001 from Acme Ltd" in page and "Invoice 17 from Beta plc" in page
    assert "Supplier bank details" not in page
    assert "A record you are not cleared to see" in page


def test_a_hold_in_force_that_covers_records_offers_no_delete_and_says_why(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 6: "Delete this hold" is not shown where the service would refuse it;
    the page says why and what to do instead."""
    hold_id = _hold(world, document="invoice")
    sign_in(client, "recman")
    page = client.get(f"/records-management/holds/{hold_id}").text
    assert "Delete this hold" not in page
    assert "A hold in force that covers records cannot be deleted" in page
    assert "Lift it first" in page


def test_a_lifted_hold_offers_delete(client: FlaskClient, world: World) -> None:
    """Issue 12 item 6: once lifted, a hold placed by mistake can be deleted from its page."""
    hold_id = _hold(world, document="invoice")
    with world.runtime.uow() as s:
        lift_hold(s, hold_id, reason="Placed on the wrong record", actor=world.people["recman"])
    sign_in(client, "recman")
    assert "Delete this hold" in client.get(f"/records-management/holds/{hold_id}").text


def test_a_hold_covering_nothing_yet_offers_delete(client: FlaskClient, world: World) -> None:
    """Issue 12 item 6: a hold in force on an empty folder covers no record, so the service
    allows deleting it, and the page offers it."""
    with world.runtime.uow() as s:
        create_folder(s, "FIN-AP-INV-2030", "FIN-AP-INV", "Supplier invoices 2030-31")
    hold_id = _hold(world, folder="FIN-AP-INV-2030")
    sign_in(client, "recman")
    page = client.get(f"/records-management/holds/{hold_id}").text
    assert "Records covered (0)" in page and "Delete this hold" in page
    deleted = _post(client, f"/records-management/holds/{hold_id}/delete")
    assert deleted.status_code == 302 and "all=1" in deleted.headers["Location"]
