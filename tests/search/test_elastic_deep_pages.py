"""Deep pages on Elasticsearch: beyond the index's result window, pages are reached with
`search_after` in a point in time. Checked without a server, on the fake cluster of
test_elastic_requests (the real client and backend over an in-memory HTTP stand-in) taught to
open and close points in time and to answer `search_after` over a ranked list of hits; and on
a real cluster when EDRM_TEST_ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import pytest
from elasticsearch import Elasticsearch

from search import elastic_dsl as dsl
from search.base import MAX_PAGE_DEPTH, SearchError, SearchQuery
from search.elastic_backend import ElasticBackend
from search.elastic_schema import RESULT_WINDOW
from search.query import parse
from tests.search.conftest import ES_URL
from tests.search.corpus import CIVIL_SERVANT, CORPUS, EVERYTHING
from tests.search.test_elastic_requests import (
    ALIAS,
    URL,
    FakeCluster,
    FakeNode,
    Request,
    _error,
    answer,
    hit,
)

PIT = "pit-0"
FACET_ANSWER = {"facet_year": {"values": {"buckets": [{"key": 2021, "doc_count": 57}]}}}


class RankedCluster(FakeCluster):
    """A fake cluster whose searches run over `ranked` (hits already in sort order, each with
    its `sort` values), honouring from/size, `search_after`, `_source: false` and points in
    time, and checking that a request never reaches beyond the index's result window."""

    def __init__(self, count: int, window: int = RESULT_WINDOW) -> None:
        super().__init__()
        self.window = window
        self.ranked = [
            hit(i, score=100.0 - i, sort=[100.0 - i, 1_600_000_000_000, i]) for i in range(count)
        ]
        self.open_pits: set[str] = set()
        self.fail_search: int | None = None  # the n-th _search (1-based) answers HTTP 500
        self.pits = 0

    def route(
        self, method: str, parts: list[str], params: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        match (method, parts):
            case ("POST", [index, "_pit"]):
                assert index == ALIAS and params["keep_alive"] == "1m"
                pit = f"pit-{self.pits}"
                self.pits += 1
                self.open_pits.add(pit)
                return 200, {"id": pit}
            case ("DELETE", ["_pit"]):
                self.open_pits.discard(body["id"])
                return 200, {"succeeded": True, "num_freed": 1}
            case ("POST", ["_search"]):
                assert body["pit"]["id"] in self.open_pits, "a search in a closed point in time"
                return self.ranked_search(body, in_pit=True)
            case ("POST", [_index, "_search"]):
                return self.ranked_search(body, in_pit=False)
        return super().route(method, parts, params, body)

    def ranked_search(self, body: dict[str, Any], *, in_pit: bool) -> tuple[int, Any]:
        searches = len(self.sent("POST", r"(/edrm-test)?/_search"))
        if searches == self.fail_search:
            return _error(500, "search_phase_execution_exception", "all shards failed")
        start = int(body.get("from", 0))
        size = int(body.get("size", 10))
        assert start + size <= self.window, "from + size beyond max_result_window"
        if "search_after" in body:
            assert start == 0, "search_after pages with from"
            positions = [h["sort"] for h in self.ranked]
            start = positions.index(body["search_after"]) + 1
        found = self.ranked[start : start + size]
        if body.get("_source") is False:
            found = [{k: v for k, v in h.items() if k != "_source"} for h in found]
        out = answer(found, len(self.ranked))
        if body.get("aggs"):
            out["aggregations"] = FACET_ANSWER
        if in_pit:
            out["pit_id"] = body["pit"]["id"]
        return 200, out


def backend_on(cluster: RankedCluster, **kw: Any) -> ElasticBackend:
    """A backend whose client talks to `cluster` (in memory: nothing to close)."""
    node_class = type("BoundFakeNode", (FakeNode,), {"cluster": cluster})
    client = Elasticsearch(URL, node_class=node_class, max_retries=0)
    return ElasticBackend(URL, index=ALIAS, client=client, **kw)


@pytest.fixture
def cluster() -> RankedCluster:
    return RankedCluster(57, window=10)


@pytest.fixture
def elastic(cluster: RankedCluster) -> ElasticBackend:
    return backend_on(cluster, result_window=10)


def ask(backend: ElasticBackend, text: str = "flood", **kw: Any) -> Any:
    return backend.search(SearchQuery(text, CIVIL_SERVANT, **kw))


def searches(cluster: FakeCluster) -> list[Request]:
    return cluster.sent("POST", r"(/edrm-test)?/_search")


# ------------------------------------------------------------------------------ the requests


def test_a_page_within_the_window_pages_with_from_and_size() -> None:
    query = SearchQuery("flood", CIVIL_SERVANT, page=500, per_page=20)  # hits 9,981..10,000
    assert not dsl.deep_page(query, RESULT_WINDOW)
    body = dsl.search_body(query, parse("flood"), 50)
    assert (body["from"], body["size"]) == (9_980, 20)
    assert "search_after" not in body
    deeper = SearchQuery("flood", CIVIL_SERVANT, page=501, per_page=20)
    assert dsl.deep_page(deeper, RESULT_WINDOW)
    deepest = SearchQuery("", CIVIL_SERVANT, page=MAX_PAGE_DEPTH // 1000, per_page=1000)
    assert dsl.deep_page(deepest, RESULT_WINDOW)


def test_a_step_over_hits_asks_only_for_their_sort_values() -> None:
    query = SearchQuery("flood", CIVIL_SERVANT, filters={"class": ["FIN-AP"]}, page=900)
    body = dsl.search_body(query, parse("flood"), 50)
    first = dsl.skip_body(body, 10_000, None)
    assert first == {
        "query": body["query"],
        "post_filter": body["post_filter"],
        "sort": body["sort"],
        "size": 10_000,
        "track_total_hits": False,
        "_source": False,
    }
    # the sort is total: relevance, then newest, then the id tiebreaker
    assert first["sort"][-1] == {"id": {"order": "asc"}}
    later = dsl.skip_body(body, 500, [3.5, 1_600_000_000_000, 42])
    assert later["search_after"] == [3.5, 1_600_000_000_000, 42]
    assert "aggs" not in later and "highlight" not in later and "suggest" not in later


def test_the_page_after_keeps_everything_but_from() -> None:
    query = SearchQuery("flood", CIVIL_SERVANT, page=600, per_page=20, sort="date")
    body = dsl.search_body(query, parse("flood"), 50)
    assert body["sort"] == [{"created": {"order": "desc"}}, {"id": {"order": "desc"}}]
    page = dsl.page_after(body, [1_600_000_000_000, 7])
    assert page == {
        **{k: v for k, v in body.items() if k != "from"},
        "search_after": [1_600_000_000_000, 7],
    }
    assert page["track_total_hits"] is True and "aggs" in page and "highlight" in page
    empty = dsl.page_after(body, [1_600_000_000_000, 7], empty=True)
    assert empty["size"] == 0 and "search_after" not in empty and "from" not in empty
    assert dsl.in_pit(page, "abc", "1m")["pit"] == {"id": "abc", "keep_alive": "1m"}


def test_the_result_window_is_bounded_by_the_index() -> None:
    with pytest.raises(ValueError, match="result_window"):
        ElasticBackend(URL, index=ALIAS, result_window=RESULT_WINDOW + 1)
    with pytest.raises(ValueError, match="result_window"):
        ElasticBackend(URL, index=ALIAS, result_window=0)


# ------------------------------------------------------------------------------ the backend


def test_a_deep_page_steps_with_search_after_in_a_point_in_time(
    elastic: ElasticBackend, cluster: RankedCluster
) -> None:
    result = ask(elastic, page=5, per_page=5, filters={"class": ["FIN-AP"]})  # hits 21..25
    assert [h.id for h in result.hits] == [20, 21, 22, 23, 24]
    assert result.total == 57
    assert result.facets["year"][0].count == 57
    sent = searches(cluster)
    assert [r.path for r in sent] == ["/_search"] * 3, "every step in the point in time"
    assert all(r.body["pit"] == {"id": PIT, "keep_alive": "1m"} for r in sent)
    first, second, page = (r.body for r in sent)
    assert (first["size"], "search_after" in first) == (10, False)
    assert (second["size"], second["search_after"]) == (10, cluster.ranked[9]["sort"])
    assert first["_source"] is False and first["track_total_hits"] is False
    assert sent[0].params["filter_path"] == "hits.hits.sort,pit_id,_shards,timed_out"
    assert page["search_after"] == cluster.ranked[19]["sort"] and "from" not in page
    assert (page["size"], page["track_total_hits"]) == (5, True)
    assert page["post_filter"] == first["post_filter"] == second["post_filter"]
    assert "aggs" in page and "aggs" not in first
    assert cluster.last("POST", rf"/{ALIAS}/_pit").params["keep_alive"] == "1m"
    assert cluster.last("DELETE", "/_pit").body == {"id": PIT}
    assert cluster.open_pits == set()


def test_deep_pages_match_paging_from_the_start(cluster: RankedCluster) -> None:
    """Every page, whether within the window or beyond it, is the slice of the ranking."""
    for per_page in (3, 7, 10):
        elastic = backend_on(cluster, result_window=10)
        seen: list[int] = []
        for page in range(1, 57 // per_page + 3):
            seen += [h.id for h in ask(elastic, page=page, per_page=per_page).hits]
        assert seen == list(range(57)), per_page
    assert cluster.open_pits == set()


def test_a_page_within_the_window_needs_no_point_in_time(
    elastic: ElasticBackend, cluster: RankedCluster
) -> None:
    result = ask(elastic, page=2, per_page=5)
    assert [h.id for h in result.hits] == [5, 6, 7, 8, 9]
    (sent,) = searches(cluster)
    assert sent.path == f"/{ALIAS}/_search" and sent.body["from"] == 5
    assert not cluster.sent("POST", rf"/{ALIAS}/_pit")


def test_a_page_beyond_the_last_hit_is_empty_but_counted(
    elastic: ElasticBackend, cluster: RankedCluster
) -> None:
    result = ask(elastic, page=13, per_page=5)  # hits 61..65 of 57
    assert result.hits == () and result.total == 57 and result.facets["year"]
    *steps, last = (r.body for r in searches(cluster))
    assert [step["size"] for step in steps] == [10] * 6  # the 6th ran out at the 57th hit
    assert last["size"] == 0 and "search_after" not in last
    assert cluster.open_pits == set()


def test_the_point_in_time_is_closed_when_a_step_fails(
    elastic: ElasticBackend, cluster: RankedCluster
) -> None:
    cluster.fail_search = 2
    with pytest.raises(SearchError, match="HTTP 500"):
        ask(elastic, page=5, per_page=5)
    assert cluster.sent("DELETE", "/_pit") and cluster.open_pits == set()


def test_the_default_window_is_the_indexs_max_result_window() -> None:
    cluster = RankedCluster(RESULT_WINDOW + 30)
    elastic = backend_on(cluster)
    result = elastic.search(SearchQuery("", EVERYTHING, page=501, per_page=20, sort="date"))
    assert [h.id for h in result.hits] == list(range(RESULT_WINDOW, RESULT_WINDOW + 20))
    first, page = (r.body for r in searches(cluster))
    assert first["size"] == RESULT_WINDOW
    assert page["search_after"] == cluster.ranked[RESULT_WINDOW - 1]["sort"]


# ------------------------------------------------------------------------- a real cluster


@pytest.mark.skipif(not ES_URL, reason="EDRM_TEST_ELASTICSEARCH_URL is not set")
@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_deep_pages_on_a_real_cluster(sort: Literal["relevance", "date"]) -> None:
    backend = ElasticBackend(ES_URL, index=f"edrm-test-{uuid.uuid4().hex[:12]}", result_window=3)
    try:
        backend.index(CORPUS)
        backend.commit()
        whole = backend.search(SearchQuery("", EVERYTHING, per_page=100, sort=sort))
        paged: list[int] = []
        for page in range(1, 6):
            query = SearchQuery("", EVERYTHING, page=page, per_page=2, sort=sort)
            result = backend.search(query)
            assert result.total == whole.total
            paged += [h.id for h in result.hits]
        assert paged == [h.id for h in whole.hits]
    finally:
        backend.drop()
        backend.close()
