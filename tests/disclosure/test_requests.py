"""Information requests as a service: references, due dates, clarification, extension,
closing, aggregation, time, and who may handle them (both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from disclosure.costs import cost_summary, log_time
from disclosure.models import InformationRequest, RequestEvent
from disclosure.requests import (
    clarify,
    close,
    extend,
    get_request,
    list_requests,
    open_request,
    set_status,
)
from edrm import audit
from edrm.audit import AuditEvent
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from tests.conftest import World
from tests.disclosure.helpers import CONFIG, today_is, with_officers


@pytest.fixture
def office(world: World) -> World:
    return with_officers(world)


def _open(office: World, kind: str = "foi", received: date = date(2026, 11, 16), **kw):  # type: ignore[no-untyped-def]
    with office.runtime.uow() as s:
        request = open_request(
            s,
            office.people[kw.pop("who", "iro")],
            kind=kind,
            received=received,
            requester=kw.pop("requester", "Jane Requester"),
            config=CONFIG,
            **kw,
        )
        return request.id, request.reference, request.due_on


def test_references_count_per_type_and_year_and_due_dates_follow_the_clock(office: World) -> None:
    with today_is(date(2026, 12, 1)):
        first = _open(office)
        second = _open(office, received=date(2026, 11, 30), requester="Ann Other")
        eir = _open(office, "eir", requester="Eve Green")
        sar = _open(office, "sar", received=date(2026, 9, 3), requester="Sid Subject")
    assert first[1:] == ("FOI-2026-0001", date(2026, 12, 15))  # St Andrew's Day inside
    assert second[1] == "FOI-2026-0002"
    assert eir[1] == "EIR-2026-0001"
    assert sar[1:] == ("SAR-2026-0001", date(2026, 10, 5))  # due on a Sunday: Monday
    with office.runtime.uow() as s:
        (event,) = s.scalars(select(RequestEvent).where(RequestEvent.request_id == first[0]))
        assert event.kind == "open" and event.details["due"] == "2026-12-15"
        trail = s.scalars(select(AuditEvent).where(AuditEvent.action == "request.open")).all()
        assert len(trail) == 4
        assert all("Jane" not in str(e.details_dict) for e in trail), "the trail names no one"
        assert audit.verify(s).ok


@pytest.mark.parametrize("who", ["clerk", "analyst", "hrofficer"])
def test_only_officers_and_records_managers_handle_requests(office: World, who: str) -> None:
    with today_is(date(2026, 12, 1)):
        request_id = _open(office)[0]
        with office.runtime.uow() as s:
            with pytest.raises(NotFoundError):
                get_request(s, office.people[who], request_id)
            with pytest.raises(NotFoundError):
                list_requests(s, office.people[who])
            with pytest.raises(NotFoundError):
                open_request(
                    s,
                    office.people[who],
                    kind="foi",
                    received=date(2026, 11, 30),
                    requester="X",
                    config=CONFIG,
                )
            for handler in ("iro", "iro2", "recman", "admin"):
                assert get_request(s, office.people[handler], request_id).id == request_id


def test_bad_input_is_refused_with_a_reason(office: World) -> None:
    with today_is(date(2026, 12, 1)), office.runtime.uow() as s:
        iro = office.people["iro"]
        with pytest.raises(InvalidInputError, match="unknown request type"):
            open_request(
                s, iro, kind="xyz", received=date(2026, 11, 1), requester="A", config=CONFIG
            )
        with pytest.raises(InvalidInputError, match="in the future"):
            open_request(
                s, iro, kind="foi", received=date(2026, 12, 2), requester="A", config=CONFIG
            )
        with pytest.raises(InvalidInputError, match="requester"):
            open_request(
                s, iro, kind="foi", received=date(2026, 11, 2), requester=" ", config=CONFIG
            )
        with pytest.raises(InvalidInputError, match="cannot be the case officer"):
            open_request(
                s,
                iro,
                kind="foi",
                received=date(2026, 11, 2),
                requester="A",
                config=CONFIG,
                case_officer="clerk",
            )


def test_clarification_stops_the_clock_until_answered_and_is_audited(office: World) -> None:
    with today_is(date(2026, 3, 20)):
        request_id = _open(office, received=date(2026, 3, 2))[0]
    iro = office.people["iro"]
    with today_is(date(2026, 3, 20)), office.runtime.uow() as s:
        request = clarify(s, iro, request_id, asked=date(2026, 3, 4), config=CONFIG)
        assert request.status == "awaiting_clarification" and request.due_on is None
        assert list_requests(s, iro, due_before=date(2027, 1, 1)) == []  # no date: not due
        with pytest.raises(RefusedError, match="already awaits"):
            clarify(s, iro, request_id, asked=date(2026, 3, 5), config=CONFIG)
        request = clarify(s, iro, request_id, answered=date(2026, 3, 10), config=CONFIG)
        assert request.status == "open" and request.due_on == date(2026, 4, 10)
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert actions[-2:] == ["request.clarify.asked", "request.clarify.answered"]


def test_extension_within_the_law_and_beyond_it(office: World) -> None:
    with today_is(date(2026, 3, 20)):
        request_id = _open(office, "eir", received=date(2026, 3, 2))[0]
        with office.runtime.uow() as s:
            with pytest.raises(InvalidInputError, match="at most 20 further working days"):
                extend(
                    s,
                    office.people["iro"],
                    request_id,
                    to=date(2026, 5, 1),
                    reason="x",
                    config=CONFIG,
                )
            with pytest.raises(InvalidInputError, match="reason"):
                extend(
                    s,
                    office.people["iro"],
                    request_id,
                    to=date(2026, 4, 30),
                    reason="",
                    config=CONFIG,
                )
            request = extend(
                s,
                office.people["iro"],
                request_id,
                to=date(2026, 4, 30),
                reason="Complex and voluminous (reg. 7)",
                config=CONFIG,
            )
            assert request.status == "extended" and request.due_on == date(2026, 4, 30)


def test_closing_and_reopening_for_an_internal_review(office: World) -> None:
    with today_is(date(2026, 12, 1)):
        request_id = _open(office)[0]
        with office.runtime.uow() as s:
            iro = office.people["iro"]
            with pytest.raises(InvalidInputError, match="unknown outcome"):
                close(s, iro, request_id, outcome="maybe")
            request = close(s, iro, request_id, outcome="part")
            assert request.status == "closed" and request.closed_at is not None
            with pytest.raises(RefusedError, match="already closed"):
                close(s, iro, request_id, outcome="part")
            with pytest.raises(RefusedError, match="cannot be extended"):
                extend(s, iro, request_id, to=date(2026, 12, 20), reason="x", config=CONFIG)
            request = set_status(s, iro, request_id, "internal review")
            assert request.status == "internal_review" and request.closed_at is None


def test_aggregation_flags_requests_from_the_same_requester_within_60_working_days(
    office: World,
) -> None:
    with today_is(date(2026, 12, 1)):
        first = _open(office, received=date(2026, 9, 1), requester="Sam Asker")[0]
        _open(office, received=date(2026, 9, 2), requester="Someone Else")
        later = _open(office, received=date(2026, 11, 20), requester="sam asker")[0]
        far = _open(office, "sar", received=date(2026, 11, 21), requester="Sam Asker")[0]
    with office.runtime.uow() as s:
        rows = {r.id: r for r in s.scalars(select(InformationRequest))}
        assert rows[first].aggregated and rows[later].aggregated
        assert not rows[far].aggregated  # a SAR is never aggregated for the cost limit
        assert sum(r.aggregated for r in rows.values()) == 2


def test_time_logged_counts_against_the_cost_limit_of_aggregated_requests(office: World) -> None:
    with today_is(date(2026, 12, 1)):
        first = _open(office, received=date(2026, 11, 2), requester="Sam Asker")[0]
        second = _open(office, received=date(2026, 11, 20), requester="Sam Asker")[0]
        with office.runtime.uow() as s:
            iro = office.people["iro"]
            log_time(s, iro, first, minutes=10 * 60, activity="locating")
            log_time(s, iro, second, minutes=9 * 60, activity="extracting")
            with pytest.raises(InvalidInputError):
                log_time(s, iro, second, minutes=0)
            summary = cost_summary(s, get_request(s, iro, second), CONFIG)
    assert summary["pounds"] == 225.0 and summary["aggregate_pounds"] == 475.0
    assert summary["limit"] == 450 and summary["limit_hours"] == 18.0
    assert summary["over_limit"] is True and summary["aggregated_with"] == ["FOI-2026-0001"]


def test_requests_and_their_requesters_never_reach_search_or_the_directory(office: World) -> None:
    """Requests are not documents: nothing of them enters the search outbox, so neither the
    search, nor expert evidence, nor communities (all built from indexed records) can show a
    requester."""
    from edrm.access import SYSTEM
    from edrm.outbox import OutboxEntry
    from edrm.search_service import catch_up, search_documents

    rt = office.runtime
    with rt.uow() as s:
        before = s.scalar(select(func.count()).select_from(OutboxEntry))
    with today_is(date(2026, 12, 1)):
        _open(office, requester="Zebedee Quillfeather", summary="Quillfeather's tax affairs")
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == before
    catch_up(rt)
    with rt.uow() as s:
        assert search_documents(s, rt, SYSTEM, "Quillfeather").total == 0
