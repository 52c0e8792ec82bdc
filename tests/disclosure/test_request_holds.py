"""The request hold: every record in an open request is under it (it cannot be destroyed, moved
or changed); the disposal queue says why; it lifts by itself the configured time after the
request closes, and not before (both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from disclosure.bundles import add_records, bundle_document_ids
from disclosure.models import InformationRequest
from disclosure.requests import close, open_request, set_status
from edrm.documents import guards
from edrm.documents.models import Document
from edrm.errors import NotFoundError, RefusedError
from edrm.wiring.scheduler import run_job
from retention.execution import execute_approved
from retention.holds import HeldError, held, lift_hold
from retention.models import DisposalItem, LegalHold
from retention.review import items_as_dicts
from tests.conftest import World
from tests.disclosure.helpers import CONFIG, today_is, with_officers
from tests.retention.disposal_helpers import (
    approve,
    index_everything,
    queue,
    with_records_management,
)


@pytest.fixture
def office(world: World) -> World:
    return with_records_management(with_officers(world))


def _request_with(office: World, *docs: str) -> int:
    with office.runtime.uow() as s:
        request = open_request(
            s,
            office.people["iro"],
            kind="foi",
            received=date(2026, 11, 30),
            requester="Jane Requester",
            config=CONFIG,
        )
        add_records(s, office.people["iro"], request.id, [office.docs[d] for d in docs])
        return request.id


def test_the_request_hold_blocks_destruction_and_lifts_after_closure_and_the_window(
    office: World,
) -> None:
    rt, recman = office.runtime, office.people["recman"]
    invoice = office.docs["invoice"]
    with today_is(date(2026, 12, 1)):
        request_id = _request_with(office, "invoice")
        item = queue(rt, invoice)
        approve(rt, [item], recman)
        index_everything(rt)
        result = execute_approved(rt, actor=recman)
    assert result.held == [item] and result.finished == []
    with rt.uow() as s:
        assert s.get_one(Document, invoice).status == "filed"
        # The queue says why the item is kept.
        (shown,) = items_as_dicts(s, [s.get_one(DisposalItem, item)], viewer=recman)
        assert shown["blocked_by"] == [
            f"request hold {s.get_one(InformationRequest, request_id).hold_id}: "
            "information request FOI-2026-0001"
        ]
        # Nothing may move or change it either, and no records manager may lift the hold.
        with pytest.raises(HeldError, match="Information request FOI-2026-0001"):
            guards.check(s, s.get_one(Document, invoice), "move", recman)
        hold_id = s.get_one(InformationRequest, request_id).hold_id
        assert hold_id is not None
        with pytest.raises(RefusedError, match="lifts by itself"):
            lift_hold(s, hold_id, reason="tidying up", actor=recman)

    with today_is(date(2026, 12, 10)), rt.uow() as s:
        close(s, office.people["iro"], request_id, outcome="granted")
    with today_is(date(2027, 3, 9)):  # closed 10 Dec + 3 months = 10 Mar: still held
        assert run_job(rt, "information-request-closures").startswith("0 request hold(s) lifted")
        with rt.uow() as s:
            assert held(s, [invoice]) == {invoice}
    with today_is(date(2027, 3, 10)):
        assert run_job(rt, "information-request-closures").startswith("1 request hold(s) lifted")
        with rt.uow() as s:
            assert held(s, [invoice]) == set()
            hold = s.get_one(LegalHold, hold_id)
            assert hold.lifted_at is not None and hold.lifted_by == "system"
        assert run_job(rt, "information-request-closures").startswith("0 request hold(s) lifted")
        result = execute_approved(rt, actor=recman)
    assert result.finished == [item]
    with rt.uow() as s:
        assert s.get_one(Document, invoice).status == "destroyed"


def test_reopening_a_closed_request_puts_its_hold_back_in_force(office: World) -> None:
    rt = office.runtime
    invoice = office.docs["invoice"]
    with today_is(date(2026, 12, 1)):
        request_id = _request_with(office, "invoice")
        with rt.uow() as s:
            close(s, office.people["iro"], request_id, outcome="refused")
    with today_is(date(2027, 3, 2)):
        run_job(rt, "information-request-closures")
        with rt.uow() as s:
            assert held(s, [invoice]) == set()
            set_status(s, office.people["iro"], request_id, "ico_complaint")
        with rt.uow() as s:
            assert held(s, [invoice]) == {invoice}


def test_records_are_added_once_and_only_those_the_officer_may_see(office: World) -> None:
    rt = office.runtime
    with today_is(date(2026, 12, 1)):
        request_id = _request_with(office, "invoice")
        with rt.uow() as s:
            iro = office.people["iro"]  # OFFICIAL-SENSITIVE: not the SECRET incident
            added = add_records(s, iro, request_id, [office.docs["invoice"], office.docs["old"]])
            assert added.added == [office.docs["old"]]
            assert added.already == [office.docs["invoice"]]
            with pytest.raises(NotFoundError, match=f"document {office.docs['secret']}"):
                add_records(s, iro, request_id, [office.docs["secret"]])
            with pytest.raises(NotFoundError):
                add_records(s, iro, request_id, [999999])
        with rt.uow() as s:
            assert bundle_document_ids(s, request_id) == [
                office.docs["invoice"],
                office.docs["old"],
            ]
            (hold,) = s.scalars(select(LegalHold).where(LegalHold.scope == "request"))
            assert hold.target == "FOI-2026-0001"
            assert held(s, bundle_document_ids(s, request_id)) == {
                office.docs["invoice"],
                office.docs["old"],
            }
