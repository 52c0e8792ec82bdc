"""Security trimming, as a property: for random documents (several classes, folders, markings
and access keys) and random people, no document the person may not see ever shows in hits,
totals, facet counts, "did you mean" suggestions or similar-record lists; and nothing they may
see is trimmed away.

The reference is the engine's own answer for the system (Visibility.everything()) filtered in
Python by Visibility.allows: the person must get exactly that, counted exactly.

So that the comparisons are not of an empty answer with an empty answer, every example draws a
person cleared for one of its documents (its marking, and one of its access keys or no key
restriction), queries made of the documents' own words, and filters naming that document's
class and folder; each example checks that this person finds that document, and hypothesis is
steered (`target`) towards examples where many documents are visible and found. A stranger,
drawn at random, often sees nothing: that must come out exactly too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from search.base import FACETS, MARKINGS, IndexedDocument, SearchBackend, SearchQuery, Visibility
from search.query import STOP_WORDS
from tests.search.conftest import MakeBackend
from tests.search.corpus import as_dict, facet_counts

VOCABULARY = [
    "flood",
    "budget",
    "pumps",
    "invoice",
    "risk",
    "register",
    "tender",
    "bridge",
    "culvert",
    "drainage",
    "payroll",
    "grievance",
]
assert not STOP_WORDS & set(VOCABULARY)
CLASSES = ["FIN-AP", "HR-CASE", "GOV-BRD", "SEC-OPS"]
KEYS = ["node:1", "node:2", "node:3", "owner:4", "owner:5"]  # nodes' groups and owners
FIXED_QUERIES = ["", "budget OR tender", '"risk register"', "floood", "budgte tender", "reg*"]
WORD = re.compile(r"\w+")


def words(n: tuple[int, int]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(VOCABULARY), min_size=n[0], max_size=n[1]).map(" ".join)


@st.composite
def document(draw: st.DrawFn, doc_id: int) -> IndexedDocument:
    class_code = draw(st.sampled_from(CLASSES))
    return IndexedDocument(
        id=doc_id,
        title=draw(words((1, 3))),
        body=draw(words((0, 8))),
        class_code=class_code,
        folder_code=draw(st.sampled_from(["", f"{class_code}-2023", f"{class_code}-2024"])),
        doc_type=draw(st.sampled_from(["letter", "memo", "report"])),
        creator=draw(st.sampled_from(["Ann Lee", "Bo Kim", "Cy Dunn"])),
        marking=draw(st.sampled_from(MARKINGS)),
        created=datetime(draw(st.integers(2019, 2024)), 6, 1, tzinfo=UTC),
        references=(),
        access_keys=tuple(draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True))),
    )


@st.composite
def documents(draw: st.DrawFn) -> list[IndexedDocument]:
    count = draw(st.integers(min_value=3, max_value=16))
    return [draw(document(doc_id)) for doc_id in range(1, count + 1)]


strangers = st.builds(
    Visibility,
    markings=st.frozensets(st.sampled_from(MARKINGS)),
    keys=st.none() | st.frozensets(st.sampled_from(KEYS)),
)


@st.composite
def cleared_for(draw: st.DrawFn, doc: IndexedDocument) -> Visibility:
    """Someone who may see `doc`: its marking (and perhaps others), and one of its access keys
    (and perhaps others) or no access-key restriction."""
    markings = draw(st.frozensets(st.sampled_from(MARKINGS))) | {doc.marking}
    restricted = draw(st.booleans())
    if doc.access_keys and restricted:
        keys = draw(st.frozensets(st.sampled_from(KEYS))) | {draw(st.sampled_from(doc.access_keys))}
        return Visibility(markings, frozenset(keys))
    return Visibility(markings, None)


def _typo(word: str) -> str:
    return word[:2] + word[3:] if len(word) > 4 else word + word[-1]


@st.composite
def queries(draw: st.DrawFn, docs: list[IndexedDocument]) -> list[str]:
    """Queries made of the documents' own words: single words, OR, NOT, phrases of words that
    stand side by side in a document, prefixes, fuzzy words, a field, typos; and a few fixed
    ones."""
    texts = [WORD.findall(f"{d.title} {d.body}") for d in docs]
    used = sorted({w for t in texts for w in t})
    word = st.sampled_from(used)
    pairs = sorted({(t[i], t[i + 1]) for t in texts for i in range(len(t) - 1)})
    forms = [
        word,
        st.tuples(word, word).map(lambda p: f"{p[0]} OR {p[1]}"),
        st.tuples(word, word).map(lambda p: f"{p[0]} -{p[1]}"),
        word.map(lambda w: f"{w[:3]}*"),
        word.map(lambda w: f"{w}~"),
        word.map(lambda w: f"title:{w}"),
        word.map(_typo),
        st.sampled_from(FIXED_QUERIES),
    ]
    if pairs:
        forms.append(st.sampled_from(pairs).map(lambda p: f'"{p[0]} {p[1]}"'))
    return draw(st.lists(st.one_of(forms), min_size=3, max_size=6))


@st.composite
def examples(
    draw: st.DrawFn,
) -> tuple[list[IndexedDocument], IndexedDocument, Visibility, Visibility, list[str]]:
    docs = draw(documents())
    seen = draw(st.sampled_from(docs))
    return docs, seen, draw(cleared_for(seen)), draw(strangers), draw(queries(docs))


def search(backend: SearchBackend, text: str, who: Visibility, **kw: object) -> set[int]:
    result = backend.search(SearchQuery(text, who, per_page=100, **kw))  # type: ignore[arg-type]
    assert result.total == len(result.hits)
    return {h.id for h in result.hits}


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=examples())
def test_no_invisible_document_ever_shows(
    make_backend: MakeBackend,
    example: tuple[list[IndexedDocument], IndexedDocument, Visibility, Visibility, list[str]],
) -> None:
    docs, seen, cleared, stranger, texts = example
    backend = make_backend()
    try:
        backend.index(docs)
        backend.commit()
        first_word = WORD.findall(seen.title)[0]
        assert seen.id in search(backend, first_word, cleared), "the cleared person finds it"
        filters: list[dict[str, list[str]]] = [
            {},
            {"class": [seen.class_code, CLASSES[0]]},
            {"folder": [seen.folder_code]},
        ]
        found = check(backend, docs, cleared, [first_word, *texts], filters)
        target(float(found), label="documents found by the cleared person")
        target(float(sum(cleared.allows(d) for d in docs)), label="documents visible")
        check(backend, docs, stranger, texts, filters)
    finally:
        backend.close()


def check(
    backend: SearchBackend,
    docs: list[IndexedDocument],
    person: Visibility,
    texts: list[str],
    filter_sets: list[dict[str, list[str]]],
) -> int:
    """Every query under every filter: exactly the visible part of the system's answer, with
    exact totals and facet counts and suggestions made only of visible words. Returns how many
    (query, filters, document) hits the person got."""
    by_id = {d.id: d for d in docs}
    visible = {d.id for d in docs if person.allows(d)}
    visible_words = {
        w.lower() for i in visible for w in WORD.findall(f"{by_id[i].title} {by_id[i].body}")
    }
    everything = Visibility.everything()
    found = 0
    for text in texts:
        for filters in filter_sets:
            result = backend.search(SearchQuery(text, person, filters=filters, per_page=100))
            reference = search(backend, text, everything, filters=filters)
            expected = reference & visible
            got = {h.id for h in result.hits}
            assert got == expected, (text, filters)
            assert result.total == len(expected), (text, filters)
            found += len(got)
            if not filters:
                matching = [by_id[i] for i in expected]
                for name in FACETS:
                    assert as_dict(result.facets[name]) == facet_counts(matching, name), name
            if result.did_you_mean is not None:
                new = {w.lower() for w in WORD.findall(result.did_you_mean)}
                new -= {w.lower() for w in WORD.findall(text)}
                assert new <= visible_words, (text, result.did_you_mean)
                assert search(backend, result.did_you_mean, person, filters=filters)
    for doc in docs[:4]:
        similar = {h.id for h in backend.similar(doc.id, person, limit=10)}
        assert similar <= visible - {doc.id}
        if doc.id not in visible:
            assert similar == set()
    return found
