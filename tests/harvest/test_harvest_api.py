"""The knowledge service on the JSON API (issue 13 part 3): HR registers a leaver with an `hr`
token; a person keeps their own skills; each through the services the pages use."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import World
from tests.test_api_style import bearer

pytestmark = pytest.mark.sqlite_only  # the web layer over services tested on both engines


def test_hr_registers_a_leaver_and_lists_it(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "hrofficer", "read", "write", "hr")
    made = client.post(
        "/api/v1/leavers",
        json={"username": "clerk", "leaving_date": "2030-06-30", "successor": "analyst"},
        headers=auth,
    )
    assert made.status_code == 201, made.get_json()
    listed = client.get("/api/v1/leavers", headers=auth).get_json()
    assert [row["username"] for row in listed["items"]] == ["clerk"]


def test_registering_a_leaver_needs_the_hr_scope(world: World, client: FlaskClient) -> None:
    answer = client.post(
        "/api/v1/leavers",
        json={"username": "clerk", "leaving_date": "2030-06-30", "successor": "analyst"},
        headers=bearer(world, "hrofficer", "read", "write"),
    )
    assert answer.status_code == 403


def test_a_person_adds_and_removes_their_own_skill(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "clerk", "read", "write")
    made = client.post(
        "/api/v1/profile/skills", json={"skill": "Procurement", "level": 3}, headers=auth
    )
    assert made.status_code == 201, made.get_json()
    skill = made.get_json()
    assert skill["level"] == 3
    assert client.delete(f"/api/v1/profile/skills/{skill['id']}", headers=auth).status_code == 204


def test_hr_starts_a_leavers_plan(world: World, client: FlaskClient) -> None:
    auth = bearer(world, "hrofficer", "read", "write", "hr")
    client.post(
        "/api/v1/leavers",
        json={"username": "clerk", "leaving_date": "2030-06-30", "successor": "analyst"},
        headers=auth,
    )
    started = client.post("/api/v1/leavers/clerk/plan", headers=auth)
    assert started.status_code == 201, started.get_json()
    plan = client.get("/api/v1/leavers/clerk/plan", headers=auth).get_json()
    assert plan["leaver"] == "clerk" and plan["questions"]
