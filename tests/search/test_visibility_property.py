"""Security trimming, as a property: for random documents (markings, access keys) and random
people, no document the person may not see ever shows in hits, totals, facet counts, "did you
mean" suggestions or similar-record lists; and nothing they may see is trimmed away.

The reference is the engine's own answer for the system (Visibility.everything()) filtered in
Python by Visibility.allows: the person must get exactly that, counted exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.base import FACETS, MARKINGS, IndexedDocument, SearchBackend, SearchQuery, Visibility
from tests.search.conftest import MakeBackend
from tests.search.corpus import as_dict, facet_counts

VOCABULARY = ["flood", "budget", "pumps", "invoice", "risk", "register", "tender", "bridge"]
KEYS = ["node:1", "node:2", "owner:3", "owner:4"]
QUERIES = [
    "flood",
    "budget OR tender",
    "risk -flood",
    '"risk register"',
    "",
    "pumps~",
    "reg*",
    "floood",  # a typo: did-you-mean must only come from visible documents
    "budgte tender",
    "tendr",
]
WORD = re.compile(r"\w+")


def words(n: tuple[int, int]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(VOCABULARY), min_size=n[0], max_size=n[1]).map(" ".join)


@st.composite
def documents(draw: st.DrawFn) -> list[IndexedDocument]:
    count = draw(st.integers(min_value=1, max_value=12))
    return [
        IndexedDocument(
            id=doc_id,
            title=draw(words((1, 3))),
            body=draw(words((0, 8))),
            class_code=draw(st.sampled_from(["FIN", "HR", "GOV"])),
            folder_code="F",
            doc_type=draw(st.sampled_from(["letter", "memo"])),
            creator=draw(st.sampled_from(["Ann Lee", "Bo Kim"])),
            marking=draw(st.sampled_from(MARKINGS)),
            created=datetime(draw(st.integers(2019, 2024)), 6, 1, tzinfo=UTC),
            references=(),
            access_keys=tuple(draw(st.lists(st.sampled_from(KEYS), max_size=2, unique=True))),
        )
        for doc_id in range(1, count + 1)
    ]


people = st.builds(
    Visibility,
    markings=st.frozensets(st.sampled_from(MARKINGS)),
    keys=st.none() | st.frozensets(st.sampled_from(KEYS)),
)


def search(backend: SearchBackend, text: str, who: Visibility, **kw: object) -> set[int]:
    result = backend.search(SearchQuery(text, who, per_page=100, **kw))  # type: ignore[arg-type]
    assert result.total == len(result.hits)
    return {h.id for h in result.hits}


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(docs=documents(), person=people)
def test_no_invisible_document_ever_shows(
    make_backend: MakeBackend, docs: list[IndexedDocument], person: Visibility
) -> None:
    backend = make_backend()
    try:
        backend.index(docs)
        backend.commit()
        check(backend, docs, person)
    finally:
        backend.close()


def check(backend: SearchBackend, docs: list[IndexedDocument], person: Visibility) -> None:
    by_id = {d.id: d for d in docs}
    visible = {d.id for d in docs if person.allows(d)}
    visible_words = {
        w.lower() for i in visible for w in WORD.findall(f"{by_id[i].title} {by_id[i].body}")
    }
    everything = Visibility.everything()
    for text in QUERIES:
        for filters in ({}, {"class": ["FIN", "HR"]}):
            result = backend.search(SearchQuery(text, person, filters=filters, per_page=100))
            reference = search(backend, text, everything, filters=filters)
            expected = reference & visible
            got = {h.id for h in result.hits}
            assert got == expected, (text, filters)
            assert result.total == len(expected), (text, filters)
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
