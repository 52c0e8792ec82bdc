"""Carrying out approved decisions through the pages: a check page first (what would be
destroyed, by title, with a warning), an explicit confirmation, then a confirmation page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.documents.models import Document
from retention.models import DisposalItem
from tests.conftest import World, sign_in
from tests.retention.disposal_helpers import confirm_execution, with_records_management
from tests.retention.disposal_world import queue_due

pytestmark = pytest.mark.sqlite_only

CHECK = "/records-management/execute/check"


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def _token(client: FlaskClient) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def _approve(client: FlaskClient, rm: World, *names: str) -> list[int]:
    with rm.runtime.uow() as s:
        items = {i.document_id: i.id for i in s.scalars(select(DisposalItem))}
    ids = [items[rm.docs[n]] for n in names]
    data: dict[str, Any] = {
        "item": [str(i) for i in ids],
        "decision": "approve",
        "reason": "Past its retention period",
        "csrf_token": _token(client),
    }
    assert client.post("/records-management/queue/decide", data=data).status_code == 302
    return ids


def _status(rm: World, name: str) -> str:
    with rm.runtime.uow() as s:
        document = s.get(Document, rm.docs[name])
        assert document is not None
        return document.status


def test_carrying_out_without_the_confirmation_destroys_nothing(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: a POST without the confirm field is sent to the check page and
    destroys nothing (as the old one-click button did)."""
    queue_due(rm.runtime)
    sign_in(client, "recman")
    (item_id,) = _approve(client, rm, "invoice")
    response = client.post("/records-management/execute", data={"csrf_token": _token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(CHECK)
    assert _status(rm, "invoice") == "filed"
    with rm.runtime.uow() as s:
        item = s.get(DisposalItem, item_id)
        assert item is not None and item.status == "approved"


def test_the_check_page_lists_what_would_be_destroyed_with_a_warning_and_destroys_nothing(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: the check page names each record that would be destroyed, counts
    them, warns that destruction cannot be undone and asks for an explicit confirmation."""
    queue_due(rm.runtime)
    sign_in(client, "recman")
    _approve(client, rm, "invoice", "old")
    page = client.get(CHECK).text
    destroy = page[page.index('id="destroy-list"') :]
    destroy = destroy[: destroy.index("</ul>")]
    assert "Invoice 1001 from Acme Ltd" in destroy
    assert destroy.count("<li>") == 2
    assert '<span id="count-destroy">2</span> records' in page
    assert "Destruction cannot be undone" in page
    assert 'name="confirm" value="yes"' in page and "Confirm and destroy 2 records" in page
    assert _status(rm, "invoice") == _status(rm, "old") == "filed"


def test_confirming_carries_out_and_the_confirmation_page_says_what_was_done(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: the confirmation carries out the approved decisions, then a GOV.UK
    confirmation panel says how many records went and links to the certificate's batch."""
    queue_due(rm.runtime)
    sign_in(client, "recman")
    _approve(client, rm, "invoice")
    response = confirm_execution(client)
    assert response.headers["Location"].endswith("/records-management/execute/done")
    page = client.get(response.headers["Location"]).text
    assert "govuk-panel" in page and "Approved decisions carried out" in page
    assert "1 record destroyed; 1 certificate filed" in page
    assert re.search(r'href="/records-management/certificates/\d+">Batch \d+', page)
    assert _status(rm, "invoice") == "destroyed"
    assert _status(rm, "sensitive") == "filed"  # never approved


def test_a_confirmation_given_for_a_list_that_has_changed_since_is_refused(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: the confirmation names the list the person checked; if more was
    approved meanwhile, nothing is carried out and the check page is shown again."""
    queue_due(rm.runtime)
    sign_in(client, "recman")
    _approve(client, rm, "invoice")
    page = client.get(CHECK).text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    _approve(client, rm, "old")
    response = client.post("/records-management/execute", data=fields)
    assert response.status_code == 409
    assert "changed since you checked it" in response.text
    assert _status(rm, "invoice") == _status(rm, "old") == "filed"


def test_the_queue_offers_the_check_page_not_a_one_click_destruction(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: "Carry out approved decisions" on the queue is a link to the check
    page, not a form that destroys."""
    queue_due(rm.runtime)
    sign_in(client, "recman")
    _approve(client, rm, "invoice")
    page = client.get("/records-management/queue").text
    assert re.search(r'<a href="/records-management/execute/check"[^>]*id="execute-button"', page)
    assert 'action="/records-management/execute"' not in page
