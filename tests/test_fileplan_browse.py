"""Browsing the file plan with the search page's filters: a class or folder page counts its
records by type, year, creator and marking (only what the viewer may see, counted by the
search engine), and choosing values narrows the list."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import UTC, datetime
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.access import SYSTEM, Principal, may_see_document
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, add_document
from edrm.search_indexer import apply_outbox, indexed_document
from tests.conftest import World, sign_in

FACETS = ("type", "year", "creator", "marking")


def file(
    world: World,
    into: str,
    title: str,
    *,
    doc_type: str,
    creator: str,
    created: str,
    marking: str | None = None,
) -> int:
    rt = world.runtime
    with rt.uow() as s:
        doc = add_document(
            s,
            rt.blobs,
            io.BytesIO(f"{title}\n".encode()),
            NewDocument(
                filename=f"{title}.txt",
                into_code=into,
                title=title,
                marking=marking,
                creator=creator,
                doc_type=doc_type,
                created_at=datetime.fromisoformat(created).replace(tzinfo=UTC),
            ),
            actor=SYSTEM,
        )
        return doc.id


@pytest.fixture
def invoices(world: World) -> World:
    """The world's documents, and more in FIN-AP-INV and its folders, all indexed."""
    for title, into, kind, creator, created, marking in [
        ("Toner invoice", "FIN-AP-INV-2024", "invoice", "Ann Lee", "2024-05-01", None),
        ("Paper invoice", "FIN-AP-INV-2024", "invoice", "Bob Day", "2024-06-01", None),
        ("Payment run report", "FIN-AP-INV", "report", "Ann Lee", "2023-03-01", None),
        (
            "Hidden bank mandate",
            "FIN-AP-INV",
            "mandate",
            "Zed Quill",
            "2022-01-01",
            "OFFICIAL-SENSITIVE",
        ),
    ]:
        world.docs[title] = file(
            world, into, title, doc_type=kind, creator=creator, created=created, marking=marking
        )
    apply_outbox(world.runtime.sessions, world.runtime.search)
    return world


def facets_on(html: str) -> dict[str, dict[str, int]]:
    """The facet values (as filtered on, not the names shown) and counts a page shows."""
    out: dict[str, dict[str, int]] = {}
    for name, items in re.findall(r'data-facet="([^"]+)">(.*?)</ul>', html, re.S):
        found = re.findall(
            r'<li data-value="([^"]*)">.*?</a>\s*<span class="edrm-secondary">\((\d+)\)',
            items,
            re.S,
        )
        out[name] = {unescape(value): int(count) for value, count in found}
    return out


def listed(html: str) -> set[str]:
    """The titles in the page's document table."""
    match = re.search(r'<table class="[^"]*edrm-documents[^"]*">(.*?)</table>', html, re.S)
    return set(re.findall(r'href="/documents/\d+">([^<]+)</a>', match.group(1))) if match else set()


def total_on(html: str) -> int:
    match = re.search(r'<span class="edrm-total">(\d+)</span>', html)
    assert match, "no total on the page"
    return int(match.group(1))


def expected(world: World, person: Principal, **where: str) -> list[Document]:
    """The documents `person` may see (by the access module), in the class or folder."""
    with world.runtime.uow() as s:
        docs = [
            d
            for d in s.scalars(select(Document))
            if may_see_document(person, d)
            and all(getattr(d, field) == value for field, value in where.items())
        ]
        s.expunge_all()
    return docs


def counts(docs: list[Document]) -> dict[str, dict[str, int]]:
    indexed = [indexed_document(d, "") for d in docs]
    return {
        "type": dict(Counter(d.doc_type for d in indexed)),
        "year": dict(Counter(str(d.created.year) for d in indexed)),
        "creator": dict(Counter(d.creator for d in indexed)),
        "marking": dict(Counter(d.marking for d in indexed)),
    }


def test_a_class_page_offers_the_search_filters_with_counts(
    client: FlaskClient, invoices: World
) -> None:
    sign_in(client, "clerk")
    page = client.get("/fileplan/FIN-AP-INV")
    assert page.status_code == 200
    visible = expected(invoices, invoices.people["clerk"], class_code="FIN-AP-INV")
    shown = facets_on(page.text)
    assert set(shown) == set(FACETS), "the class is the page's own filter"
    assert shown == counts(visible)
    assert shown["type"]["invoice"] == 2 and shown["creator"]["Ann Lee"] == 2
    # the class page holds the records of its folders too, newest first
    assert total_on(page.text) == len(visible)
    assert listed(page.text) == {d.title for d in visible}
    assert "Invoice 1001 from Acme Ltd" in listed(page.text)  # in the 2024-25 folder


def test_a_class_pages_records_stack_on_a_phone_each_cell_naming_its_column(
    client: FlaskClient, invoices: World
) -> None:
    """Issue 12, look at what people see: on a phone the records table is a list of blocks
    (edrm-table--stack) whose cells say which column they are, instead of overflowing."""
    sign_in(client, "clerk")
    page = client.get("/fileplan/FIN-AP-INV")
    table = re.search(r'<table class="([^"]*)">(.*?)</table>', page.text, re.S)
    assert table and "edrm-table--stack" in table.group(1)
    for label in ("Type", "Created", "Marking", "Record"):
        cells = re.findall(rf'<td class="govuk-table__cell" data-label="{label}">', table.group(2))
        assert len(cells) == total_on(page.text), label


def test_choosing_filters_narrows_the_list(client: FlaskClient, invoices: World) -> None:
    sign_in(client, "clerk")
    page = client.get("/fileplan/FIN-AP-INV?type=invoice")
    assert listed(page.text) == {"Toner invoice", "Paper invoice"}
    assert total_on(page.text) == 2
    shown = facets_on(page.text)
    assert shown["creator"] == {"Ann Lee": 1, "Bob Day": 1}  # narrowed by the type
    assert "report" in shown["type"], "a facet's own filter leaves its other values"
    assert "edrm-facet--chosen" in page.text and "Clear filters" in page.text
    # the links of the filtered page keep the filter and add to it
    assert re.search(r'href="/fileplan/FIN-AP-INV\?type=invoice&amp;creator=Ann\+Lee"', page.text)
    both = client.get("/fileplan/FIN-AP-INV?type=invoice&creator=Ann+Lee")
    assert listed(both.text) == {"Toner invoice"}
    by_year = client.get("/fileplan/FIN-AP-INV?year=2023")
    assert listed(by_year.text) == {"Payment run report"}
    nothing = client.get("/fileplan/FIN-AP-INV?year=1999")
    assert listed(nothing.text) == set() and total_on(nothing.text) == 0
    assert "No records you can see here match these filters" in nothing.text


def test_a_folder_page_filters_within_the_folder(client: FlaskClient, invoices: World) -> None:
    sign_in(client, "clerk")
    page = client.get("/fileplan/FIN-AP-INV-2024")
    visible = expected(invoices, invoices.people["clerk"], folder_code="FIN-AP-INV-2024")
    assert listed(page.text) == {d.title for d in visible}
    assert listed(page.text) == {"Toner invoice", "Paper invoice", "Invoice 1001 from Acme Ltd"}
    assert facets_on(page.text) == counts(visible)
    narrowed = client.get("/fileplan/FIN-AP-INV-2024?creator=Bob+Day")
    assert listed(narrowed.text) == {"Paper invoice"}
    assert 'href="/search?class=FIN-AP-INV&amp;folder=FIN-AP-INV-2024' in page.text


def test_a_document_the_viewer_may_not_see_is_never_counted(
    client: FlaskClient, invoices: World
) -> None:
    hidden = ("Hidden bank mandate", "Supplier bank details")  # OFFICIAL-SENSITIVE
    sign_in(client, "clerk")  # cleared for OFFICIAL only
    page = client.get("/fileplan/FIN-AP-INV")
    shown = facets_on(page.text)
    assert "OFFICIAL-SENSITIVE" not in shown["marking"]
    assert "mandate" not in shown["type"] and "Zed Quill" not in shown["creator"]
    assert "2022" not in shown["year"]
    assert not any(title in page.text for title in hidden)
    asked = client.get("/fileplan/FIN-AP-INV?type=mandate&marking=OFFICIAL-SENSITIVE")
    assert total_on(asked.text) == 0 and not any(title in asked.text for title in hidden)
    assert facets_on(asked.text) == {}  # no facet counts the hidden documents

    sign_in(client, "analyst")  # cleared for OFFICIAL-SENSITIVE: the same page counts them
    page = client.get("/fileplan/FIN-AP-INV")
    shown = facets_on(page.text)
    assert shown["marking"]["OFFICIAL-SENSITIVE"] == 2
    assert shown["type"]["mandate"] == 1
    assert set(hidden) <= listed(page.text)


def test_pages_of_a_filtered_list_keep_the_filters(client: FlaskClient, world: World) -> None:
    for n in range(27):
        file(
            world,
            "FIN-AP-INV-2024",
            f"Receipt {n:02d}",
            doc_type="receipt",
            creator="Ann Lee",
            created=f"2024-01-{n + 1:02d}",
        )
    apply_outbox(world.runtime.sessions, world.runtime.search)
    sign_in(client, "clerk")
    first = client.get("/fileplan/FIN-AP-INV-2024?type=receipt")
    assert total_on(first.text) == 27 and len(listed(first.text)) == 25
    assert "Receipt 26" in listed(first.text)  # newest first
    assert 'href="/fileplan/FIN-AP-INV-2024?type=receipt&amp;page=2"' in first.text
    second = client.get("/fileplan/FIN-AP-INV-2024?type=receipt&page=2")
    assert listed(second.text) == {"Receipt 00", "Receipt 01"}


def test_without_the_search_engine_the_page_still_lists_documents(
    client: FlaskClient, app: Flask, world: World
) -> None:
    app.extensions["edrm"].search.close()  # every search now fails
    sign_in(client, "clerk")
    page = client.get("/fileplan/FIN-AP-INV-2024?type=invoice")
    assert page.status_code == 200
    assert "Filters are not available just now" in page.text
    assert listed(page.text) == {"Invoice 1001 from Acme Ltd"}
    assert facets_on(page.text) == {}
