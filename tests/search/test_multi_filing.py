"""A document filed in several locations (multi-filing), on every engine: see conftest.backend.

Its further classes and folders count in the "class" facet and match the "class" and "folder"
filters; a hit names its own class; and `Visibility.excluded` (a location the person may not
see) hides it from hits, totals, facets and similar records.
"""

from __future__ import annotations

from dataclasses import replace

from search.base import SearchBackend, SearchQuery, Visibility
from tests.search.conftest import load
from tests.search.corpus import CIVIL_SERVANT, make_doc

LINKED = replace(
    make_doc(
        1,
        "Flood pump contract",
        "Pumps for the flood barrier.",
        class_code="FIN-AP",
        folder_code="F-1",
        keys=("node:1", "link:9"),
    ),
    also_class_codes=("LEGAL-CON",),
    also_folder_codes=("CON-2024",),
)
DOCS = (
    LINKED,
    make_doc(2, "Flood pump invoice", "Pumps invoiced.", class_code="FIN-AP", folder_code="F-1"),
    make_doc(
        3,
        "Flood pump advice",
        "Pumps advice.",
        class_code="LEGAL-CON",
        folder_code="",
        keys=("node:2",),
    ),
)


def counts(backend: SearchBackend, visibility: Visibility, **kw: object) -> dict[str, int]:
    result = backend.search(SearchQuery("", visibility, **kw))  # type: ignore[arg-type]
    return {c.value: c.count for c in result.facets["class"]}


def test_a_linked_document_counts_and_filters_under_each_of_its_classes(
    backend: SearchBackend,
) -> None:
    load(backend, DOCS)
    assert counts(backend, CIVIL_SERVANT) == {"FIN-AP": 2, "LEGAL-CON": 2}
    legal = backend.search(SearchQuery("pump", CIVIL_SERVANT, filters={"class": ["LEGAL-CON"]}))
    assert sorted(h.id for h in legal.hits) == [1, 3]
    assert legal.total == 2
    assert {h.id: h.class_code for h in legal.hits} == {1: "FIN-AP", 3: "LEGAL-CON"}
    folder = backend.search(SearchQuery("", CIVIL_SERVANT, filters={"folder": ["CON-2024"]}))
    assert [h.id for h in folder.hits] == [1]
    own = backend.search(SearchQuery("", CIVIL_SERVANT, filters={"folder": ["F-1"]}))
    assert sorted(h.id for h in own.hits) == [1, 2]


def test_an_excluded_key_hides_the_document_everywhere(backend: SearchBackend) -> None:
    load(backend, DOCS)
    barred = replace(CIVIL_SERVANT, excluded=frozenset({"link:9"}))
    for text in ("", "pump", "flood OR contract"):
        result = backend.search(SearchQuery(text, barred, per_page=100))
        assert 1 not in {h.id for h in result.hits}, text
        assert result.total == 2, text
    assert counts(backend, barred) == {"FIN-AP": 1, "LEGAL-CON": 1}
    assert backend.search(SearchQuery("contract", barred)).total == 0
    assert 1 not in {h.id for h in backend.similar(2, barred, limit=10)}
    assert backend.similar(1, barred) == ()
    assert not barred.allows(LINKED) and CIVIL_SERVANT.allows(LINKED)
    unrelated = replace(CIVIL_SERVANT, excluded=frozenset({"link:7"}))
    assert backend.search(SearchQuery("contract", unrelated)).total == 1


def test_elasticsearch_gets_the_excluded_keys_and_every_class_and_folder() -> None:
    """The Elasticsearch side, without a cluster: its filter and its document source."""
    from search import elastic_dsl as dsl
    from search.elastic_results import first_value
    from search.elastic_schema import to_source

    barred = replace(CIVIL_SERVANT, excluded=frozenset({"link:9", "link:3"}))
    assert dsl.visibility_filter(barred)[-1] == {
        "bool": {"must_not": [{"terms": {"access_keys": ["link:3", "link:9"]}}]}
    }
    assert len(dsl.visibility_filter(CIVIL_SERVANT)) == 2  # nothing excluded: no clause
    source = to_source(LINKED)
    assert source["class_code"] == ["FIN-AP", "LEGAL-CON"]
    assert source["folder_code"] == ["F-1", "CON-2024"]
    assert to_source(DOCS[1])["class_code"] == "FIN-AP"
    assert first_value(source["class_code"]) == "FIN-AP" and first_value("X") == "X"
