"""Search wired to the records core: the outbox, the indexer, trimming as a person, the CLI,
the API and the search page."""

from __future__ import annotations

import base64
import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edrm.access import may_see_document, visibility_for
from edrm.documents.models import Document
from edrm.documents.service import move_document, update_metadata
from edrm.outbox import OutboxEntry
from edrm.runtime import Runtime
from edrm.search_indexer import apply_outbox, indexed_document, pending, reindex
from edrm.search_service import search_documents
from tests.conftest import PASSWORD, Cli, World, file_text, sign_in


def _search(world: World, who: str, text: str) -> list[int]:
    world_rt = world.runtime
    apply_outbox(world_rt.sessions, world_rt.search)
    with world_rt.uow() as s:
        result = search_documents(s, world_rt, world.people[who], text)
    return [h.id for h in result.hits]


def test_filing_a_document_notes_it_in_the_outbox(world: World) -> None:
    with world.runtime.uow() as s:
        rows = s.scalars(select(OutboxEntry.document_id).distinct()).all()
    assert set(world.docs.values()) <= set(rows)


def test_a_rolled_back_change_leaves_no_outbox_row(world: World) -> None:
    rt = world.runtime
    with rt.uow() as s:
        before = s.scalar(select(func.count()).select_from(OutboxEntry))
    with pytest.raises(RuntimeError), rt.uow() as s:
        file_text(s, rt, "FIN-AP-INV", "Never filed")
        raise RuntimeError("crash")
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == before


def test_an_applied_outbox_makes_documents_findable(world: World) -> None:
    assert world.docs["invoice"] in _search(world, "clerk", "Acme")
    with world.runtime.uow() as s:
        assert pending(s) == 0


def test_search_never_shows_a_document_the_person_may_not_see(world: World) -> None:
    assert _search(world, "clerk", "intrusion") == []
    assert _search(world, "recman", "intrusion") == [world.docs["secret"]]
    assert _search(world, "clerk", "discipline") == []
    assert _search(world, "hrofficer", "discipline") == [world.docs["discipline"]]


def test_totals_and_facets_count_only_visible_documents(world: World) -> None:
    rt = world.runtime
    apply_outbox(rt.sessions, rt.search)
    with rt.uow() as s:
        result = search_documents(s, rt, world.people["clerk"], "")
        visible = [
            d for d in s.scalars(select(Document)) if may_see_document(world.people["clerk"], d)
        ]
    assert result.total == len(visible)
    markings = {c.value: c.count for c in result.facets["marking"]}
    assert set(markings) == {"OFFICIAL"}


def test_the_visibility_filter_matches_the_access_module(world: World) -> None:
    rt = world.runtime
    with rt.uow() as s:
        documents = list(s.scalars(select(Document)))
        for person in world.people.values():
            visibility = visibility_for(s, person)
            for document in documents:
                indexed = indexed_document(document, "")
                assert visibility.allows(indexed) == may_see_document(person, document), (
                    person.username,
                    document.title,
                )


def test_a_move_is_reflected_in_the_index(world: World) -> None:
    rt = world.runtime
    with rt.uow() as s:
        move_document(s, world.docs["invoice"], "SEC-OPS-INC")
    apply_outbox(rt.sessions, rt.search)
    with rt.uow() as s:
        result = search_documents(s, rt, world.people["recman"], "Acme")
    assert [h.class_code for h in result.hits] == ["SEC-OPS-INC"]


def test_a_raised_marking_hides_the_document_at_once(world: World) -> None:
    rt = world.runtime
    assert world.docs["invoice"] in _search(world, "clerk", "Acme")
    with rt.uow() as s:
        update_metadata(s, world.docs["invoice"], {"marking": "SECRET"})
    assert _search(world, "clerk", "Acme") == []


def test_a_change_in_a_persons_clearance_or_groups_is_seen_at_the_next_search(
    world: World,
) -> None:
    """The engine keeps compiled visibility filters between searches: a person whose access
    changed must never be answered from the filter of their old access."""
    from dataclasses import replace

    from edrm.markings import Marking

    rt = world.runtime
    clerk = world.people["clerk"]
    cleared = replace(clerk, clearance=Marking.SECRET)
    in_hr = replace(clerk, clearance=Marking.OFFICIAL_SENSITIVE, groups=clerk.groups | {"hr"})
    apply_outbox(rt.sessions, rt.search)
    for _ in range(2):  # the second time, filters compiled the first time may be reused
        with rt.uow() as s:
            for person, text, key in [
                (clerk, "intrusion", "secret"),
                (cleared, "intrusion", "secret"),
                (clerk, "discipline", "discipline"),
                (in_hr, "discipline", "discipline"),
                (clerk, "intrusion", "secret"),
            ]:
                document = s.get(Document, world.docs[key])
                assert document is not None
                expected = [document.id] if may_see_document(person, document) else []
                found = [h.id for h in search_documents(s, rt, person, text).hits]
                assert found == expected, (person, text)
                assert bool(expected) == (person is not clerk)


def test_a_crash_between_indexing_and_marking_done_converges(world: World) -> None:
    """The indexer died after the engine's commit, before the rows were marked done."""
    rt = world.runtime
    with rt.uow() as s:
        docs = [indexed_document(d, "") for d in s.scalars(select(Document))]
    rt.search.index(docs)
    rt.search.commit()
    apply_outbox(rt.sessions, rt.search)  # the restart applies the same rows again
    with rt.uow() as s:
        assert rt.search.count() == s.scalar(select(func.count()).select_from(Document))
        assert pending(s) == 0


def test_reindex_rebuilds_from_the_database(world: World) -> None:
    rt = world.runtime
    count = reindex(rt.sessions, rt.search)
    with rt.uow() as s:
        assert count == s.scalar(select(func.count()).select_from(Document))
        assert pending(s) == 0
    assert rt.search.count() == count
    assert not rt.search.needs_rebuild()


def test_edrm_search_json_has_the_promised_keys(world: World, cli: Cli) -> None:
    data = json.loads(cli("search", "invoice", "--as", "clerk", "--json").stdout)
    assert {"total", "hits", "facets"} <= set(data)
    assert data["total"] == 2  # the clerk's invoices; none above OFFICIAL
    assert sorted(h["title"] for h in data["hits"]) == [
        "Invoice 1001 from Acme Ltd",
        "Invoice 17 from Beta plc",
    ]
    for hit in data["hits"]:
        assert {"id", "title", "class_code", "score", "highlights"} <= set(hit)
    for counts in data["facets"].values():
        assert all({"value", "count"} <= set(c) for c in counts)
    assert world.docs["secret"] not in [h["id"] for h in data["hits"]]


def test_edrm_search_reindex_reports_the_count(world: World, cli: Cli) -> None:
    result = cli("search", "reindex")
    assert result.exit_code == 0
    assert "search index rebuilt: 5 documents" in result.stdout


def test_edrm_search_query_finds_the_word_reindex(world: World, cli: Cli) -> None:
    rt = world.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV-2024", "How to reindex the ledger")
    result = cli("search", "--query", "reindex", "--as", "clerk", "--json")
    assert result.exit_code == 0
    assert "search index rebuilt" not in result.stdout
    assert doc_id in [h["id"] for h in json.loads(result.stdout)["hits"]]


def _basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_the_search_api_is_trimmed_too(client: FlaskClient, world: World, runtime: Runtime) -> None:
    apply_outbox(runtime.sessions, runtime.search)
    data = client.get("/api/v1/search?q=intrusion", headers=_basic("clerk")).json
    assert data["total"] == 0
    data = client.get("/api/v1/search?q=intrusion", headers=_basic("recman")).json
    assert [h["id"] for h in data["hits"]] == [world.docs["secret"]]


def test_the_search_page_shows_hits_highlights_and_facets(
    client: FlaskClient, world: World, runtime: Runtime
) -> None:
    from edrm import clock
    from edrm.documents.models import DocumentText

    with runtime.uow() as s:
        s.add(
            DocumentText(
                document_id=world.docs["invoice"],
                text="Invoice 1001 for toner cartridges and paper, VAT included.",
                pages=[],
                extracted_at=clock.now(),
            )
        )
    apply_outbox(runtime.sessions, runtime.search)
    sign_in(client, "clerk")
    page = client.get("/search?q=invoice")
    assert page.status_code == 200
    assert "Invoice 1001 from Acme Ltd" in page.text
    assert "<mark>" in page.text
    assert 'data-facet="class"' in page.text
    assert "Intrusion" not in page.text


def _token(client: FlaskClient, path: str) -> str:
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def test_a_search_is_saved_run_again_and_deleted(
    client: FlaskClient, world: World, runtime: Runtime
) -> None:
    apply_outbox(runtime.sessions, runtime.search)
    sign_in(client, "clerk")
    token = _token(client, "/search?q=invoice")
    client.post(
        "/search/saved",
        data={"csrf_token": token, "name": "Acme invoices", "q": "Acme", "class": "FIN-AP-INV"},
    )
    listing = client.get("/search/saved")
    assert "Acme invoices" in listing.text
    from edrm.saved_searches import SavedSearch

    with runtime.uow() as s:
        saved = s.scalars(select(SavedSearch)).one()
        saved_id = saved.id
    run = client.get(f"/search/saved/{saved_id}")
    assert run.status_code == 302 and "q=Acme" in run.headers["Location"]
    sign_in(client, "analyst")
    assert client.get(f"/search/saved/{saved_id}").status_code == 404, "only the owner's"
    sign_in(client, "clerk")
    client.post(
        f"/search/saved/{saved_id}/delete", data={"csrf_token": _token(client, "/search/saved")}
    )
    assert "Acme invoices" not in client.get("/search/saved").text
