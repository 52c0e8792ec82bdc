"""The information-request pages: the dashboard, opening a request, the request page and its
actions, searching as the case officer with "add all hits"; 404 for everyone who does not
handle requests (SQLite: the services are tested on both databases)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from disclosure.models import InformationRequest
from edrm.search_service import catch_up
from retention.holds import held
from tests.conftest import World, sign_in
from tests.disclosure.helpers import with_officers

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def office(world: World) -> World:
    return with_officers(world)


def _token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _open(client: FlaskClient, **fields: str) -> int:
    token = _token(client, "/requests/new")
    data = {
        "csrf_token": token,
        "kind": "foi",
        "received": "2026-11-16",
        "requester": "Jane Requester",
        "email": "jane@example.org",
        "summary": "Invoices from Acme",
        **fields,
    }
    answer = client.post("/requests/new", data=data)
    assert answer.status_code == 302, answer.text[:500]
    return int(answer.headers["Location"].rsplit("/", 1)[1])


@pytest.mark.parametrize("who", ["clerk", "analyst", "hrofficer"])
def test_requests_do_not_exist_for_those_who_do_not_handle_them(
    client: FlaskClient, office: World, who: str
) -> None:
    sign_in(client, "iro")
    request_id = _open(client)
    other = client.application.test_client()
    sign_in(other, who)
    for path in ("/requests", "/requests/new", f"/requests/{request_id}"):
        assert other.get(path).status_code == 404, path
    home = other.get("/")
    assert "Information requests" not in home.text


def test_an_officer_opens_a_request_searches_adds_all_hits_and_closes_it(
    client: FlaskClient, office: World
) -> None:
    catch_up(office.runtime)
    sign_in(client, "iro")
    assert "Information requests" in client.get("/").text
    request_id = _open(client)
    page = client.get(f"/requests/{request_id}")
    assert "FOI-2026-0001" in page.text and "15 December 2026" in page.text
    assert "Jane Requester" in page.text and "jane@example.org" in page.text
    token = _token(client, f"/requests/{request_id}")
    answer = client.post(
        f"/requests/{request_id}/search",
        data={"csrf_token": token, "query": "Invoice OR bank OR Intrusion"},
    )
    assert answer.status_code == 302 and "search=" in answer.headers["Location"]
    page = client.get(answer.headers["Location"])
    assert "Invoice 1001 from Acme Ltd" in page.text
    assert "Intrusion at the data centre" not in page.text  # SECRET: beyond the officer
    search_id = re.search(r'name="search_id" value="(\d+)"', page.text)
    assert search_id
    answer = client.post(
        f"/requests/{request_id}/add-hits",
        data={"csrf_token": token, "search_id": search_id.group(1)},
    )
    assert answer.status_code == 302
    page = client.get(f"/requests/{request_id}")
    assert "3 records, all under the request hold" in page.text
    with office.runtime.uow() as s:
        assert held(s, [office.docs["invoice"], office.docs["sensitive"], office.docs["old"]])
    assert (
        client.post(
            f"/requests/{request_id}/close", data={"csrf_token": token, "outcome": "part"}
        ).status_code
        == 302
    )
    page = client.get(f"/requests/{request_id}")
    assert "Granted in part" in page.text and "Closed" in page.text


def test_the_dashboard_groups_requests_by_when_they_are_due_and_by_officer(
    client: FlaskClient, office: World
) -> None:
    from disclosure.requests import open_request
    from tests.disclosure.helpers import CONFIG, today_is

    with today_is(date(2026, 12, 15)):
        with office.runtime.uow() as s:
            for received, who in ((date(2026, 11, 2), "iro"), (date(2026, 11, 16), "iro2")):
                open_request(
                    s,
                    office.people[who],
                    kind="foi",
                    received=received,
                    requester=f"R {received}",
                    config=CONFIG,
                )
        sign_in(client, "recman")
        page = client.get("/requests")
    assert page.status_code == 200
    assert re.search(r'data-count="overdue"><span[^>]*>1<', page.text)
    assert re.search(r'data-count="today"><span[^>]*>1<', page.text)
    assert 'data-officer="iro"' in page.text and 'data-officer="iro2"' in page.text


def test_bad_input_on_the_form_says_what_is_wrong(client: FlaskClient, office: World) -> None:
    sign_in(client, "iro")
    token = _token(client, "/requests/new")
    answer = client.post(
        "/requests/new",
        data={"csrf_token": token, "kind": "foi", "received": "2026-02-30", "requester": "A"},
    )
    assert answer.status_code == 400 and "must be a real date" in answer.text
    with office.runtime.uow() as s:
        assert s.scalars(select(InformationRequest)).all() == []


def test_the_disposal_queue_page_says_which_request_hold_blocks_an_item(
    client: FlaskClient, office: World
) -> None:
    from disclosure.bundles import add_records
    from disclosure.requests import open_request
    from tests.disclosure.helpers import CONFIG, today_is
    from tests.retention.disposal_helpers import queue, with_records_management

    with_records_management(office)
    with today_is(date(2026, 12, 1)), office.runtime.uow() as s:
        made = open_request(
            s, office.people["iro"], kind="sar", received=date(2026, 11, 30), requester="A",
            config=CONFIG,
        )  # fmt: skip
        add_records(s, office.people["iro"], made.id, [office.docs["invoice"]])
    queue(office.runtime, office.docs["invoice"])
    sign_in(client, "recman")
    page = client.get("/records-management/queue")
    assert page.status_code == 200
    assert "Blocked by request hold" in page.text and "SAR-2026-0001" in page.text
