"""Searches for a request run as its case officer: trimmed to the officer's clearance and
groups, saved on the request, their hits added to the bundle in bulk; subject access searches
by name and identifiers (both databases)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from disclosure.bundles import bundle_document_ids
from disclosure.request_searches import add_all_hits, person_query, run_search, searches_of
from disclosure.requests import open_request
from edrm import clock
from edrm.access import SYSTEM
from edrm.documents.models import DocumentText
from edrm.errors import RefusedError
from edrm.runtime import Runtime
from edrm.search_service import catch_up
from retention.holds import held
from tests.conftest import World, file_text
from tests.disclosure.helpers import CONFIG, today_is, with_officers

EVERYTHING = "Invoice OR bank OR Intrusion OR Discipline"


@pytest.fixture
def office(world: World) -> World:
    return with_officers(world)


def _request(office: World, officer: str, kind: str = "foi") -> int:
    with today_is(date(2026, 12, 1)), office.runtime.uow() as s:
        return open_request(
            s,
            office.people[officer],
            kind=kind,
            received=date(2026, 11, 30),
            requester=f"Requester of {officer}",
            config=CONFIG,
        ).id


def test_the_officers_search_is_trimmed_to_their_clearance_and_groups(office: World) -> None:
    rt, docs = office.runtime, office.docs
    catch_up(rt)
    low = _request(office, "iro")  # OFFICIAL-SENSITIVE, not in the hr group
    high = _request(office, "iro2")  # SECRET, not in the hr group
    with today_is(date(2026, 12, 1)), rt.uow() as s:
        saved, result = run_search(s, rt, office.people["iro"], low, query=EVERYTHING)
        assert {h.id for h in result.hits} == {docs["invoice"], docs["sensitive"], docs["old"]}
        assert result.total == 3 and saved.hits == 3 and saved.run_as == "iro"
        _, result = run_search(s, rt, office.people["iro2"], high, query=EVERYTHING)
        assert {h.id for h in result.hits} == {
            docs["invoice"],
            docs["sensitive"],
            docs["old"],
            docs["secret"],
        }
        # Nobody else runs them, not even a records manager cleared higher.
        for other in ("iro2", "recman"):
            with pytest.raises(RefusedError, match="run as its case officer, iro"):
                run_search(s, rt, office.people[other], low, query=EVERYTHING)
        # The system (the command line without --as) runs them as the case officer.
        _, result = run_search(s, rt, SYSTEM, low, query=EVERYTHING)
        assert result.total == 3


def test_all_hits_of_a_saved_search_go_into_the_bundle_under_the_hold(office: World) -> None:
    rt, docs = office.runtime, office.docs
    catch_up(rt)
    request_id = _request(office, "iro")
    with today_is(date(2026, 12, 1)):
        with rt.uow() as s:
            saved, _ = run_search(s, rt, office.people["iro"], request_id, query=EVERYTHING)
            search_id = saved.id
        with rt.uow() as s:
            added = add_all_hits(s, rt, office.people["iro"], request_id, search_id)
            assert sorted(added.added) == sorted([docs["invoice"], docs["sensitive"], docs["old"]])
        with rt.uow() as s:
            again = add_all_hits(s, rt, office.people["iro"], request_id, search_id)
            assert again.added == [] and len(again.already) == 3
            in_bundle = bundle_document_ids(s, request_id)
            assert held(s, in_bundle) == set(in_bundle)
            assert [x.id for x in searches_of(s, request_id)] == [search_id]


def _filed(s: Session, rt: Runtime, title: str, body: str) -> int:
    """A record with its extracted text (what the ingest pipeline would have read)."""
    doc_id = file_text(s, rt, "FIN-AP-INV", title, body=body)
    s.add(DocumentText(document_id=doc_id, text=body, pages=[], extracted_at=clock.now()))
    return doc_id


def test_a_subject_access_search_finds_records_by_name_and_identifiers(office: World) -> None:
    rt = office.runtime
    with rt.uow() as s:
        by_ni = _filed(s, rt, "Payroll query", "Employee QQ 12 34 56 C asked about tax.")
        by_mail = _filed(s, rt, "Refund", "Refund sent to jane.smith@example.org today.")
        by_name = _filed(s, rt, "Complaint", "Jane Smith complained.")
        by_nhs = _filed(s, rt, "Sick note", "NHS number 943 476 5919 on the note.")
        _filed(s, rt, "Other", "Jane Doe and Smith Ltd, nothing else.")
    catch_up(rt)
    text = person_query("Jane Smith", "QQ123456C; jane.smith@example.org, 9434765919")
    assert '"QQ 12 34 56 C"' in text and '"943 476 5919"' in text
    request_id = _request(office, "iro", "sar")
    with today_is(date(2026, 12, 1)), rt.uow() as s:
        saved, result = run_search(
            s,
            rt,
            office.people["iro"],
            request_id,
            mode="person",
            name="Jane Smith",
            identifiers="QQ123456C; jane.smith@example.org, 9434765919",
        )
        assert {h.id for h in result.hits} == {by_ni, by_mail, by_name, by_nhs}
        assert saved.mode == "person"
