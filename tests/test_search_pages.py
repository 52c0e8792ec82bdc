"""The search page as a person reads it: the filter layout, names instead of codes in the
facets, the "Selected filters" summary, and tips when nothing matches (issue 12)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient

from edrm.runtime import Runtime
from edrm.search_indexer import apply_outbox
from tests.conftest import World, sign_in


@pytest.fixture
def searcher(client: FlaskClient, world: World, runtime: Runtime) -> FlaskClient:
    """The clerk, signed in, with everything in the world indexed."""
    apply_outbox(runtime.sessions, runtime.search)
    sign_in(client, "clerk")
    return client


def _facet(page: str, name: str) -> str:
    found = re.search(
        rf'<ul class="govuk-list edrm-facet" data-facet="{name}">(.*?)</ul>',
        page,
        re.S,
    )
    assert found, f"no {name} facet on the page"
    return found.group(1)


def _links(html: str) -> list[tuple[str, str]]:
    """(href, visible text) of each link in `html`, unescaped, whitespace squeezed."""
    out = []
    for href, inner in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', html, re.S):
        text = re.sub(r'<span class="govuk-visually-hidden">.*?</span>', "", inner)
        out.append((unescape(href), " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())))
    return out


def _selected(page: str) -> str:
    found = re.search(r'<div class="edrm-selected-filters">(.*?)\n</div>', page, re.S)
    assert found, "no Selected filters summary on the page"
    return found.group(1)


# --- item 3: the filter layout -----------------------------------------------------------------


def test_the_filters_fold_behind_a_show_filters_toggle_that_needs_no_script(
    searcher: FlaskClient,
) -> None:
    """Issue 12 item 3: on a phone the facets are folded behind "Show filters", a <details>
    element (it opens without JavaScript), so the results are not pushed below every facet."""
    page = searcher.get("/search?q=invoice").text
    details = re.search(r'<details class="edrm-filters" id="filters">(.*?)</details>', page, re.S)
    assert details, "the facets are not inside a <details>"
    assert re.search(r"<summary[^>]*>\s*<span[^>]*>Show filters</span>", details.group(1))
    assert 'data-facet="class"' in details.group(1)


def test_the_query_box_sits_above_the_filter_layout_across_the_page(
    searcher: FlaskClient,
) -> None:
    """Issue 12 item 3: the query box is not inside a grid column, so it spans the page at any
    width, and the Search button sits in the same row (edrm-search-row)."""
    page = searcher.get("/search?q=invoice").text
    assert page.index('id="q"') < page.index('class="govuk-grid-row edrm-filter-layout"')
    assert re.search(r'<div class="edrm-search-row">\s*<input class="govuk-input" id="q"', page)


def test_a_chosen_filter_is_kept_when_the_words_change(searcher: FlaskClient) -> None:
    """Issue 12 item 3: the query form carries the chosen filters, so a new search keeps them
    (and the Selected filters summary shows them, to remove)."""
    page = searcher.get("/search?q=invoice&class=FIN-AP-INV").text
    start = page.index('role="search"')
    form = page[start : page.index("</form>", start)]
    assert '<input type="hidden" name="class" value="FIN-AP-INV">' in form


# --- item 4: names, not codes ----------------------------------------------------------------


def test_class_facets_show_the_class_title_and_keep_the_code_in_the_link(
    searcher: FlaskClient,
) -> None:
    """Issue 12 item 4: the class facet reads "Supplier invoices" (with its code in small type
    beside it); the link still filters on the code, so URLs stay the same."""
    links = _links(_facet(searcher.get("/search?q=invoice").text, "class"))
    assert ("/search?q=invoice&class=FIN-AP-INV", "Supplier invoices FIN-AP-INV") in links


def test_creator_facets_show_a_persons_name_for_a_username(searcher: FlaskClient) -> None:
    """Issue 12 item 4: a document filed through the web has its filer's username as creator;
    the facet shows the person's name and filters on the username."""
    links = _links(_facet(searcher.get("/search?q=invoice").text, "creator"))
    assert ("/search?q=invoice&creator=clerk", "Clerk") in links
    assert all(text != "clerk" for _, text in links)


def test_type_facets_show_document_types_in_plain_words(searcher: FlaskClient) -> None:
    """Issue 12 item 4: a document with no type of its own is counted under its media type;
    the facet says "Plain text", not "text/plain", and filters on the media type."""
    links = _links(_facet(searcher.get("/search?q=invoice").text, "type"))
    assert ("/search?q=invoice&type=text/plain", "Plain text") in links


def test_hits_name_their_class(searcher: FlaskClient) -> None:
    """Issue 12 item 4: each hit says the class it is filed in by its title, code beside it."""
    page = searcher.get("/search?q=Acme").text
    hit = page[page.index('<li class="edrm-result">') :]
    assert "Supplier invoices" in hit[: hit.index("</li>")]


def test_file_plan_pages_name_their_facet_values_too(searcher: FlaskClient) -> None:
    """Issue 12 item 4: a class page's filters (shared with the search page) show names as
    well: "Plain text" and the filer's name, filtering on the values themselves."""
    links = _links(_facet(searcher.get("/fileplan/FIN-AP-INV").text, "type"))
    assert ("/fileplan/FIN-AP-INV?type=text/plain", "Plain text") in links
    people = _links(_facet(searcher.get("/fileplan/FIN-AP-INV").text, "creator"))
    assert ("/fileplan/FIN-AP-INV?creator=clerk", "Clerk") in people


def test_a_class_the_person_may_not_see_is_shown_only_as_its_code(
    searcher: FlaskClient,
) -> None:
    """Issue 12 item 4: a class code in the URL that the person may not see is not named (its
    title would tell them it exists); it shows as the bare code, like a code that names nothing."""
    page = searcher.get("/search?q=case&class=HR-CASE-DIS").text
    assert "Discipline" not in page
    assert ("/search?q=case", "HR-CASE-DIS ✕") in _links(_selected(page))
    nothing = searcher.get("/search?q=case&class=NO-SUCH-CLASS").text
    assert ("/search?q=case", "NO-SUCH-CLASS ✕") in _links(_selected(nothing))


# --- item 11: selected filters and zero-result tips -------------------------------------------


def test_selected_filters_have_a_remove_link_each_and_clear_filters(
    searcher: FlaskClient,
) -> None:
    """Issue 12 item 11: a "Selected filters" summary lists each chosen filter with a link that
    removes just that one, and "Clear filters" keeps the words but drops every filter."""
    page = searcher.get("/search?q=invoice&class=FIN-AP-INV&type=text/plain").text
    links = _links(_selected(page))
    assert ("/search?q=invoice&type=text/plain", "Supplier invoices FIN-AP-INV ✕") in links
    assert ("/search?q=invoice&class=FIN-AP-INV", "Plain text ✕") in links
    assert ("/search?q=invoice", "Clear filters") in links


def test_no_filters_means_no_selected_filters_summary(searcher: FlaskClient) -> None:
    """Issue 12 item 11: the summary appears only when a filter is chosen."""
    assert "Selected filters" not in searcher.get("/search?q=invoice").text


def test_a_search_that_finds_nothing_gives_tips(searcher: FlaskClient) -> None:
    """Issue 12 item 11: a search with no results says so and how to improve it: check the
    spelling, use fewer words (or any of them), the query syntax, and browse the file plan."""
    page = searcher.get("/search?q=toner zebra").text
    assert "There are no matching records" in page
    tips = page[page.index('<div class="edrm-no-results">') :]
    links = _links(tips[: tips.index("</div>")])
    assert "checking the spelling" in tips
    assert ("/search?q=toner+OR+zebra", "search for any of these words") in links
    assert ("#search-help", "how to search") in links
    assert ("/fileplan/", "browsing the file plan") in links
    assert 'id="search-help"' in page


def test_a_search_that_finds_nothing_under_filters_offers_to_remove_them(
    searcher: FlaskClient,
) -> None:
    """Issue 12 item 11: when filters were chosen, the first tip is to remove them, with a link
    that searches the same words with no filters."""
    page = searcher.get("/search?q=intrusion&class=FIN-AP-INV").text
    tips = page[page.index('<div class="edrm-no-results">') :]
    assert ("/search?q=intrusion", "clear all filters") in _links(tips[: tips.index("</div>")])


def test_tips_never_hint_at_records_the_person_may_not_see(searcher: FlaskClient) -> None:
    """Issue 12 item 11: a word found only in a record the person may not see gets the same
    answer as a word found nowhere: no results, the same tips, no count, no "did you mean"."""
    hidden = searcher.get("/search?q=intrusion").text
    nowhere = searcher.get("/search?q=qwertyuiop").text
    for page in (hidden, nowhere):
        assert '<span class="edrm-total">0</span>' in page
        assert "There are no matching records" in page
        assert "Did you mean" not in page
        assert "Security incidents" not in page
