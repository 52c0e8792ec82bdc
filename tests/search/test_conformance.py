"""The search contract (search/base.py), run on every engine: see conftest.backend.

Expected results are worked out by hand from tests/search/corpus.py; security expectations come
from the Python model of visibility (Visibility.allows), never from the engine itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from search.base import (
    FACETS,
    IndexedDocument,
    SearchBackend,
    SearchQuery,
    SearchResult,
    Visibility,
)
from tests.search.conftest import MakeBackend, load
from tests.search.corpus import (
    BY_ID,
    CIVIL_SERVANT,
    CORPUS,
    EVERYTHING,
    OFFICIAL,
    SECRET,
    as_dict,
    facet_counts,
    make_doc,
    visible_ids,
)

HIDDEN = {7, 8}  # SECRET, and OFFICIAL with a key the civil servant lacks
FLOOD_VISIBLE = {1, 2, 3, 5, 9, 10}


def run(
    backend: SearchBackend, text: str, visibility: Visibility = CIVIL_SERVANT, **kw: object
) -> SearchResult:
    kw.setdefault("per_page", 100)
    return backend.search(SearchQuery(text, visibility, **kw))  # type: ignore[arg-type]


def ids(result: SearchResult) -> set[int]:
    return {h.id for h in result.hits}


def found(backend: SearchBackend, text: str, visibility: Visibility = CIVIL_SERVANT) -> set[int]:
    result = run(backend, text, visibility)
    assert result.total == len(result.hits), "per_page=100 holds every hit of this corpus"
    return ids(result)


# ------------------------------------------------------------------------------------ ranking


def test_a_title_match_ranks_above_a_body_mention(backend: SearchBackend) -> None:
    filler = "This note records routine business of the department for the year. " * 3
    load(
        backend,
        [
            make_doc(1, "Annual report", f"{filler} The reservoir is mentioned once here."),
            make_doc(2, "Reservoir inspection", f"{filler} Findings are summarised below."),
            make_doc(3, "Staff newsletter", filler),
        ],
    )
    result = run(backend, "reservoir")
    assert [h.id for h in result.hits] == [2, 1]
    assert result.hits[0].score > result.hits[1].score > 0


def test_hits_carry_the_document_fields(corpus: SearchBackend) -> None:
    (hit,) = run(corpus, "appraisal").hits
    doc = BY_ID[4]
    assert (hit.id, hit.title, hit.class_code, hit.doc_type, hit.marking, hit.created) == (
        4,
        doc.title,
        doc.class_code,
        doc.doc_type,
        doc.marking,
        doc.created,
    )
    assert hit.created.tzinfo is not None


def test_english_stemming_matches_other_forms_of_a_word(corpus: SearchBackend) -> None:
    assert found(corpus, "procurements") == {1, 2, 6}  # procure, procurement
    assert found(corpus, "defences") == {1, 5}


# ----------------------------------------------------------------------------- the language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"risk register"', {3, 6}),
        ('"register risk"', set()),
        ('"flood pumps"', {2, 9}),
        ('title:"risk register"', {3}),
    ],
)
def test_phrases(corpus: SearchBackend, text: str, expected: set[int]) -> None:
    assert found(corpus, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title:register", {3}),
        ("title:pumps", {2, 9}),
        ("creator:patel", {4}),
        ('creator:"Jane Smith"', {1, 3, 6, 10}),
        ("class:FIN-AP", {1, 6, 9}),
        ("class:fin-ap", {1, 6, 9}),
        ("class:FIN-AP*", {1, 2, 6, 9}),
        ("class:FIN*", {1, 2, 5, 6, 9}),
        ("type:invoice", {2}),
        ('marking:"OFFICIAL-SENSITIVE"', {3}),
        ("marking:official", {1, 2, 4, 5, 6, 9, 10}),
        ("ref:INV-7781", {2}),
        ('ref:"FIN/2021/0001"', {1}),
        ("jones", {2, 5, 9}),  # the creator is searched with the words too
        ("INV-7781", {2}),  # and so are the references
    ],
)
def test_fields(corpus: SearchBackend, text: str, expected: set[int]) -> None:
    assert found(corpus, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("year:2022..2023", {2, 3}),
        ("year:2019", {9}),
        ("year:<2020", {9}),
        ("year:>=2024", {5, 6, 10}),
        ("date:>=2024-01-01", {5, 6, 10}),
        ("date:>2024-01-01", {5, 6}),
        ("date:2024-01-01..2024-06-30", {5, 6, 10}),
        ("date:2024-01-02..2024-06-29", {5}),
        ("date:2019-12", {9}),
        ("flood year:2022..2024", {2, 3, 5, 10}),
    ],
)
def test_ranges(corpus: SearchBackend, text: str, expected: set[int]) -> None:
    assert found(corpus, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("flood pumps", {1, 2, 9}),
        ("flood AND pumps", {1, 2, 9}),
        ("appraisal OR budget", {4, 5}),
        ("flood -pumps", {3, 5, 10}),
        ("flood NOT pumps", {3, 5, 10}),
        ("(appraisal OR budget) AND forecast", {5}),
        ("risk OR (flood AND draft)", {3, 6, 10}),
        ("NOT flood", {4, 6}),
        ("-flood -appraisal", {6}),
        ("(flood OR appraisal) -year:2020..2023", {5, 9, 10}),
    ],
)
def test_boolean_logic(corpus: SearchBackend, text: str, expected: set[int]) -> None:
    assert found(corpus, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("flod", set()),
        ("flod~", FLOOD_VISIBLE),
        ("pumsp~", {1, 2, 9}),
        ("aprraisal~2", {4}),
        ("procur*", {1, 2, 6}),
        ("maint*", {9}),
        ("title:apprais*", {4}),
    ],
)
def test_fuzzy_and_prefix(corpus: SearchBackend, text: str, expected: set[int]) -> None:
    assert found(corpus, text) == expected


def test_bad_syntax_searches_best_effort_and_explains(corpus: SearchBackend) -> None:
    result = run(corpus, "foo:appraisal")
    assert ids(result) == set()  # "foo" and "appraisal" as words: no document has "foo"
    assert result.warning and "Unknown field 'foo'" in result.warning
    result = run(corpus, '"risk register')
    assert ids(result) == {3, 6}
    assert result.warning and "quote" in result.warning
    result = run(corpus, "(appraisal OR budget")
    assert ids(result) == {4, 5}
    assert result.warning
    assert run(corpus, "flood").warning is None


def test_an_empty_query_browses_newest_first(corpus: SearchBackend) -> None:
    result = run(corpus, "")
    assert ids(result) == visible_ids(CIVIL_SERVANT)
    dates = [h.created for h in result.hits]
    assert dates == sorted(dates, reverse=True)


# ------------------------------------------------------------------------------------- facets


def test_facet_counts_cover_exactly_the_visible_matches(corpus: SearchBackend) -> None:
    result = run(corpus, "flood")
    assert result.total == len(FLOOD_VISIBLE)
    docs = [BY_ID[i] for i in FLOOD_VISIBLE]
    assert set(result.facets) == set(FACETS)
    for name in FACETS:
        assert as_dict(result.facets[name]) == facet_counts(docs, name), name


def test_facet_values_are_ordered(corpus: SearchBackend) -> None:
    result = run(corpus, "", EVERYTHING)
    classes = result.facets["class"]
    assert [c.count for c in classes] == sorted((c.count for c in classes), reverse=True)
    assert classes[0].value == "FIN-AP"
    years = [c.value for c in result.facets["year"]]
    assert years == sorted(years, reverse=True)


def test_only_requested_facets_are_counted(corpus: SearchBackend) -> None:
    result = run(corpus, "flood", facets=("year",))
    assert set(result.facets) == {"year"}
    assert run(corpus, "flood", facets=()).facets == {}


def test_facet_filters_or_within_and_across(corpus: SearchBackend) -> None:
    result = run(corpus, "flood", filters={"class": ["FIN-AP", "FIN-BUD"]})
    assert ids(result) == {1, 5, 9}
    result = run(
        corpus, "flood", filters={"class": ["FIN-AP", "FIN-BUD"], "year": ["2021", "2024"]}
    )
    assert ids(result) == {1, 5}
    assert result.total == 2
    # a facet's own filter does not narrow its own counts; the other filters do
    assert as_dict(result.facets["class"]) == {"FIN-AP": 1, "FIN-BUD": 1, "GOV-STRAT": 1}
    assert as_dict(result.facets["year"]) == {"2021": 1, "2024": 1, "2019": 1}
    assert as_dict(result.facets["type"]) == {"report": 1, "spreadsheet": 1}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"type": ["invoice", "contract"]}, {2, 9}),
        ({"creator": ["Bob Jones"]}, {2, 5, 9}),
        ({"marking": ["OFFICIAL-SENSITIVE"]}, {3}),
        ({"status": ["draft"]}, {10}),
        ({"year": ["2019"]}, {9}),
        ({"year": ["not-a-year"]}, set()),
        ({"class": []}, visible_ids(CIVIL_SERVANT)),  # no values: no restriction
    ],
)
def test_each_filter(
    corpus: SearchBackend, filters: dict[str, list[str]], expected: set[int]
) -> None:
    assert ids(run(corpus, "", filters=filters)) == expected


# -------------------------------------------------------------------------------- highlights


def test_highlights_mark_matches_and_escape_the_rest(corpus: SearchBackend) -> None:
    (hit,) = run(corpus, "fees").hits
    (snippet,) = hit.highlights
    assert "<mark>Fees</mark>" in snippet
    assert "&lt;b&gt;" in snippet and "&amp;" in snippet
    assert "<b>" not in snippet
    for result in (run(corpus, "flood"), run(corpus, "procur*"), run(corpus, "pumsp~")):
        for hit in result.hits:
            for text in hit.highlights:
                bare = text.replace("<mark>", "").replace("</mark>", "")
                assert "<" not in bare and ">" not in bare


def test_highlights_follow_prefix_and_fuzzy_words(corpus: SearchBackend) -> None:
    by_id = {h.id: h for h in run(corpus, "procur*").hits}
    assert "<mark>procurement</mark>" in " ".join(by_id[2].highlights)
    by_id = {h.id: h for h in run(corpus, "pumsp~").hits}
    assert "<mark>pumps</mark>" in " ".join(by_id[2].highlights).lower()


def test_highlights_can_be_turned_off(corpus: SearchBackend) -> None:
    assert all(h.highlights == () for h in run(corpus, "flood", highlight=False).hits)


# --------------------------------------------------------------------------- more like this


def test_similar_records(corpus: SearchBackend) -> None:
    similar = corpus.similar(1, CIVIL_SERVANT, limit=5)
    got = [h.id for h in similar]
    assert got, "a flood procurement plan has relatives in this corpus"
    assert 1 not in got
    assert set(got) <= visible_ids(CIVIL_SERVANT)
    assert len(got) == len(set(got)) <= 5
    assert len(corpus.similar(1, EVERYTHING, limit=2)) <= 2


def test_similar_records_of_a_hidden_or_unknown_document_are_none(corpus: SearchBackend) -> None:
    assert corpus.similar(7, CIVIL_SERVANT) == ()
    assert corpus.similar(8, CIVIL_SERVANT) == ()
    assert corpus.similar(999, EVERYTHING) == ()


# -------------------------------------------------------------------------- changing the index


def test_changes_are_searchable_after_commit(backend: SearchBackend) -> None:
    backend.index([BY_ID[4]])
    backend.commit()
    assert backend.count() == 1
    assert found(backend, "appraisal") == {4}


def test_delete(corpus: SearchBackend) -> None:
    corpus.delete([2, 12345])
    corpus.commit()
    assert corpus.count() == len(CORPUS) - 1
    assert found(corpus, "invoice") == set()
    assert found(corpus, "flood") == FLOOD_VISIBLE - {2}
    assert "FIN-AP-INV" not in as_dict(run(corpus, "flood").facets["class"])


def test_update_replaces_the_document(corpus: SearchBackend) -> None:
    old = BY_ID[2]
    corpus.index([make_doc(2, "Supplier credit note", "Credit note from Acme.", doc_type="note")])
    corpus.commit()
    assert corpus.count() == len(CORPUS)
    assert found(corpus, "invoice") == set()
    assert found(corpus, "credit") == {2}
    assert run(corpus, "credit").hits[0].doc_type == "note"
    assert old.doc_type not in as_dict(run(corpus, "", EVERYTHING).facets["type"])


def test_an_update_that_hides_a_document_hides_it(corpus: SearchBackend) -> None:
    doc = BY_ID[4]
    corpus.index([make_doc(4, doc.title, doc.body, marking=SECRET, keys=["node:2"])])
    corpus.commit()
    assert found(corpus, "appraisal") == set()
    assert found(corpus, "appraisal", EVERYTHING) == {4}


# ---------------------------------------------------------------------------- paging, sorting


def test_pagination(corpus: SearchBackend) -> None:
    pages = [run(corpus, "", EVERYTHING, per_page=3, page=p) for p in (1, 2, 3, 4, 5)]
    assert all(p.total == len(CORPUS) for p in pages)
    seen = [h.id for p in pages for h in p.hits]
    assert sorted(seen) == sorted(d.id for d in CORPUS)
    assert [len(p.hits) for p in pages] == [3, 3, 3, 1, 0]
    relevance = [run(corpus, "flood", per_page=2, page=p) for p in (1, 2, 3)]
    assert [h.id for p in relevance for h in p.hits] == [h.id for h in run(corpus, "flood").hits]


def test_sort_by_date(corpus: SearchBackend) -> None:
    result = run(corpus, "flood", sort="date")
    assert [h.id for h in result.hits] == [5, 10, 3, 2, 1, 9]


# ------------------------------------------------------------------------------ did you mean


def test_did_you_mean(corpus: SearchBackend) -> None:
    result = run(corpus, "flod defence")
    assert result.total == 0
    assert result.did_you_mean == "flood defence"
    assert run(corpus, result.did_you_mean).total > 0
    assert run(corpus, "Apraisal").did_you_mean == "Appraisal"
    assert run(corpus, "title:apraisal staff").did_you_mean == "title:appraisal staff"
    assert run(corpus, "flood").did_you_mean is None


def test_did_you_mean_offers_only_visible_words(corpus: SearchBackend) -> None:
    assert run(corpus, "zanzibr", EVERYTHING).did_you_mean == "zanzibar"
    assert run(corpus, "zanzibr", CIVIL_SERVANT).did_you_mean is None
    assert run(corpus, "survelliance", CIVIL_SERVANT).did_you_mean is None


# -------------------------------------------------------------------------- schema, rebuild


def test_a_fresh_index_needs_a_rebuild_until_one_is_done(backend: SearchBackend) -> None:
    assert backend.needs_rebuild()
    progress: list[int] = []
    backend.rebuild(iter(CORPUS), progress=progress.append)
    assert not backend.needs_rebuild()
    assert backend.schema_version() >= 1
    assert backend.count() == len(CORPUS)
    assert progress and progress[-1] == len(CORPUS)
    assert found(backend, "flood") == FLOOD_VISIBLE


def test_rebuild_swaps_in_the_new_index_only_when_complete(backend: SearchBackend) -> None:
    load(backend, [make_doc(100, "Alpha memo", "An old memo about alpha.")])

    def docs() -> Iterator[IndexedDocument]:
        for n, doc in enumerate(CORPUS):
            if n == 5:  # half-way: searches still answer from the old index
                assert found(backend, "alpha") == {100}
                assert found(backend, "flood") == set()
            yield doc

    backend.rebuild(docs())
    assert found(backend, "alpha") == set()
    assert found(backend, "flood") == FLOOD_VISIBLE
    assert backend.count() == len(CORPUS)


def test_a_failed_rebuild_leaves_the_old_index_in_place(backend: SearchBackend) -> None:
    load(backend, [make_doc(100, "Alpha memo", "An old memo about alpha.")])

    def docs() -> Iterator[IndexedDocument]:
        yield from CORPUS[:5]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        backend.rebuild(docs())
    assert found(backend, "alpha") == {100}
    assert found(backend, "flood") == set()
    assert backend.count() == 1


def test_writes_after_a_rebuild_go_to_the_new_index(backend: SearchBackend) -> None:
    backend.rebuild(CORPUS)
    load(backend, [make_doc(100, "Alpha memo", "An old memo about alpha.")])
    backend.delete([1])
    backend.commit()
    assert found(backend, "alpha") == {100}
    assert backend.count() == len(CORPUS)


# ---------------------------------------------------------------------------------- security


def test_hidden_documents_never_show(corpus: SearchBackend) -> None:
    for text in ("flood", "zanzibar", "covert OR flood", "pumps", "", "codeword", "patel"):
        result = run(corpus, text)
        assert not ids(result) & HIDDEN, text
        everything = ids(run(corpus, text, EVERYTHING))
        assert ids(result) == everything - HIDDEN, text
        assert result.total == len(everything - HIDDEN), text


def test_hidden_documents_never_count_in_facets(corpus: SearchBackend) -> None:
    for text in ("", "flood", "zanzibar", "codeword OR appraisal"):
        result = run(corpus, text)
        docs = [BY_ID[i] for i in ids(run(corpus, text, EVERYTHING)) - HIDDEN]
        for name in FACETS:
            assert as_dict(result.facets[name]) == facet_counts(docs, name), (text, name)
    marking = as_dict(run(corpus, "").facets["marking"])
    assert SECRET not in marking
    assert as_dict(run(corpus, "").facets["class"]).keys().isdisjoint({"LEGAL-RIPA", "HR-DISC"})


def test_a_query_only_hidden_documents_match_reveals_nothing(corpus: SearchBackend) -> None:
    result = run(corpus, "zanzibar")
    assert (result.total, result.hits, result.did_you_mean) == (0, (), None)
    assert all(counts == () for counts in result.facets.values())
    assert run(corpus, "zanzibar", filters={"class": ["LEGAL-RIPA"]}).total == 0


def test_hidden_documents_never_count_as_similar(corpus: SearchBackend) -> None:
    for doc in CORPUS:
        got = {h.id for h in corpus.similar(doc.id, CIVIL_SERVANT, limit=10)}
        assert not got & HIDDEN
        assert doc.id not in got


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        (Visibility(frozenset(), None), set()),
        (Visibility(frozenset({OFFICIAL}), frozenset()), set()),
        (Visibility(frozenset({OFFICIAL}), None), {1, 2, 5, 8, 9, 10}),
        (Visibility(frozenset({OFFICIAL, SECRET}), frozenset({"node:1"})), {1, 2, 5, 7, 9, 10}),
        (Visibility(frozenset({OFFICIAL}), frozenset({"node:2"})), set()),
        (Visibility(frozenset({OFFICIAL}), frozenset({"owner:9", "node:2"})), {8}),
    ],
)
def test_visibility_rules(
    corpus: SearchBackend, visibility: Visibility, expected: set[int]
) -> None:
    result = run(corpus, "flood", visibility)
    assert ids(result) == expected
    assert result.total == len(expected)
    assert sum(c.count for c in result.facets["marking"]) == len(expected)


def test_an_empty_backend_answers(make_backend: MakeBackend) -> None:
    backend = make_backend()
    result = run(backend, "anything at all", EVERYTHING)
    assert (result.total, result.hits, result.did_you_mean) == (0, (), None)
    assert backend.count() == 0
    assert backend.similar(1, EVERYTHING) == ()
