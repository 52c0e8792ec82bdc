"""The "folder" filter (browsing a file-plan folder), on every engine: see conftest.backend."""

from __future__ import annotations

from search import elastic_dsl as dsl
from search.base import SearchBackend, SearchQuery
from search.query import parse
from tests.search.conftest import load
from tests.search.corpus import CIVIL_SERVANT, SECRET, make_doc

DOCS = (
    make_doc(1, "Invoice 1", "Toner.", class_code="FIN-AP-INV", folder_code="INV-2024"),
    make_doc(2, "Invoice 2", "Paper.", class_code="FIN-AP-INV", folder_code="INV-2024"),
    make_doc(3, "Invoice 3", "Pens.", class_code="FIN-AP-INV", folder_code="INV-2019"),
    make_doc(4, "Invoice 4", "Ink.", class_code="FIN-AP-INV", folder_code=""),
    make_doc(
        5, "Invoice 5", "Safe.", class_code="FIN-AP-INV", folder_code="INV-2024", marking=SECRET
    ),
)


def test_the_folder_filter_narrows_hits_totals_and_facets(backend: SearchBackend) -> None:
    load(backend, DOCS)
    result = backend.search(SearchQuery("", CIVIL_SERVANT, filters={"folder": ["INV-2024"]}))
    assert sorted(h.id for h in result.hits) == [1, 2]  # 5 is SECRET
    assert result.total == 2
    assert [(c.value, c.count) for c in result.facets["class"]] == [("FIN-AP-INV", 2)]
    both = {"folder": ["INV-2024", "INV-2019"], "class": ["FIN-AP-INV"]}
    assert backend.search(SearchQuery("invoice", CIVIL_SERVANT, filters=both)).total == 3
    nowhere = SearchQuery("", CIVIL_SERVANT, filters={"folder": ["INV-2000"]})
    assert backend.search(nowhere).total == 0


def test_the_folder_filter_is_a_query_filter_on_elasticsearch() -> None:
    """Not a facet: it narrows the query (and so every facet), never a post filter."""
    query = SearchQuery("", CIVIL_SERVANT, filters={"folder": ["B", "A"]})
    body = dsl.search_body(query, parse(""), 50)
    assert body["query"]["bool"]["filter"][-1] == {"terms": {"folder_code": ["A", "B"]}}
    assert "post_filter" not in body
