"""The tantivy backend's shortcuts change nothing a person sees: facets counted on a helper
thread give what the caller's thread alone gives, and the cached visibility filter follows a
change in a person's access keys or markings, and in the index's markings, at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search.base import SearchQuery, SearchResult, Visibility
from search.tantivy_backend import TantivyBackend
from tests.search.corpus import (
    CIVIL_SERVANT,
    CORPUS,
    EVERYTHING,
    OFFICIAL,
    SECRET,
    SENSITIVE,
    TOP_SECRET,
    make_doc,
    visible_ids,
)

QUERIES: list[tuple[str, dict[str, list[str]]]] = [
    ("", {}),
    ("flood", {}),
    ("flood", {"class": ["FIN-AP"]}),
    ("flood", {"class": ["FIN-AP", "FIN-AP-INV"], "type": ["report"]}),
    ("flood pumps", {"year": ["2022"]}),
    ("flood", {"year": ["2019", "2022"], "marking": [OFFICIAL]}),
    ("risk register", {"creator": ["Jane Smith"]}),
    ('"risk register"', {}),
    ("procure*", {"status": ["filed"]}),
    ("flod~", {}),
    ("flod defence", {}),
    ("title:apraisal staff", {}),
    ("zanzibr", {}),
    ("NOT flood", {"folder": ["F-1"]}),
    ("flood", {"type": ["nothing-of-this-type"]}),
]
PEOPLE = [
    EVERYTHING,
    CIVIL_SERVANT,
    Visibility(frozenset({OFFICIAL, SECRET}), frozenset({"node:1"})),
]


def open_backend(directory: Path, helper_threads: bool) -> TantivyBackend:
    return TantivyBackend(
        directory, writer_heap_bytes=20_000_000, writer_threads=1, helper_threads=helper_threads
    )


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[TantivyBackend]:
    with open_backend(tmp_path, helper_threads=True) as backend:
        backend.index(CORPUS)
        backend.commit()
        yield backend


def ids(result: SearchResult) -> set[int]:
    return {hit.id for hit in result.hits}


def test_facets_on_a_helper_thread_are_what_one_thread_counts(tmp_path: Path) -> None:
    with open_backend(tmp_path, helper_threads=True) as threaded:
        threaded.index(CORPUS)
        threaded.commit()
        with open_backend(tmp_path, helper_threads=False) as alone:
            for person in PEOPLE:
                for text, filters in QUERIES:
                    for sort in ("relevance", "date"):
                        query = SearchQuery(text, person, filters=filters, sort=sort)
                        assert threaded.search(query) == alone.search(query), (text, filters)


def test_a_one_value_filter_finds_what_the_same_value_in_a_list_of_two_finds(
    loaded: TantivyBackend,
) -> None:
    for name, value in [("class", "FIN-AP"), ("year", "2022"), ("type", "report")]:
        one = loaded.search(SearchQuery("flood", EVERYTHING, filters={name: [value]}))
        two = loaded.search(SearchQuery("flood", EVERYTHING, filters={name: [value, "none"]}))
        assert one.total == two.total > 0
        assert ids(one) == ids(two)
        assert one.facets == two.facets


def test_a_new_access_key_is_seen_at_the_next_search(loaded: TantivyBackend) -> None:
    before = Visibility(frozenset({OFFICIAL, SENSITIVE}), frozenset({"node:1"}))
    after = Visibility(before.markings, frozenset({"node:1", "owner:9"}))
    for _ in range(2):  # the second time from the cache
        assert ids(loaded.search(SearchQuery("", before))) == visible_ids(before)
        assert ids(loaded.search(SearchQuery("", after))) == visible_ids(after)
    assert 8 in visible_ids(after) - visible_ids(before)
    assert loaded.search(SearchQuery("hearing", before)).total == 0
    assert loaded.search(SearchQuery("hearing", after)).total == 1
    assert loaded.search(SearchQuery("hearing", before)).total == 0  # taken away again


def test_a_marking_granted_or_taken_away_is_seen_at_the_next_search(
    loaded: TantivyBackend,
) -> None:
    keys = frozenset({"node:1", "node:2"})
    cleared = Visibility(frozenset({OFFICIAL, SENSITIVE, SECRET}), keys)
    for person in (CIVIL_SERVANT, cleared, CIVIL_SERVANT, cleared):
        assert ids(loaded.search(SearchQuery("", person))) == visible_ids(person)
        marking_facet = {c.value for c in loaded.search(SearchQuery("", person)).facets["marking"]}
        assert (SECRET in marking_facet) == (person is cleared)
    assert loaded.similar(1, CIVIL_SERVANT, limit=10) == tuple(
        h for h in loaded.similar(1, CIVIL_SERVANT, limit=10) if h.marking != SECRET
    )


def test_a_marking_new_to_the_index_stays_hidden_from_a_cached_person(
    loaded: TantivyBackend,
) -> None:
    person = Visibility(frozenset({OFFICIAL, SENSITIVE, SECRET}), frozenset({"node:1"}))
    assert loaded.search(SearchQuery("", person)).total == len(visible_ids(person))
    loaded.index([make_doc(99, "Flood secrets", "flood", marking=TOP_SECRET, keys=["node:1"])])
    loaded.commit()
    assert 99 not in ids(loaded.search(SearchQuery("", person, per_page=100)))
    assert 99 in ids(loaded.search(SearchQuery("", EVERYTHING, per_page=100)))
    assert loaded.search(SearchQuery("secrets", person)).total == 0


def test_a_rebuild_forgets_what_was_compiled_for_the_old_index(tmp_path: Path) -> None:
    with open_backend(tmp_path, helper_threads=True) as backend:
        backend.rebuild(CORPUS)
        assert backend.search(SearchQuery("flood", CIVIL_SERVANT)).total > 0
        backend.rebuild([make_doc(1, "Only one", "flood", marking=SECRET)])
        assert backend.search(SearchQuery("flood", CIVIL_SERVANT)).total == 0
        assert backend.search(SearchQuery("flood", EVERYTHING)).total == 1


def test_stems_counted_in_one_aggregation_are_counted_as_one_by_one(
    loaded: TantivyBackend,
) -> None:
    from search.tantivy_compile import Compiler
    from search.tantivy_suggest import STEM_FIELDS, Speller

    index = loaded._reader()
    searcher = index.searcher()
    for person in PEOPLE:
        restrict = Compiler(index.schema, searcher).visibility(person)
        speller = Speller(searcher, index.schema, restrict)
        stems = {"flood", "pump", "zanzibar", "risk", "apprais", "nothing", "inv-7781", "2021"}
        for fields in (STEM_FIELDS, ("title",)):
            each = speller.visible_each(stems, fields)
            assert each == {s: speller.visible(s, fields) for s in stems}
        assert each["flood"] > 0


def test_a_one_word_correction_is_offered_as_when_it_was_counted_again(
    loaded: TantivyBackend,
) -> None:
    for person in PEOPLE:
        for text, filters in [
            ("flod", {}),
            ("Apraisal", {}),
            ("title:apraisal", {}),
            ("zanzibr", {}),
            ("flod", {"class": ["GOV-STRAT"]}),
            ("flod", {"class": ["HR-PERF"]}),  # no flood there: nothing to offer
        ]:
            result = loaded.search(SearchQuery(text, person, filters=filters))
            if result.did_you_mean is None:
                continue
            again = loaded.search(SearchQuery(result.did_you_mean, person, filters=filters))
            assert again.total > result.total, (text, filters, person)
    assert loaded.search(SearchQuery("flod", EVERYTHING)).did_you_mean == "flood"
    hr = {"class": ["HR-PERF"]}
    assert loaded.search(SearchQuery("flod", EVERYTHING, filters=hr)).did_you_mean is None


def expected_facets(person: Visibility, filters: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Disjunctive facet counts of browsing (no words) under `filters`, from the documents."""
    from tests.search.corpus import FACET_OF, facet_counts

    def keeps(doc: object, name: str) -> bool:
        values = filters.get(name)
        if not values:
            return True
        if name == "status":
            return doc.status in values  # type: ignore[attr-defined]
        if name == "folder":
            return doc.folder_code in values  # type: ignore[attr-defined]
        return FACET_OF[name](doc) in values

    seen = [d for d in CORPUS if person.allows(d)]
    out = {}
    for facet in FACET_OF:
        docs = [d for d in seen if all(keeps(d, n) for n in filters if n != facet)]
        out[facet] = facet_counts(docs, facet)
    return out


@pytest.mark.parametrize(
    "filters",
    [
        {"class": ["FIN-AP"]},
        {"class": ["FIN-AP", "FIN-AP-INV"], "year": ["2022", "2021"]},
        {"creator": ["Jane Smith", "Bob Jones"], "marking": [OFFICIAL, SENSITIVE]},
        {"type": ["report", "invoice", "minutes"], "year": ["2024"], "status": ["filed"]},
        {"marking": [TOP_SECRET, SECRET], "creator": ["Agent Orange"]},
        {"year": ["not a year"], "class": ["FIN-AP"]},
        {"creator": ['Jane "the boss" Smith', "Jane Smith"], "type": ["report"]},  # quoted
        {"class": ["FIN-AP"], "type": ["contract"], "folder": ["F-1"]},
    ],
)
def test_facets_counted_in_one_pass_are_the_disjunctive_counts(
    loaded: TantivyBackend, filters: dict[str, list[str]]
) -> None:
    from tests.search.corpus import as_dict

    for person in PEOPLE:
        result = loaded.search(SearchQuery("", person, filters=filters))
        got = {name: as_dict(counts) for name, counts in result.facets.items()}
        assert got == expected_facets(person, filters), (person, filters)


def test_facet_values_with_spaces_and_punctuation_count_as_they_are(tmp_path: Path) -> None:
    odd = ["Smith, J. (acting)", "O'Brien", "Jane  Smith", "Jane Smith ", "a:b/c+d"]
    docs = [
        make_doc(i, f"Flood note {i}", "flood", creator=name, class_code=f"C-{i % 2}")
        for i, name in enumerate(odd, 1)
    ]
    with open_backend(tmp_path, helper_threads=True) as backend:
        backend.index(docs)
        backend.commit()
        for name in odd:
            filters = {"creator": [name], "class": ["C-0", "C-1"]}
            result = backend.search(SearchQuery("flood", EVERYTHING, filters=filters))
            assert [h.id for h in result.hits] == [odd.index(name) + 1], name
            classes = {c.value: c.count for c in result.facets["creator"]}
            assert classes == {n: 1 for n in odd}, name  # its own filter does not narrow it
            assert {c.value for c in result.facets["class"]} == {f"C-{(odd.index(name) + 1) % 2}"}
