"""Documents, the file plan, triage and saved searches on the JSON API (issue 13 part 3): each
call goes through the pages' services as its caller, in the API's one style."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import World
from tests.test_api_style import bearer

pytestmark = pytest.mark.sqlite_only  # the web layer over services tested on both engines


def test_an_update_without_if_match_is_428_and_with_a_stale_etag_412(
    world: World, client: FlaskClient
) -> None:
    auth = bearer(world, "clerk", "read", "write")
    url = f"/api/v1/documents/{world.docs['invoice']}"
    etag = client.get(url, headers=auth).headers["ETag"]
    change = {"title": "Invoice 1001 (corrected)", "reason": "typo in the number"}
    assert client.patch(url, json=change, headers=auth).status_code == 428
    stale = client.patch(url, json=change, headers={**auth, "If-Match": '"not-it"'})
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    done = client.patch(url, json=change, headers={**auth, "If-Match": etag})
    assert done.status_code == 200
    assert done.get_json()["title"] == "Invoice 1001 (corrected)"
    assert done.headers["ETag"] != etag
    again = client.patch(url, json=change, headers={**auth, "If-Match": etag})
    assert again.status_code == 412  # the first change made that ETag stale


def test_an_update_must_say_why(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "clerk", "read", "write")
    url = f"/api/v1/documents/{world.docs['invoice']}"
    etag = client.get(url, headers=auth).headers["ETag"]
    answer = client.patch(url, json={"title": "New"}, headers={**auth, "If-Match": etag})
    assert answer.status_code == 422
    assert "reason" in answer.get_json()["detail"]


def test_the_file_plan_pages_by_cursor_to_the_end(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "clerk", "read")
    seen: list[str] = []
    url: str | None = "/api/v1/fileplan?limit=3"
    while url:
        page = client.get(url, headers=auth).get_json()
        assert len(page["items"]) <= 3
        seen += [n["code"] for n in page["items"]]
        url = page["next"]
    everything = client.get("/api/v1/fileplan?limit=100", headers=auth).get_json()
    assert everything["next"] is None
    assert seen == [n["code"] for n in everything["items"]]
    assert len(seen) > 3
    assert "HR-CASE" not in seen  # for the hr group only, as on the pages


def test_a_node_one_may_not_see_answers_as_one_that_is_not_there(
    world: World, client: FlaskClient
) -> None:
    auth = bearer(world, "clerk", "read")
    hidden = client.get("/api/v1/fileplan/HR-CASE", headers=auth)
    missing = client.get("/api/v1/fileplan/NO-SUCH-CODE", headers=auth)
    assert hidden.status_code == missing.status_code == 404
    assert set(hidden.get_json()) == set(missing.get_json())


def test_a_bad_cursor_is_a_400_problem(world: World, client: FlaskClient) -> None:
    answer = client.get("/api/v1/fileplan?cursor=!!nope", headers=bearer(world, "clerk", "read"))
    assert answer.status_code == 400
    assert answer.get_json()["detail"] == "that cursor is not one this API gave"


def test_a_folder_is_made_and_closed_through_the_api(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "recman", "read", "write")
    made = client.post(
        "/api/v1/fileplan/FIN-AP-INV/folders",
        json={"code": "FIN-AP-INV-2025", "title": "Supplier invoices 2025-26"},
        headers=auth,
    )
    assert made.status_code == 201
    assert made.get_json()["parent"] == "FIN-AP-INV"
    closed = client.post("/api/v1/fileplan/FIN-AP-INV-2025/close", headers=auth)
    assert closed.status_code == 200 and closed.get_json()["closed"] is True


def test_a_document_is_moved_and_declared(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "clerk", "read", "write")
    url = f"/api/v1/documents/{world.docs['invoice']}"
    moved = client.post(
        f"{url}/move", json={"to": "FIN-AP-INV", "reason": "wrong year"}, headers=auth
    )
    assert moved.status_code == 200 and moved.get_json()["folder_code"] is None
    declared = client.post(f"{url}/declare", headers=auth)
    assert declared.status_code == 200 and declared.get_json()["is_record"] is True
    versions = client.get(f"{url}/versions", headers=auth).get_json()
    assert [v["number"] for v in versions["items"]] == [1]


def test_a_saved_search_is_kept_listed_and_forgotten(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "clerk", "read", "write")
    made = client.post(
        "/api/v1/saved-searches", json={"name": "Acme", "query": "acme"}, headers=auth
    ).get_json()
    listed = client.get("/api/v1/saved-searches", headers=auth).get_json()
    assert [s["name"] for s in listed["items"]] == ["Acme"]
    assert client.delete(f"/api/v1/saved-searches/{made['id']}", headers=auth).status_code == 204
    assert client.get(f"/api/v1/saved-searches/{made['id']}", headers=auth).status_code == 404


def test_a_new_version_needs_if_match_and_is_added_once_per_key(
    world: World, client: FlaskClient
) -> None:
    import io

    auth = bearer(world, "clerk", "read", "write")
    url = f"/api/v1/documents/{world.docs['invoice']}"
    etag = client.get(url, headers=auth).headers["ETag"]

    def send(headers: dict[str, str]) -> Any:
        data = {"file": (io.BytesIO(b"Invoice 1001, corrected.\n"), "invoice.txt")}
        return client.post(f"{url}/versions", data=data, headers=headers)

    assert send(auth).status_code == 428
    keyed = {**auth, "If-Match": etag, "Idempotency-Key": "v2"}
    first, retry = send(keyed), send(keyed)  # the retry's If-Match is stale: replayed anyway
    assert first.status_code == retry.status_code == 201
    assert first.get_json()["number"] == retry.get_json()["number"] == 2
    versions = client.get(f"{url}/versions", headers=auth).get_json()["items"]
    assert [v["number"] for v in versions] == [1, 2]
