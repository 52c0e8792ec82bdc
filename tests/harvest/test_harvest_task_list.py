"""A harvest as its participants go through it (issue 12, item 7): the session as a task list
with one page per question group, the write-up waiting for the leaver's and the line
manager's approval on their home page, a warning and an "approve anyway" when questions are
unanswered, filing offered only once approved, and no class chosen for HR by default."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.audit import AuditEvent
from edrm.errors import InvalidInputError
from edrm.settings import Settings
from harvest.interviews.filing import approve
from harvest.interviews.plans import open_plan, start_plan
from harvest.interviews.progress import question_groups, unanswered, waiting_for
from harvest.interviews.questions import load_question_banks
from harvest.interviews.sessions import save_answers, save_details
from tests.conftest import sign_in
from tests.harvest.leaver_support import CONFIG, Office, file_many, fixed_clock, office, register

pytestmark = pytest.mark.sqlite_only

__all__ = ["fixed_clock", "office"]

ANSWER = "Renewals of the Brackenholt contract fall due each April."


@pytest.fixture
def plan(office: Office, settings: Settings) -> int:
    """lena leaves in 3 months, sole creator in FIN-AP-INV; her plan has one session with one
    answer. Returns the session's id."""
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 3)
        register(s, office)
    with rt.uow() as s:
        start_plan(
            s,
            "lena",
            actor=office["hana"],
            config=CONFIG,
            banks=load_question_banks(settings.config_dir),
        )
    with rt.uow() as s:
        row = save_details(s, "lena", actor=office["hana"], attendees=["Lena", "Hana"])
        save_answers(
            s,
            "lena",
            actor=office["hana"],
            session_id=row.id,
            answers={"unique_knowledge.only_you": ANSWER},
        )
        return row.id


def _as(client: FlaskClient, username: str) -> FlaskClient:
    assert sign_in(client, username).status_code == 302
    return client


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _sign_out(client: FlaskClient) -> None:
    client.post("/sign-out", data={"csrf_token": _csrf(client, "/")})


# --- the task list ------------------------------------------------------------------------------


def test_a_session_is_a_task_list_with_a_status_for_each_question_group(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: the session is a GOV.UK task list, each question group a task with its
    status: not started, in progress or completed."""
    page = _as(client, "hana").get(f"/leavers/lena/plan/sessions/{plan}").text
    assert page.count('class="govuk-task-list__item govuk-task-list__item--with-link"') >= 4
    assert "Unique knowledge" in page and "Knowledge at risk: FIN-AP-INV" in page
    assert re.search(r"Unique knowledge\s*</a>.*?1 of 4 answered.*?In progress", page, re.S)
    assert "Not started" in page
    assert f'href="/leavers/lena/plan/sessions/{plan}/questions/1"' in page
    assert 'name="answer-' not in page  # no 5,500 px form: the answers are on the group pages


def test_each_question_group_has_its_own_page_and_save_and_continue_goes_to_the_next(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: one page per question group; "Save and continue" keeps the other
    groups' answers and leads to the next group, the last one to the follow-ups."""
    _as(client, "hana")
    base = f"/leavers/lena/plan/sessions/{plan}"
    page = client.get(f"{base}/questions/2").text
    assert "Contacts and resources" in page and "Save and continue" in page
    assert page.count('name="answer-') == 4 and 'rows="6"' in page
    token = _csrf(client, f"{base}/questions/2")
    saved = client.post(
        f"{base}/questions/2",
        data={"csrf_token": token, "answer-contacts_resources.people": "Ask Sam"},
    )
    assert saved.headers["Location"].endswith(f"{base}/questions/3")
    with office.runtime.uow() as s:
        view = open_plan(s, "lena", office["hana"], audited=False)
        assert view.sessions[0].answers == {
            "unique_knowledge.only_you": ANSWER,
            "contacts_resources.people": "Ask Sam",
        }
        groups = question_groups(view)
    last = client.post(f"{base}/questions/{len(groups)}", data={"csrf_token": token})
    assert last.headers["Location"].endswith(f"{base}/follow-ups")
    assert client.get(f"{base}/questions/{len(groups) + 1}").status_code == 404


def test_saving_a_group_unchanged_after_approval_keeps_the_approval(
    office: Office, plan: int
) -> None:
    """Issue 12 item 7: going through the pages with "Save and continue" and changing
    nothing does not make the leaver approve again; changing an answer does."""
    with office.runtime.uow() as s:
        approve(s, "lena", actor=office["lena"])
    with office.runtime.uow() as s:
        save_answers(
            s,
            "lena",
            actor=office["hana"],
            session_id=plan,
            answers={"unique_knowledge.only_you": ANSWER},
        )
        assert open_plan(s, "lena", office["hana"], audited=False).approvals
        save_answers(
            s,
            "lena",
            actor=office["hana"],
            session_id=plan,
            answers={"unique_knowledge.only_you": ANSWER + " And October."},
        )
        assert not open_plan(s, "lena", office["hana"], audited=False).approvals


# --- the plan page ------------------------------------------------------------------------------


def test_the_plan_status_is_said_once_not_draft_draft(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: the status reads "Draft" once, followed by who can see the plan, not
    "Draft Draft: seen only by…"."""
    page = _as(client, "hana").get("/leavers/lena/plan").text
    status = re.search(r'<p class="govuk-body edrm-plan-status">(.*?)</p>', page, re.S)
    assert status
    text = " ".join(re.sub(r"<[^>]+>", " ", status.group(1)).split())
    assert text.startswith("Draft Until it is filed, only HR")
    assert text.count("Draft") == 1


def test_the_plan_names_its_areas_at_risk_not_only_their_codes(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: the areas at risk read as the class's name with its code."""
    page = _as(client, "hana").get("/leavers/lena/plan").text
    assert "Supplier invoices (FIN-AP-INV)" in page


def test_file_as_a_record_is_offered_only_once_both_approved(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: HR sees no "File as a record" until the leaver and the line manager
    have approved; the filing page explains instead of offering a form (and the service
    refuses a POST)."""
    _as(client, "hana")
    assert "File as a record" not in client.get("/leavers/lena/plan").text
    early = client.get("/leavers/lena/plan/file").text
    assert "File the harvest record" not in early and "Still to approve" in early
    token = _csrf(client, "/leavers/lena/plan")
    refused = client.post(
        "/leavers/lena/plan/file", data={"csrf_token": token, "class_code": "FIN-AP-INV"}
    )
    assert refused.status_code == 400 and "cannot be filed until" in refused.text
    with office.runtime.uow() as s:
        approve(s, "lena", actor=office["lena"])
        approve(s, "lena", actor=office["mo"])
    assert "File as a record" in client.get("/leavers/lena/plan").text
    assert "File the harvest record" in client.get("/leavers/lena/plan/file").text


def test_the_filing_class_is_not_chosen_for_hr_when_no_knowledge_class_exists(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: with no knowledge-harvest class in the file plan, the class list
    starts at "Choose a class" (not the top at-risk, procurement-like class), and filing
    with none chosen asks for one."""
    with office.runtime.uow() as s:
        approve(s, "lena", actor=office["lena"])
        approve(s, "lena", actor=office["mo"])
    _as(client, "hana")
    page = client.get("/leavers/lena/plan/file").text
    assert '<option value="" selected>Choose a class</option>' in page
    assert re.search(r'<option value="FIN-AP-INV" >Supplier invoices \(FIN-AP-INV\)', page)
    token = _csrf(client, "/leavers/lena/plan/file")
    blank = client.post("/leavers/lena/plan/file", data={"csrf_token": token, "class_code": ""})
    assert blank.status_code == 400 and "Choose the class" in blank.text


def test_the_filing_class_starts_at_the_configured_knowledge_class(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: when the file plan has the configured knowledge-harvest class, the
    filing page starts there."""
    from edrm.fileplan.io import parse_csv
    from edrm.fileplan.service import import_rows

    rows = (
        "code,parent,kind,title,description,marking,access,owner_unit,retention,closed\n"
        "INFO,,function,Information,Info,OFFICIAL,,KIM,,false\n"
        "INFO-IM,INFO,activity,Information management,IM,OFFICIAL,,KIM,,false\n"
        f"{CONFIG.knowledge_class},INFO-IM,transaction,Knowledge harvest records,KH,"
        "OFFICIAL,,KIM,DESTROY-7Y,false\n"
    )
    with office.runtime.uow() as s:
        import_rows(s, parse_csv(rows))
        approve(s, "lena", actor=office["lena"])
        approve(s, "lena", actor=office["mo"])
    page = _as(client, "hana").get("/leavers/lena/plan/file").text
    assert f'<option value="{CONFIG.knowledge_class}" selected>Knowledge harvest records' in page
    assert '<option value="" >Choose a class</option>' in page


# --- approving ----------------------------------------------------------------------------------


def test_approving_with_unanswered_questions_warns_with_the_count_and_needs_approve_anyway(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: the check page says how many questions have no answer; approving
    without ticking "approve anyway" is refused with an error linked to the box, and with it
    the approval is given (and the count audited)."""
    with office.runtime.uow() as s:
        total = len(open_plan(s, "lena", office["hana"], audited=False).plan.questions)
    _as(client, "lena")
    check = client.get("/leavers/lena/plan/approve").text
    assert f"{total - 1} of {total} questions have no answer" in check
    assert "Approve anyway" in check and 'name="approve_anyway"' in check
    token = _csrf(client, "/leavers/lena/plan/approve")
    refused = client.post("/leavers/lena/plan/approve", data={"csrf_token": token})
    assert refused.status_code == 400
    assert 'href="#approve_anyway"' in refused.text
    assert "approve the write-up anyway" in refused.text
    with office.runtime.uow() as s:
        assert not open_plan(s, "lena", office["hana"], audited=False).approvals
    given = client.post(
        "/leavers/lena/plan/approve", data={"csrf_token": token, "approve_anyway": "yes"}
    )
    assert given.status_code == 302
    with office.runtime.uow() as s:
        assert set(open_plan(s, "lena", office["hana"], audited=False).approvals) == {"leaver"}
        entry = s.scalars(select(AuditEvent).where(AuditEvent.action == "harvest.approve")).one()
    assert json.loads(entry.details)["unanswered"] == total - 1


def test_the_service_refuses_an_unconfirmed_approval_with_questions_unanswered(
    office: Office, plan: int
) -> None:
    """Issue 12 item 7: `approve(accept_unanswered=False)` refuses while any question has no
    answer, naming how many."""
    with office.runtime.uow() as s:
        view = open_plan(s, "lena", office["hana"], audited=False)
        missing = unanswered(view)
        with pytest.raises(InvalidInputError, match=f"{missing} of {len(view.plan.questions)}"):
            approve(s, "lena", actor=office["mo"], accept_unanswered=False)


def test_the_leaver_and_line_manager_find_the_approval_waiting_on_home_and_their_harvests(
    office: Office, plan: int, client: FlaskClient
) -> None:
    """Issue 12 item 7: the leaver and the line manager each get a task with a link to
    approve, on the home page and on "Your harvest interviews"; it goes once they approve,
    and the successor and others get none."""
    for who, text in (
        ("lena", "Approve the write-up of your knowledge harvest"),
        ("mo", "Approve the knowledge harvest write-up for Lena"),
    ):
        _as(client, who)
        home = client.get("/").text
        assert "Waiting for you" in home and text in home
        assert 'href="/leavers/lena/plan/approve"' in home
        assert text in client.get("/harvests").text
        _sign_out(client)
    for who in ("sam", "olly", "hana"):
        assert "Waiting for you" not in _as(client, who).get("/").text
        _sign_out(client)
    with office.runtime.uow() as s:
        approve(s, "lena", actor=office["lena"])
        assert [t.role for t in waiting_for(s, office["lena"])] == []
        assert [t.role for t in waiting_for(s, office["mo"])] == ["line_manager"]
