"""Searches for a request, run as its case officer: the core's search service with the officer's
visibility in the engine query (nothing beyond their clearance and groups), each search saved on
the request, and every hit of a saved search added to the bundle in one go.

Only the case officer runs a request's searches (the system may, on their behalf, from the
command line without --as): anyone else handling the request would otherwise see hits trimmed
to someone else's clearance. A subject access search ("person") is built from what the officer
types about the person: the name as a phrase, and each identifier the personal-data detector
recognises (NI number, e-mail, phone, postcode, NHS number) in every way it may be written; any
other piece (a staff number) is searched as typed.

Neither the event nor the audit entry of a search repeats its words (they may name the data
subject): only the saved search's id, its mode and its count; the requester-erasure job blanks
a SAR's saved search words with the requester's details.

Crash story: saving a search writes its row, event and audit entry in the caller's transaction;
adding its hits is disclosure.bundles.add_records (all or nothing, idempotent).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from disclosure.bundles import MAX_ADD, Added, add_records
from disclosure.models import InformationRequest, RequestSearch
from disclosure.request_events import record_event
from disclosure.requests import get_request
from edrm import clock
from edrm.access import Principal
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.people.models import User
from edrm.personal_data import find_identifiers
from edrm.runtime import Runtime
from edrm.search_service import search_documents
from search.base import MAX_PER_PAGE, SearchResult

MODES = ("words", "person")
MAX_QUERY = 1000
MAX_TERMS = 60


def searcher(session: Session, actor: Principal, request: InformationRequest) -> Principal:
    """Who a request's searches run as: its case officer (the actor, or the system acting for
    them). Anyone else is refused."""
    officer = session.get(User, request.case_officer_id) if request.case_officer_id else None
    if officer is None or not officer.active:
        raise RefusedError(
            f"request {request.reference} has no case officer: searches run as the case officer"
        )
    if actor.is_system or actor.user_id == officer.id:
        return Principal.of(officer)
    raise RefusedError(
        f"searches for {request.reference} run as its case officer, {officer.username}: "
        "only they may run them"
    )


def _phrase(text: str) -> str:
    words = " ".join(text.replace('"', " ").split())
    return f'"{words}"' if words else ""


def person_query(name: str, identifiers: str = "") -> str:
    """The search text for a person: the name as a phrase, OR each identifier in each of its
    written forms, OR each other piece as typed."""
    terms: list[str] = []
    if name.strip():
        terms.append(_phrase(name))
    for piece in re.split(r"[,;\n]+", identifiers):
        if not piece.strip():
            continue
        found = find_identifiers(piece, context_free_nhs=True)
        if found:
            terms.extend(_phrase(form) for identifier in found for form in identifier.forms)
        else:
            terms.append(_phrase(piece))
    terms = [t for t in dict.fromkeys(terms) if t]
    if not terms:
        raise InvalidInputError("give the person's name or at least one identifier")
    if len(terms) > MAX_TERMS:
        raise InvalidInputError(f"at most {MAX_TERMS} names and identifiers in one search")
    return " OR ".join(terms)


def run_search(
    session: Session,
    runtime: Runtime,
    actor: Principal,
    ref: int | str,
    *,
    query: str = "",
    mode: str = "words",
    name: str = "",
    identifiers: str = "",
    page: int = 1,
    per_page: int = 20,
) -> tuple[RequestSearch, SearchResult]:
    """Run a search for the request as its case officer and save it on the request."""
    request = get_request(session, actor, ref)
    as_officer = searcher(session, actor, request)
    if mode not in MODES:
        raise InvalidInputError(f"unknown search mode {mode!r} (use one of: {', '.join(MODES)})")
    text = person_query(name, identifiers) if mode == "person" else " ".join(query.split())
    if not text:
        raise InvalidInputError("give the words to search for")
    if len(text) > MAX_QUERY:
        raise InvalidInputError(f"the search is longer than {MAX_QUERY} characters")
    result = search_documents(
        session, runtime, as_officer, text, page=page, per_page=per_page, facets=()
    )
    saved = RequestSearch(
        request_id=request.id,
        query=text,
        mode=mode,
        filters={},
        hits=result.total,
        run_as=as_officer.username,
        run_at=clock.now(),
    )
    session.add(saved)
    session.flush()
    record_event(
        session,
        request,
        "search",
        actor.username,
        {"search": saved.id, "mode": mode, "hits": result.total, "run_as": as_officer.username},
    )
    return saved, result


def get_search(session: Session, request: InformationRequest, search_id: int) -> RequestSearch:
    saved = session.get(RequestSearch, search_id)
    if saved is None or saved.request_id != request.id:
        raise NotFoundError(f"search {search_id} of request {request.reference} not found")
    return saved


def rerun(
    session: Session,
    runtime: Runtime,
    actor: Principal,
    ref: int | str,
    search_id: int,
    *,
    page: int = 1,
    per_page: int = 20,
) -> tuple[RequestSearch, SearchResult]:
    """Show a saved search's hits again, as the case officer (not saved a second time)."""
    request = get_request(session, actor, ref)
    as_officer = searcher(session, actor, request)
    saved = get_search(session, request, search_id)
    result = search_documents(
        session, runtime, as_officer, saved.query, page=page, per_page=per_page, facets=()
    )
    return saved, result


def add_all_hits(
    session: Session, runtime: Runtime, actor: Principal, ref: int | str, search_id: int
) -> Added:
    """Add every hit of a saved search (run again now, as the case officer) to the bundle."""
    request = get_request(session, actor, ref)
    as_officer = searcher(session, actor, request)
    saved = get_search(session, request, search_id)
    ids: list[int] = []
    page = 1
    while True:
        result = search_documents(
            session,
            runtime,
            as_officer,
            saved.query,
            page=page,
            per_page=MAX_PER_PAGE,
            facets=(),
            highlight=False,
            sort="date",
        )
        if result.total > MAX_ADD:
            raise InvalidInputError(
                f"the search finds {result.total:,} records, more than can be added at once "
                f"({MAX_ADD:,}); narrow it"
            )
        ids.extend(h.id for h in result.hits)
        if not result.hits or page * MAX_PER_PAGE >= result.total:
            break
        page += 1
    if not ids:
        raise InvalidInputError("the search finds no records to add")
    return add_records(session, as_officer, request.id, ids, search_id=saved.id)


def searches_of(session: Session, request_id: int) -> list[RequestSearch]:
    return list(
        session.scalars(
            select(RequestSearch)
            .where(RequestSearch.request_id == request_id)
            .order_by(RequestSearch.run_at.desc(), RequestSearch.id.desc())
        )
    )


def search_as_dict(saved: RequestSearch) -> dict[str, Any]:
    return {
        "id": saved.id,
        "query": saved.query,
        "mode": saved.mode,
        "hits": saved.hits,
        "run_as": saved.run_as,
        "run_at": saved.run_at.isoformat(),
    }
