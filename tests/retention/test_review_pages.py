"""Deciding on the disposal queue through the pages: what a two-stage review says after its
first stage, one banner for a decision on many items, and where the person lands next."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from retention.models import DisposalItem
from tests.conftest import World, sign_in
from tests.retention.disposal_helpers import queue, with_records_management
from tests.retention.disposal_world import queue_due

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def _decide(client: FlaskClient, item_ids: list[int], decision: str, **extra: str) -> Any:
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get("/").text)
    assert token
    data: dict[str, Any] = {
        "item": [str(i) for i in item_ids],
        "decision": decision,
        "reason": "Past its retention period",
        "csrf_token": token.group(1),
        **extra,
    }
    return client.post("/records-management/queue/decide", data=data)


def _banners(page: str) -> int:
    return len(re.findall(r'class="govuk-notification-banner[ "]', page))


def _queued(rm: World) -> list[int]:
    with rm.runtime.uow() as s:
        return list(s.scalars(select(DisposalItem.id).order_by(DisposalItem.id)))


def test_an_item_approved_at_its_first_of_two_reviews_says_it_waits_for_the_second(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 9: stage 1 of a two-stage review does not say "Approved": the banner
    and the queue say "approved at first review, waiting for second review"."""
    item_id = queue(rm.runtime, rm.docs["invoice"], stages=2)
    sign_in(client, "recman")
    response = _decide(client, [item_id], "approve")
    page = client.get(response.headers["Location"]).text
    assert "1 decision recorded: 1 approved at first review, waiting for second review." in page
    sign_in(client, "recman2")
    queue_page = client.get("/records-management/queue").text
    row = queue_page[queue_page.index(f'data-item="{item_id}"') :]
    assert "Approved at first review, waiting for second review" in row[: row.index("</tr>")]


def test_a_decision_on_several_items_shows_one_summary_banner(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 9: one banner for a bulk decision, counting the decisions and what they
    came to, not one banner per item."""
    queue_due(rm.runtime)
    ids = _queued(rm)
    assert len(ids) == 3
    sign_in(client, "recman")
    response = _decide(client, ids, "approve")
    page = client.get(response.headers["Location"]).text
    assert _banners(page) == 1
    assert "3 decisions recorded: 3 approved, ready to carry out." in page


def test_a_refused_decision_on_several_items_shows_one_banner_naming_each_refusal(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 9: the refusals of a bulk decision are one banner, each item named."""
    queue_due(rm.runtime)
    first, second, _ = _queued(rm)
    sign_in(client, "recman")
    _decide(client, [first, second], "refer")
    page = client.get(_decide(client, [first, second], "approve").headers["Location"]).text
    assert _banners(page) == 1
    assert f"Item {first}: you decided stage 1" in page
    assert f"Item {second}: you decided stage 1" in page


def test_after_deciding_a_whole_batch_the_person_sees_what_is_left_not_an_empty_view(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 9: deciding the last items of a filtered batch returns the person to
    the queue, which says nothing is left and links to the approved decisions."""
    queue_due(rm.runtime)
    sign_in(client, "recman")
    response = _decide(
        client, [], "approve", scope="matching", status="pending", class_code="FIN-AP-INV"
    )
    assert response.headers["Location"].endswith("/records-management/queue")
    page = client.get(response.headers["Location"]).text
    assert "Nothing is left for you to decide in that batch." in page
    assert 'id="nothing-left"' in page
    assert 'href="/records-management/execute/check">Carry out the 3 approved decisions' in page


def test_after_deciding_on_an_items_page_the_next_item_to_decide_opens(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 9: a decision on an item's own page leads to the next item the person
    may decide, and after the last one to the queue."""
    queue_due(rm.runtime)
    first, second, third = _queued(rm)
    sign_in(client, "recman")
    response = _decide(client, [first], "approve", back=str(first))
    assert response.headers["Location"].endswith(f"/records-management/queue/{second}")
    assert f"Next: item {second}." in client.get(response.headers["Location"]).text
    _decide(client, [second], "approve", back=str(second))
    response = _decide(client, [third], "approve", back=str(third))
    assert response.headers["Location"].endswith("/records-management/queue")
    assert 'id="nothing-left"' in client.get(response.headers["Location"]).text
