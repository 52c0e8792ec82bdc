"""The leaver pages and JSON endpoints: what each role sees, and HR's harvest from start to
filed record through the pages."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from edrm.settings import Settings
from harvest.interviews.filing import approve
from harvest.interviews.plans import start_plan
from harvest.interviews.questions import load_question_banks
from harvest.interviews.sessions import record_session
from tests.conftest import sign_in
from tests.harvest.leaver_support import (
    CONFIG,
    Office,
    file_many,
    fixed_clock,
    office,
    register,
)

# Pages over services tested on both databases (see tests/conftest.py).
pytestmark = pytest.mark.sqlite_only

__all__ = ["fixed_clock", "office"]

REASON = "Relocating abroad Marrowfat"
ANSWER = "Renewals of the Brackenholt contract fall due each April."


@pytest.fixture
def harvest(office: Office, settings: Settings) -> Office:
    """lena leaves in 3 months, sole creator in FIN-AP-INV; her plan has one answered session."""
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 3)
        register(s, office, reason=REASON)
    with rt.uow() as s:
        start_plan(
            s,
            "lena",
            actor=office["hana"],
            config=CONFIG,
            banks=load_question_banks(settings.config_dir),
        )
    with rt.uow() as s:
        record_session(
            s, "lena", actor=office["hana"], answers={"unique_knowledge.only_you": ANSWER}
        )
    return office


def _as(client: FlaskClient, username: str) -> FlaskClient:
    assert sign_in(client, username).status_code == 302
    return client


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


# --- scenario 11: the role matrix -------------------------------------------------------------

PAGES = [
    "/leavers",
    "/leavers/new",
    "/leavers/lena",
    "/leavers/lena/risk",
    "/leavers/lena/plan",
    "/leavers/lena/plan/sessions/new",
    "/leavers/lena/plan/file",
    "/api/v1/leavers",
    "/api/v1/leavers/lena",
    "/api/v1/leavers/lena/risk",
    "/api/v1/leavers/lena/plan",
]

# Who gets which page (everyone else: 404). hana is HR; rita a records manager; olly a civil
# servant with no part in it; lena the leaver, mo her line manager, sam her successor.
ALLOWED = {
    "hana": set(PAGES),
    "rita": set(),
    "olly": set(),
    "lena": {"/leavers/lena/plan", "/api/v1/leavers/lena/plan"},
    "sam": {"/leavers/lena/plan", "/api/v1/leavers/lena/plan"},
    "mo": {"/leavers/lena/plan", "/api/v1/leavers/lena/plan", "/leavers/lena/risk"},
}


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_scenario_11_each_role_sees_exactly_what_it_may_on_leaver_pages_and_endpoints(
    harvest: Office, client: FlaskClient, who: str
) -> None:
    _as(client, who)
    seen = {}
    for path in PAGES:
        response = client.get(path)
        seen[path] = response.status_code
        if response.status_code == 200 and who != "hana":
            assert REASON not in response.text, f"{who} sees the reason on {path}"
    assert {p for p, code in seen.items() if code == 200} == ALLOWED[who]
    assert {code for p, code in seen.items() if p not in ALLOWED[who]} <= {404}


def test_hr_sees_the_reason_and_risk_on_the_leaver_page(
    harvest: Office, client: FlaskClient
) -> None:
    page = _as(client, "hana").get("/leavers/lena")
    assert REASON in page.text
    assert "FIN-AP-INV" in page.text and "a harvest plan is required" in page.text


def test_the_line_manager_sees_classes_to_rate_but_no_scores(
    harvest: Office, client: FlaskClient
) -> None:
    hr = _as(client, "hana").get("/leavers/lena/risk").text
    assert "Risk</th>" in hr and "Required" in hr
    client.post("/sign-out", data={"csrf_token": _csrf(client, "/")})
    manager = _as(client, "mo").get("/leavers/lena/risk").text
    assert "FIN-AP-INV" in manager
    assert "Risk</th>" not in manager and "Required" not in manager


def test_the_line_manager_rates_a_class_on_the_risk_page(
    harvest: Office, client: FlaskClient
) -> None:
    _as(client, "mo")
    token = _csrf(client, "/leavers/lena/risk")
    response = client.post(
        "/leavers/lena/criticality",
        data={"csrf_token": token, "class_code": "FIN-AP-INV", "criticality": "2"},
    )
    assert response.status_code == 302
    assert "set by the line manager" in client.get("/leavers/lena/risk").text


def test_the_api_gives_hr_the_leavers_and_their_risk(harvest: Office, client: FlaskClient) -> None:
    _as(client, "hana")
    listing = client.get("/api/v1/leavers").get_json()
    assert [r["username"] for r in listing["leavers"]] == ["lena"]
    assert "reason" not in listing["leavers"][0]
    risk = client.get("/api/v1/leavers/lena/risk").get_json()
    assert risk["classes"][0]["class_code"] == "FIN-AP-INV"
    assert risk["classes"][0]["share"] == 1.0
    assert client.get("/api/v1/leavers/lena").get_json()["reason"] == REASON


def test_the_api_answers_basic_auth_callers_by_role(harvest: Office, client: FlaskClient) -> None:
    import base64

    def basic(user: str) -> dict[str, str]:
        token = base64.b64encode(f"{user}:correct-horse-battery".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    assert client.get("/api/v1/leavers/lena/risk", headers=basic("hana")).status_code == 200
    assert client.get("/api/v1/leavers/lena/risk", headers=basic("olly")).status_code == 404
    assert client.get("/api/v1/leavers").status_code == 401


def test_an_unknown_leaver_is_not_found(harvest: Office, client: FlaskClient) -> None:
    _as(client, "hana")
    assert client.get("/leavers/nobody").status_code == 404
    assert client.get("/api/v1/leavers/olly/risk").status_code == 404


# --- HR's pages -------------------------------------------------------------------------------


def test_the_dashboard_lists_leavers_by_date_with_risk_progress_and_reminders(
    harvest: Office, client: FlaskClient
) -> None:
    from datetime import date

    from harvest.leavers import register_leaver

    with harvest.runtime.uow() as s:
        register_leaver(s, "cole", date(2025, 3, 20), successor="sam", actor=harvest["hana"])
        register_leaver(s, "olly", date(2025, 1, 5), successor="sam", actor=harvest["hana"])
    page = _as(client, "hana").get("/leavers").text
    rows = re.findall(r'data-leaver="([^"]+)"', page)
    assert rows == ["cole", "lena"]  # olly has left: shown only with show=all
    assert "Interviews not yet held" in page and "Cole" in page
    assert "Planned" in page
    everyone = client.get("/leavers?show=all").text
    assert re.findall(r'data-leaver="([^"]+)"', everyone) == ["olly", "cole", "lena"]
    assert "Left" in everyone


def test_hr_registers_a_leaver_through_the_form(office: Office, client: FlaskClient) -> None:
    _as(client, "hana")
    token = _csrf(client, "/leavers/new")
    data = {
        "csrf_token": token,
        "username": "lena",
        "leaving_date-day": "30",
        "leaving_date-month": "6",
        "leaving_date-year": "2025",
        "successor": "sam",
        "manager": "mo",
        "reason": "Retiring",
    }
    response = client.post("/leavers/new", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/leavers/lena")
    page = client.get("/leavers/lena").text
    assert "30 June 2025" in page and "Retiring" in page


def test_a_bad_date_on_the_form_is_shown_as_a_problem(office: Office, client: FlaskClient) -> None:
    _as(client, "hana")
    token = _csrf(client, "/leavers/new")
    response = client.post(
        "/leavers/new",
        data={
            "csrf_token": token,
            "username": "lena",
            "leaving_date-day": "31",
            "leaving_date-month": "2",
            "leaving_date-year": "2025",
            "successor": "sam",
        },
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text and "real date" in response.text


def test_a_harvest_runs_through_the_pages_from_plan_to_filed_record(
    office: Office, client: FlaskClient
) -> None:
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 2)
        register(s, office)
    _as(client, "hana")
    token = _csrf(client, "/leavers/lena")
    assert client.post("/leavers/lena/plan", data={"csrf_token": token}).status_code == 302
    assert client.get("/leavers/lena/plan/sessions/new").status_code == 200
    started = client.post(
        "/leavers/lena/plan/sessions/new",
        data={
            "csrf_token": token,
            "held_on-day": "10",
            "held_on-month": "3",
            "held_on-year": "2025",
            "attendees": "Lena\nHana",
        },
    )
    assert started.status_code == 302, started.text
    tasks = started.headers["Location"]
    assert "FIN-AP-INV" in client.get(tasks).text
    response = client.post(
        f"{tasks}/questions/1",
        data={
            "csrf_token": token,
            "answer-unique_knowledge.only_you": ANSWER + "\n\nSecond paragraph <b>bold</b>",
        },
    )
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith(f"{tasks}/questions/2")
    follow_ups = client.post(
        f"{tasks}/follow-ups", data={"csrf_token": token, "follow_ups": "Share the calendar"}
    )
    assert follow_ups.status_code == 302
    plan_page = client.get("/leavers/lena/plan").text
    assert ANSWER in plan_page
    assert "&lt;b&gt;bold&lt;/b&gt;" in plan_page and "<b>bold</b>" not in plan_page
    refused = client.post(
        "/leavers/lena/plan/file", data={"csrf_token": token, "marking": "OFFICIAL-SENSITIVE"}
    )
    assert refused.status_code == 400 and "cannot be filed until" in refused.text
    with rt.uow() as s:
        approve(s, "lena", actor=office["lena"])
        approve(s, "lena", actor=office["mo"])
    filed = client.post(
        "/leavers/lena/plan/file",
        data={"csrf_token": token, "marking": "OFFICIAL-SENSITIVE", "class_code": "FIN-AP-INV"},
    )
    assert filed.status_code == 302
    plan_page = client.get("/leavers/lena/plan").text
    assert re.search(
        r'<a class="govuk-link" href="/documents/\d+">open the harvest record', plan_page
    )


def test_the_leaver_approves_on_the_plan_page(harvest: Office, client: FlaskClient) -> None:
    _as(client, "lena")
    page = client.get("/leavers/lena/plan").text
    assert "Approve the write-up as leaver" in page
    token = _csrf(client, "/leavers/lena/plan")
    approved = client.post(
        "/leavers/lena/plan/approve", data={"csrf_token": token, "approve_anyway": "yes"}
    )
    assert approved.status_code == 302
    page = client.get("/leavers/lena/plan").text
    assert "Approve the write-up" not in page
    assert "Lena: approved" in page


def test_participants_find_their_harvests(harvest: Office, client: FlaskClient) -> None:
    assert "/leavers/lena/plan" in _as(client, "sam").get("/harvests").text
    client.post("/sign-out", data={"csrf_token": _csrf(client, "/")})
    assert "not part of any harvest" in _as(client, "olly").get("/harvests").text


# --- the same answer for "not a leaver" and "not yours to know" --------------------------------

NOT_YOURS = [
    "/api/v1/leavers/{}",
    "/api/v1/leavers/{}/risk",
    "/api/v1/leavers/{}/plan",
    "/leavers/{}",
    "/leavers/{}/risk",
    "/leavers/{}/plan",
]


@pytest.mark.parametrize("path", NOT_YOURS)
def test_the_leaver_api_answers_identically_for_a_non_leaver_and_a_leaver_one_may_not_know_about(
    harvest: Office, client: FlaskClient, path: str
) -> None:
    _as(client, "olly")  # no part in lena's harvest, not HR
    answers = {}
    for name in ("lena", "cole", "nobody"):  # a leaver, a colleague not leaving, no such person
        response = client.get(path.format(name))
        body = re.sub(r'nonce="[^"]+"', "", response.get_data(as_text=True))  # per request
        body = re.sub(r'(name="csrf_token"(?: type="hidden")? value=)"[^"]+"', r"\1", body)
        answers[name] = (response.status_code, body.replace(name, "X"))
    assert answers["lena"][0] == 404
    assert answers["lena"] == answers["cole"] == answers["nobody"]


def test_hr_gets_the_same_not_found_message_for_a_colleague_who_is_not_leaving(
    harvest: Office, client: FlaskClient
) -> None:
    _as(client, "hana")
    for name in ("cole", "nobody"):
        response = client.get(f"/api/v1/leavers/{name}")
        assert response.status_code == 404
        body = response.get_json()
        assert body["error"] == body["detail"] == f"leaver '{name}': not found"
        assert body["status"] == 404
