"""Browser test: HR registers a leaver, plans the harvest, records a session; the leaver and the
line manager approve; HR files it and opens the record."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from edrm import clock
from tests.conftest import World, add_person, file_text
from tests.test_browser import _sign_in, live_server, page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]
__all__ = ["live_server", "page"]

ANSWER = "The Hollowmere supplier rebate is claimed by hand every March."


@pytest.fixture
def team(world: World) -> None:
    """lena leaves (sole creator of two invoices), mo manages her, sam takes over."""
    rt = world.runtime
    with rt.uow() as s:
        lena = add_person(s, "lena", "civil_servant", "OFFICIAL-SENSITIVE")
        add_person(s, "mo", "civil_servant", "OFFICIAL-SENSITIVE")
        add_person(s, "sam", "civil_servant", "OFFICIAL-SENSITIVE")
        for n in range(2):
            file_text(s, rt, "FIN-AP-INV", f"Rebate claim {n}", actor=lena)


def _switch_to(page: Any, live_server: str, username: str) -> None:
    page.context.clear_cookies()
    _sign_in(page, live_server, username)


def test_hr_runs_a_harvest_from_leaver_to_filed_record(
    live_server: str, page: Any, team: None
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    leaving = clock.now().date() + timedelta(days=60)

    _sign_in(page, live_server, "hrofficer")
    page.goto(f"{live_server}/leavers")
    page.click("text=Register a leaver")
    page.fill("#username", "lena")
    page.fill("#leaving_date-day", str(leaving.day))
    page.fill("#leaving_date-month", str(leaving.month))
    page.fill("#leaving_date-year", str(leaving.year))
    page.fill("#successor", "sam")
    page.fill("#manager", "mo")
    page.fill("#reason", "Career break")
    page.click("button:has-text('Register leaver')")
    page.wait_for_url(f"{live_server}/leavers/lena")
    assert "FIN-AP-INV" in page.locator("main").inner_text()

    page.click("button:has-text('Start a harvest plan')")
    page.wait_for_url(f"{live_server}/leavers/lena/plan")
    page.click("text=Record a session")
    today = clock.now().date()
    page.fill("#held_on-day", str(today.day))
    page.fill("#held_on-month", str(today.month))
    page.fill("#held_on-year", str(today.year))
    page.fill("#attendees", "Lena\nHR officer")
    page.click("button:has-text('Save and continue')")
    page.wait_for_url(re.compile(r".*/leavers/lena/plan/sessions/\d+$"))
    page.click("a.govuk-task-list__link:has-text('Unique knowledge')")
    page.fill("#answer-unique_knowledge-only_you", ANSWER)
    page.click("button:has-text('Save and continue')")
    page.wait_for_url(re.compile(r".*/questions/2$"))
    page.goto(f"{live_server}/leavers/lena/plan")
    assert ANSWER in page.locator("main").inner_text()

    for approver in ("lena", "mo"):
        _switch_to(page, live_server, approver)
        page.goto(f"{live_server}/")
        page.click("a:has-text('Approve the')")  # the task waiting on their home page
        page.wait_for_url(f"{live_server}/leavers/lena/plan/approve")
        page.check("#approve_anyway")
        page.click("button:has-text('Approve anyway')")
        page.wait_for_url(f"{live_server}/leavers/lena/plan")

    _switch_to(page, live_server, "hrofficer")
    page.goto(f"{live_server}/leavers/lena/plan")
    page.click("text=File as a record")
    page.select_option("#class_code", "FIN-AP-INV")
    page.select_option("#marking", "OFFICIAL-SENSITIVE")
    page.click("button:has-text('File the harvest record')")
    page.wait_for_url(f"{live_server}/leavers/lena/plan")
    page.click("text=open the harvest record")
    page.wait_for_url(re.compile(r".*/documents/\d+$"))
    assert page.locator("h1").inner_text() == "Knowledge harvest: Lena"
    assert "Career break" not in page.content()
    assert errors == []
