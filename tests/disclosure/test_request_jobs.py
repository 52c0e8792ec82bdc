"""The scheduled jobs: reminders of requests falling due (once a working day, through the
notification outbox) and, once a closed request's window has passed, the erasure of its
requester's details (both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from disclosure.models import InformationRequest, RequestSearch
from disclosure.request_searches import run_search
from disclosure.requests import close, open_request, request_as_dict
from edrm.audit import AuditEvent
from edrm.notifications.kinds import REQUEST_DUE
from edrm.notifications.models import Notification
from edrm.search_service import catch_up
from edrm.wiring.scheduler import run_job
from tests.conftest import World
from tests.disclosure.helpers import CONFIG, today_is, with_officers


@pytest.fixture
def office(world: World) -> World:
    return with_officers(world)


def _open(office: World, received: date, kind: str = "foi", who: str = "iro") -> int:
    with office.runtime.uow() as s:
        return open_request(
            s,
            office.people[who],
            kind=kind,
            received=received,
            requester="Jane Requester",
            email="jane@example.org",
            address="1 High Street, Carlisle CA1 1AA",
            config=CONFIG,
        ).id


def _reminders(office: World) -> list[Notification]:
    with office.runtime.uow() as s:
        return list(
            s.scalars(
                select(Notification)
                .where(Notification.kind == REQUEST_DUE)
                .order_by(Notification.id)
            )
        )


def test_officers_are_reminded_once_a_working_day_of_requests_due_soon_or_overdue(
    office: World,
) -> None:
    rt = office.runtime
    with today_is(date(2026, 12, 1)):
        soon = _open(office, date(2026, 11, 9))  # due 8 Dec: 5 working days from 1 Dec
        _open(office, date(2026, 11, 30), who="iro2")  # due 29 Dec: not yet
    with today_is(date(2026, 12, 1)):
        assert run_job(rt, "information-request-reminders").startswith("1 request(s)")
        assert run_job(rt, "information-request-reminders").startswith("0 request(s)")
    (first,) = _reminders(office)
    assert first.recipient == "iro" and first.link == f"/requests/{soon}"
    assert first.summary == "FOI-2026-0001 is due on 8 December 2026 (5 working days)"
    with today_is(date(2026, 12, 5)):  # a Saturday: no reminders
        assert run_job(rt, "information-request-reminders") == "not a working day: no reminders"
    with today_is(date(2026, 12, 9)):
        run_job(rt, "information-request-reminders")
    assert _reminders(office)[-1].summary == "FOI-2026-0001 is overdue by 1 working day"


def test_a_closed_requests_requester_is_erased_after_the_window(office: World) -> None:
    rt = office.runtime
    catch_up(rt)
    with today_is(date(2026, 12, 1)):
        request_id = _open(office, date(2026, 11, 30), kind="sar")
        with rt.uow() as s:
            run_search(
                s, rt, office.people["iro"], request_id, mode="person", name="Jane Requester"
            )
            close(s, office.people["iro"], request_id, outcome="granted")
    with today_is(date(2027, 2, 28)):
        assert run_job(rt, "information-request-closures").endswith("0 requester(s) erased")
    with today_is(date(2027, 3, 1)):
        assert run_job(rt, "information-request-closures").endswith("1 requester(s) erased")
        assert run_job(rt, "information-request-closures").endswith("0 requester(s) erased")
    with rt.uow() as s:
        request = s.get_one(InformationRequest, request_id)
        shown = request_as_dict(request, CONFIG, officer="iro")
        assert shown["requester"] is None and shown["requester_erased"] is True
        assert (request.requester_email, request.requester_address) == ("", "")
        assert [q.query for q in s.scalars(select(RequestSearch))] == ["(erased)"]
        # The audit trail never held the requester's details.
        for event in s.scalars(select(AuditEvent)):
            text = str(event.details_dict)
            assert "Jane" not in text and "jane@" not in text and "CA1" not in text
