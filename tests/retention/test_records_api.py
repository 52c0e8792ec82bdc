"""Records management on the JSON API (issue 13 part 3): the queue and its decisions, holds,
events and the schedule, for records managers with a `records` token, through the services."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import World
from tests.retention.disposal_helpers import queue, with_records_management
from tests.test_api_style import bearer

pytestmark = pytest.mark.sqlite_only  # the web layer over services tested on both engines


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def test_a_decision_is_recorded_with_its_reason(rm: World, client: FlaskClient) -> None:
    item = queue(rm.runtime, rm.docs["invoice"])
    auth = bearer(rm, "recman", "read", "write", "records")
    listed = client.get("/api/v1/disposal/queue", headers=auth).get_json()
    assert [i["id"] for i in listed["items"]] == [item]
    made = client.post(
        f"/api/v1/disposal/queue/{item}/decisions",
        json={"decision": "approve", "reason": "past its retention period"},
        headers=auth,
    )
    assert made.status_code == 201
    body = made.get_json()
    assert body["status"] == "approved"
    assert body["decisions"][0]["reason"] == "past its retention period"


def test_the_records_api_is_for_records_managers_only(rm: World, client: FlaskClient) -> None:
    answer = client.get("/api/v1/disposal/queue", headers=bearer(rm, "clerk", "read", "records"))
    assert answer.status_code == 403
    assert answer.mimetype == "application/problem+json"


def test_a_hold_is_placed_and_lifted(rm: World, client: FlaskClient) -> None:
    auth = bearer(rm, "recman", "read", "write", "records")
    placed = client.post(
        "/api/v1/holds",
        json={"reason": "Inquiry", "authority": "Counsel", "folder_code": "FIN-AP-INV-2024"},
        headers=auth,
    )
    assert placed.status_code == 201
    hold = placed.get_json()
    assert hold["active"] is True and hold["documents"] == 1
    lifted = client.post(
        f"/api/v1/holds/{hold['id']}/lift", json={"reason": "Closed"}, headers=auth
    )
    assert lifted.get_json()["active"] is False
    assert client.get("/api/v1/holds", headers=auth).get_json()["items"] == []


def test_the_schedule_and_an_event(rm: World, client: FlaskClient) -> None:
    auth = bearer(rm, "recman", "read", "write", "records")
    rules = client.get("/api/v1/retention/schedule", headers=auth).get_json()["items"]
    assert "DESTROY-7Y" in [r["code"] for r in rules]
    event = client.post(
        "/api/v1/retention/events",
        json={
            "name": "contract_ended",
            "occurred_on": "2025-03-31",
            "folder_code": "FIN-AP-INV-2024",
        },
        headers=auth,
    )
    assert event.status_code == 201, event.get_json()
    listed = client.get("/api/v1/retention/events", headers=auth).get_json()["items"]
    assert [e["name"] for e in listed] == ["contract_ended"]


def _follow(client: FlaskClient, url: str, auth: dict[str, str]) -> list[list[int]]:
    """The ids of each page, following `next` to the end."""
    pages: list[list[int]] = []
    next_url: str | None = url
    while next_url:
        body = client.get(next_url, headers=auth).get_json()
        pages.append([i["id"] for i in body["items"]])
        next_url = body["next"]
    return pages


def test_the_queue_is_paged_in_due_order_without_repeats_or_gaps(
    rm: World, client: FlaskClient
) -> None:
    from tests.conftest import file_text

    rt = rm.runtime
    with rt.uow() as s:
        made = [file_text(s, rt, "FIN-AP-INV", f"Invoice {n}") for n in range(4)]
    items = [queue(rt, doc) for doc in [rm.docs["invoice"], *made]]
    auth = bearer(rm, "recman", "read", "records")

    pages = _follow(client, "/api/v1/disposal/queue?limit=2", auth)

    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(i for page in pages for i in page) == sorted(items)


def test_events_are_paged_past_any_fixed_cap(rm: World, client: FlaskClient) -> None:
    auth = bearer(rm, "recman", "read", "write", "records")
    for day in range(1, 6):
        made = client.post(
            "/api/v1/retention/events",
            json={
                "name": "contract_ended",
                "occurred_on": f"2025-03-0{day}",
                "folder_code": "FIN-AP-INV-2024",
            },
            headers=auth,
        )
        assert made.status_code == 201

    pages = _follow(client, "/api/v1/retention/events?limit=2", auth)

    assert [len(p) for p in pages] == [2, 2, 1]
    flat = [i for page in pages for i in page]
    assert flat == sorted(flat, reverse=True)  # newest first, each once
