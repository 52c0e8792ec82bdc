"""The Elasticsearch backend without a server: the real client (elasticsearch-py 8) and the real
backend talk HTTP to an in-memory stand-in for the cluster, plugged in as the client's
`node_class` (the one thing faked). The tests check the requests the backend sends (mapping,
queries, visibility filters, facet aggregations, highlighting, more-like-this, the alias swap)
and how it reads canned responses (hits, totals, facets, highlights, "did you mean", errors).

Whether Elasticsearch itself answers these requests as intended is checked by the conformance
suite, which runs on a real cluster when EDRM_TEST_ELASTICSEARCH_URL is set.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from elastic_transport import (
    ApiResponseMeta,
    BaseNode,
    ConnectionError,
    HttpHeaders,
)
from elastic_transport._node import NodeApiResponse  # a node's return type
from elasticsearch import Elasticsearch

from search import elastic_dsl as dsl
from search.base import (
    FACETS,
    FacetCount,
    IndexedDocument,
    SearchBackend,
    SearchError,
    SearchQuery,
    Visibility,
)
from search.elastic_backend import ElasticBackend
from search.elastic_schema import SCHEMA_VERSION, concrete_name
from search.query import parse
from tests.search.corpus import CIVIL_SERVANT, CORPUS, EVERYTHING, OFFICIAL, SECRET

URL = "http://es.test:9200"
ALIAS = "edrm-test"
CONCRETE = re.compile(rf"{ALIAS}-v{SCHEMA_VERSION}-\d{{20}}")

# ------------------------------------------------------------------------- the fake cluster


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any


def _error(status: int, kind: str, reason: str) -> tuple[int, dict[str, Any]]:
    cause = {"type": kind, "reason": reason}
    return status, {"error": {**cause, "root_cause": [cause]}, "status": status}


def empty_search() -> dict[str, Any]:
    return {
        "took": 1,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []},
    }


class FakeCluster:
    """Just enough of Elasticsearch's HTTP API, in memory: indices, aliases, mappings, bulk
    writes (kept as a dict of sources); searches and counts answer with what a test queued."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.indices: dict[str, dict[str, Any]] = {}
        self.searches: list[dict[str, Any]] = []  # canned _search answers, in order
        self.msearches: list[dict[str, Any]] = []
        self.counts: list[int] = []
        self.failures: list[tuple[int, dict[str, Any]]] = []  # the next answers, as errors
        self.down = False

    # inspection
    def sent(self, method: str, pattern: str) -> list[Request]:
        return [
            r
            for r in self.requests
            if re.fullmatch(method, r.method) and re.fullmatch(pattern, r.path)
        ]

    def last(self, method: str, pattern: str) -> Request:
        found = self.sent(method, pattern)
        assert found, f"no {method} {pattern} among {[(r.method, r.path) for r in self.requests]}"
        return found[-1]

    def aliased(self, alias: str) -> list[str]:
        return sorted(n for n, i in self.indices.items() if alias in i["aliases"])

    def add_index(self, name: str, *, alias: str | None = None, meta: Any = None) -> None:
        mappings = {"_meta": meta} if meta is not None else {}
        self.indices[name] = {
            "settings": {},
            "mappings": mappings,
            "aliases": {alias} if alias else set(),
            "docs": {},
        }

    # the HTTP side
    def handle(
        self, method: str, target: str, raw: bytes | None, headers: HttpHeaders
    ) -> tuple[int, Any]:
        split = urlsplit(target)
        params = dict(parse_qsl(split.query))
        body: Any = None
        if raw:
            text = raw.decode("utf-8")
            if "ndjson" in headers.get("content-type", ""):
                body = [json.loads(line) for line in text.splitlines() if line.strip()]
            else:
                body = json.loads(text)
        parts = [unquote(p) for p in split.path.strip("/").split("/")]
        self.requests.append(Request(method, "/" + "/".join(parts), params, copy.deepcopy(body)))
        if self.failures:
            return self.failures.pop(0)
        return self.route(method, parts, params, body)

    def resolve(self, name: str) -> list[str]:
        if name in self.indices:
            return [name]
        return self.aliased(name)

    def route(
        self, method: str, parts: list[str], params: dict[str, str], body: Any
    ) -> tuple[int, Any]:
        ok = {"acknowledged": True}
        match (method, parts):
            case ("HEAD", ["_alias", name]):
                return (200 if self.aliased(name) else 404), None
            case ("GET", ["_alias", name]):
                if not self.aliased(name):
                    return _error(404, "aliases_not_found_exception", f"aliases [{name}] missing")
                return 200, {n: {"aliases": {name: {}}} for n in self.aliased(name)}
            case ("GET", [pattern, "_alias"]):
                return 200, {
                    n: {"aliases": {a: {} for a in i["aliases"]}}
                    for n, i in self.indices.items()
                    if fnmatch.fnmatch(n, pattern)
                }
            case ("PUT" | "POST", ["_bulk"]):
                return 200, self.bulk(body, params)
            case ("PUT", [name]):
                if name in self.indices:
                    return _error(400, "resource_already_exists_exception", f"{name} exists")
                self.indices[name] = {
                    "settings": body.get("settings", {}),
                    "mappings": body.get("mappings", {}),
                    "aliases": set(body.get("aliases", {})),
                    "docs": {},
                }
                return 200, {**ok, "index": name}
            case ("DELETE", [names]):
                for name in names.split(","):
                    self.indices.pop(name, None)
                return 200, ok
            case ("GET", [name, "_mapping"]):
                found = self.resolve(name)
                if not found:
                    return _error(404, "index_not_found_exception", f"no such index [{name}]")
                return 200, {n: {"mappings": self.indices[n]["mappings"]} for n in found}
            case ("PUT", [name, "_mapping"]):
                self.indices[name]["mappings"]["_meta"] = body["_meta"]
                return 200, ok
            case ("PUT", [name, "_settings"]):
                self.indices[name]["settings"].update(body)
                return 200, ok
            case ("POST", [_name, "_refresh"]):
                return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
            case ("POST", ["_aliases"]):
                return self.update_aliases(body["actions"])
            case ("POST", [_name, "_count"]):
                return 200, {"count": self.counts.pop(0) if self.counts else 0}
            case ("POST", [_name, "_search"]):
                return 200, self.searches.pop(0) if self.searches else empty_search()
            case ("POST", [_name, "_msearch"]):
                answer = self.msearches.pop(0) if self.msearches else None
                return 200, answer or {"responses": [empty_search(), empty_search()]}
        return _error(400, "fake_cluster_exception", f"not faked: {method} /{'/'.join(parts)}")

    def update_aliases(self, actions: list[dict[str, Any]]) -> tuple[int, Any]:
        for action in actions:  # all or nothing
            ((_, spec),) = action.items()
            if spec["index"] not in self.indices:
                return _error(404, "index_not_found_exception", spec["index"])
        for action in actions:
            ((kind, spec),) = action.items()
            aliases = self.indices[spec["index"]]["aliases"]
            (aliases.add if kind == "add" else aliases.discard)(spec["alias"])
        return 200, {"acknowledged": True}

    def bulk(self, lines: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        items: list[dict[str, Any]] = []
        i = 0
        while i < len(lines):
            ((op, meta),) = lines[i].items()
            source = lines[i + 1] if op in ("index", "create") else None
            i += 2 if source is not None else 1
            target = meta["_index"]
            found = self.resolve(target)
            if params.get("require_alias") == "true" and target in self.indices:
                found = []
            if not found:
                status, error = _error(404, "index_not_found_exception", f"no alias [{target}]")
                items.append({op: {"_id": meta["_id"], "status": status, **error}})
                continue
            docs = self.indices[found[0]]["docs"]
            if op == "delete":
                existed = docs.pop(meta["_id"], None) is not None
                status = 200 if existed else 404
                result = "deleted" if existed else "not_found"
                items.append({op: {"_id": meta["_id"], "status": status, "result": result}})
            else:
                docs[meta["_id"]] = source
                items.append({op: {"_id": meta["_id"], "status": 201, "result": "created"}})
        errors = any(not 200 <= next(iter(it.values()))["status"] < 300 for it in items)
        return {"took": 1, "errors": errors, "items": items}


class FakeNode(BaseNode):
    """The client's HTTP connection, answered by a FakeCluster instead of the network."""

    cluster: ClassVar[FakeCluster]

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: Any = None,
    ) -> NodeApiResponse:
        if self.cluster.down:
            raise ConnectionError("Connection refused")
        status, payload = self.cluster.handle(method, target, body, headers or HttpHeaders())
        meta = ApiResponseMeta(
            status=status,
            http_version="1.1",
            headers=HttpHeaders(
                {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
            ),
            duration=0.0,
            node=self.config,
        )
        data = b"" if method == "HEAD" or payload is None else json.dumps(payload).encode()
        return NodeApiResponse(meta, data)


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster()


@pytest.fixture
def client(cluster: FakeCluster) -> Iterator[Elasticsearch]:
    node_class = type("BoundFakeNode", (FakeNode,), {"cluster": cluster})
    es = Elasticsearch(URL, node_class=node_class, max_retries=0)
    yield es
    es.close()


@pytest.fixture
def elastic(client: Elasticsearch) -> ElasticBackend:
    return ElasticBackend(URL, index=ALIAS, client=client)


def ask(backend: ElasticBackend, text: str, who: Visibility = CIVIL_SERVANT, **kw: Any) -> Any:
    return backend.search(SearchQuery(text, who, **kw))


def search_body(cluster: FakeCluster) -> dict[str, Any]:
    body = cluster.last("POST", rf"/{ALIAS}/_search").body
    assert isinstance(body, dict)
    return body


def hit(doc_id: int, score: float | None = 1.0, **extra: Any) -> dict[str, Any]:
    source = {
        "id": doc_id,
        "title": f"Document {doc_id}",
        "class_code": "FIN-AP",
        "doc_type": "report",
        "marking": OFFICIAL,
        "created": "2021-03-01T00:00:00+00:00",
    }
    return {"_index": "x", "_id": str(doc_id), "_score": score, "_source": source, **extra}


def answer(hits: list[dict[str, Any]], total: int, **extra: Any) -> dict[str, Any]:
    out = empty_search()
    out["hits"] = {"total": {"value": total, "relation": "eq"}, "hits": hits}
    return {**out, **extra}


# ---------------------------------------------------------------------------------- protocol


def test_the_backend_satisfies_the_protocol(elastic: ElasticBackend) -> None:
    assert isinstance(elastic, SearchBackend)
    assert ElasticBackend.SCHEMA_VERSION == SCHEMA_VERSION


def test_alias_names(client: Elasticsearch) -> None:
    assert ElasticBackend(URL, client=client).alias == "edrm-documents"
    assert ElasticBackend(URL, index_prefix="records", client=client).alias == "records-documents"
    with pytest.raises(ValueError, match="lower case"):
        ElasticBackend(URL, index="Edrm", client=client)


def test_a_backend_without_a_client_makes_one_lazily() -> None:
    backend = ElasticBackend("http://127.0.0.1:1")  # nothing is sent until it is used
    backend.close()
    with pytest.raises(SearchError, match="closed"):
        backend.count()


# ----------------------------------------------------------------------------------- mapping


def test_first_use_creates_a_versioned_index_behind_the_alias(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    assert elastic.count() == 0
    create = cluster.last("PUT", rf"/{ALIAS}-v[0-9-]+")
    assert CONCRETE.fullmatch(create.path.strip("/"))
    assert create.body["aliases"] == {ALIAS: {"is_write_index": True}}
    assert create.body["mappings"]["_meta"] == {"schema_version": SCHEMA_VERSION, "complete": False}
    # created once; the alias is not looked up again
    elastic.count()
    assert len(cluster.sent("PUT", rf"/{ALIAS}-v[0-9-]+")) == 1
    assert len(cluster.sent("HEAD", rf"/_alias/{ALIAS}")) == 1
    # an index nobody rebuilt needs a rebuild
    assert elastic.schema_version() == SCHEMA_VERSION
    assert elastic.needs_rebuild()


def test_the_mapping(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    elastic.count()
    body = cluster.last("PUT", rf"/{ALIAS}-v[0-9-]+").body
    props = body["mappings"]["properties"]
    assert body["mappings"]["dynamic"] == "strict"
    # English analysis on title and body; the title is boosted in queries (TITLE_BOOST)
    assert props["title"]["analyzer"] == props["body"]["analyzer"] == "edrm_english"
    assert props["title"]["fields"]["plain"]["analyzer"] == "edrm_plain"
    assert props["title"]["copy_to"] == props["body"]["copy_to"] == ["words"]
    assert props["words"] == {"type": "text", "analyzer": "edrm_plain", "index_options": "docs"}
    # keywords for facets, filters and visibility; lower-cased copies for the query language
    for name in ("class_code", "doc_type", "marking"):
        assert props[name] == {
            "type": "keyword",
            "fields": {"lc": {"type": "keyword", "normalizer": "edrm_lower"}},
        }
    for name in ("status", "access_keys", "folder_code"):
        assert props[name] == {"type": "keyword"}
    assert props["creator"]["fields"]["keyword"] == {"type": "keyword"}
    assert props["references"]["fields"]["keyword"] == {"type": "keyword"}
    assert props["year"] == {"type": "integer"}
    assert props["created"] == {"type": "date", "format": "strict_date_optional_time"}
    settings = body["settings"]
    assert settings["number_of_shards"] == 1
    assert settings["max_result_window"] == 10_000
    english = settings["analysis"]["analyzer"]["edrm_english"]
    assert english["tokenizer"] == "standard"
    assert english["filter"] == ["edrm_english_possessive", "lowercase", "edrm_english_stemmer"]
    assert settings["analysis"]["filter"]["edrm_english_stemmer"] == {
        "type": "stemmer",
        "language": "porter2",
    }
    assert settings["analysis"]["normalizer"]["edrm_lower"]["filter"] == ["lowercase"]


def test_indexed_documents(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    doc = CORPUS[0]
    elastic.index([CORPUS[1], doc, doc])  # the last version of an id wins, once
    bulk = cluster.last("PUT|POST", "/_bulk")
    assert bulk.params.get("require_alias") == "true"
    assert bulk.body[::2] == [
        {"index": {"_index": ALIAS, "_id": "2"}},
        {"index": {"_index": ALIAS, "_id": "1"}},
    ]
    assert bulk.body[3] == {
        "id": 1,
        "title": doc.title,
        "body": doc.body,
        "references": ["FIN/2021/0001"],
        "creator": "Jane Smith",
        "class_code": "FIN-AP",
        "doc_type": "report",
        "marking": OFFICIAL,
        "status": "filed",
        "folder_code": "F-1",
        "access_keys": ["node:1"],
        "year": 2021,
        "created": "2021-03-01T00:00:00+00:00",
    }


def test_delete_ignores_unknown_ids_and_commit_refreshes(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    elastic.index(CORPUS[:2])
    elastic.delete([2, 12345])
    bulk = cluster.last("PUT|POST", "/_bulk")
    assert bulk.body == [
        {"delete": {"_index": ALIAS, "_id": "2"}},
        {"delete": {"_index": ALIAS, "_id": "12345"}},
    ]
    elastic.commit()
    assert cluster.last("POST", rf"/{ALIAS}/_refresh")


# ------------------------------------------------------------------------------------ queries


def phrase(field: str, text: str, boost: float = 1.0, slop: int = 0) -> dict[str, Any]:
    body: dict[str, Any] = {"query": text}
    if slop:
        body["slop"] = slop
    if boost != 1.0:
        body["boost"] = boost
    return {"match_phrase": {field: body}}


def anywhere(text: str, slop: int = 0) -> dict[str, Any]:
    """A word or phrase in the default fields, with their boosts."""
    return {
        "bool": {
            "should": [
                phrase("title", text, 3.0, slop),
                phrase("body", text, 1.0, slop),
                phrase("references", text, 2.0, slop),
                phrase("creator", text, 2.0, slop),
            ],
            "minimum_should_match": 1,
        }
    }


def fuzzy_anywhere(text: str, distance: int) -> dict[str, Any]:
    body = {
        "query": text,
        "operator": "and",
        "fuzziness": distance,
        "prefix_length": 0,
        "max_expansions": 50,
        "fuzzy_transpositions": True,
    }
    return {
        "bool": {
            "should": [
                {"match": {"title.plain": {**body, "boost": 3.0}}},
                {"match": {"words": body}},
            ],
            "minimum_should_match": 1,
        }
    }


ALL = {"match_all": {}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("flood", anywhere("flood")),
        ("INV-7781", anywhere("INV-7781")),  # several tokens: matched as a phrase
        ('"risk register"', anywhere("risk register")),
        ('"risk register"~2', anywhere("risk register", slop=2)),
        ("title:budget", phrase("title", "budget")),
        ('title:"risk register"', phrase("title", "risk register")),
        ("creator:patel", phrase("creator", "patel")),
        ('ref:"FIN/2021/0001"', phrase("references", "FIN/2021/0001")),
        ("class:FIN-AP", {"term": {"class_code.lc": {"value": "fin-ap"}}}),
        ("class:FIN*", {"prefix": {"class_code.lc": {"value": "fin"}}}),
        (
            "type:invocie~",
            {"fuzzy": {"doc_type.lc": {"value": "invocie", "fuzziness": 1, "prefix_length": 0}}},
        ),
        ('marking:"OFFICIAL-SENSITIVE"', {"term": {"marking.lc": {"value": "official-sensitive"}}}),
        ("year:2019..2021", {"range": {"year": {"gte": 2019, "lte": 2021}}}),
        ("year:<2020", {"range": {"year": {"lte": 2019}}}),
        (
            "date:>=2024-01-01",
            {
                "range": {
                    "created": {
                        "gte": "2024-01-01T00:00:00+00:00",
                        "format": "strict_date_optional_time",
                    }
                }
            },
        ),
        (
            "date:2024-03",
            {
                "range": {
                    "created": {
                        "gte": "2024-03-01T00:00:00+00:00",
                        "lt": "2024-04-01T00:00:00+00:00",
                        "format": "strict_date_optional_time",
                    }
                }
            },
        ),
        ("flood pumps", {"bool": {"must": [anywhere("flood"), anywhere("pumps")]}}),
        (
            "flood -pumps",
            {"bool": {"must": [anywhere("flood")], "must_not": [anywhere("pumps")]}},
        ),
        ("NOT flood", {"bool": {"must": [ALL], "must_not": [anywhere("flood")]}}),
        (
            "-flood -appraisal",
            {"bool": {"must": [ALL], "must_not": [anywhere("flood"), anywhere("appraisal")]}},
        ),
        (
            "(appraisal OR budget) AND forecast",
            {
                "bool": {
                    "must": [
                        {
                            "bool": {
                                "should": [anywhere("appraisal"), anywhere("budget")],
                                "minimum_should_match": 1,
                            }
                        },
                        anywhere("forecast"),
                    ]
                }
            },
        ),
        (
            "procur*",
            {
                "bool": {
                    "should": [
                        {
                            "match_bool_prefix": {
                                "title.plain": {"query": "procur", "operator": "and", "boost": 3.0}
                            }
                        },
                        {"match_bool_prefix": {"words": {"query": "procur", "operator": "and"}}},
                    ],
                    "minimum_should_match": 1,
                }
            },
        ),
        (
            "title:apprais*",
            {"match_bool_prefix": {"title.plain": {"query": "apprais", "operator": "and"}}},
        ),
        ("pumsp~", fuzzy_anywhere("pumsp", 1)),
        ("aprraisal~2", fuzzy_anywhere("aprraisal", 2)),
    ],
)
def test_the_query_language_compiles_to_query_dsl(text: str, expected: dict[str, Any]) -> None:
    assert dsl.compile_node(parse(text).node) == expected


@pytest.mark.parametrize("text", ["", "!!!", "( )", "_"])
def test_queries_that_restrict_nothing_match_all_visible_documents(text: str) -> None:
    assert dsl.compile_node(parse(text).node) is None


def test_a_search_sends_the_compiled_query_inside_the_visibility_filter(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    ask(elastic, "flood -pumps", page=3, per_page=20)
    body = search_body(cluster)
    assert body["query"] == {
        "bool": {
            "filter": [
                {"terms": {"marking": ["OFFICIAL", "OFFICIAL-SENSITIVE"]}},
                {"terms": {"access_keys": ["node:1", "node:2"]}},
            ],
            "must": [dsl.compile_node(parse("flood -pumps").node)],
        }
    }
    assert (body["from"], body["size"], body["track_total_hits"]) == (40, 20, True)
    assert body["sort"] == [
        {"_score": {"order": "desc"}},
        {"created": {"order": "desc"}},
        {"id": {"order": "asc"}},
    ]
    assert body["_source"] == ["id", "title", "class_code", "doc_type", "marking", "created"]
    request = cluster.last("POST", rf"/{ALIAS}/_search")
    assert request.params["allow_partial_search_results"] == "false"


def test_browsing_and_date_sort_are_newest_first(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    newest = [{"created": {"order": "desc"}}, {"id": {"order": "desc"}}]
    ask(elastic, "")
    body = search_body(cluster)
    assert "must" not in body["query"]["bool"]
    assert body["sort"] == newest
    ask(elastic, "flood", sort="date")
    assert search_body(cluster)["sort"] == newest


# --------------------------------------------------------------------------------- visibility


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        (
            Visibility(frozenset({SECRET, OFFICIAL}), frozenset({"owner:5", "node:1"})),
            [
                {"terms": {"marking": [OFFICIAL, SECRET]}},
                {"terms": {"access_keys": ["node:1", "owner:5"]}},
            ],
        ),
        (Visibility(frozenset({OFFICIAL}), None), [{"terms": {"marking": [OFFICIAL]}}]),
        (Visibility(frozenset(), None), [{"match_none": {}}]),
        (Visibility(frozenset({OFFICIAL}), frozenset()), [{"match_none": {}}]),
    ],
)
def test_visibility_filters(visibility: Visibility, expected: list[dict[str, Any]]) -> None:
    assert dsl.visibility_filter(visibility) == expected


@pytest.mark.parametrize(
    "nobody", [Visibility(frozenset(), None), Visibility(frozenset({OFFICIAL}), frozenset())]
)
def test_a_person_who_sees_nothing_gets_nothing_without_asking(
    elastic: ElasticBackend, cluster: FakeCluster, nobody: Visibility
) -> None:
    cluster.searches.append(answer([hit(1)], 1))  # would be wrong if it were used
    result = ask(elastic, "flood", nobody)
    assert (result.total, result.hits, result.did_you_mean) == (0, (), None)
    assert result.facets == {name: () for name in FACETS}
    assert elastic.similar(1, nobody) == ()
    assert cluster.requests == []


# ------------------------------------------------------------------------------------- facets


def test_facet_aggregations_are_disjunctive(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    ask(
        elastic,
        "flood",
        filters={"class": ["FIN-BUD", "FIN-AP"], "year": ["2021", "x"], "status": ["filed"]},
    )
    body = search_body(cluster)
    by_class = {"terms": {"class_code": ["FIN-AP", "FIN-BUD"]}}
    by_year = {"terms": {"year": [2021]}}
    by_status = {"terms": {"status": ["filed"]}}
    # status is not counted as a facet: it narrows the query (and so every count)
    assert body["query"]["bool"]["filter"][-1] == by_status
    # the counted facets' filters narrow the hits and the total after the aggregations
    assert body["post_filter"] == {"bool": {"filter": [by_class, by_year]}}
    aggs = body["aggs"]
    assert set(aggs) == {f"facet_{name}" for name in FACETS}
    assert aggs["facet_class"]["filter"] == {"bool": {"filter": [by_year]}}
    assert aggs["facet_year"]["filter"] == {"bool": {"filter": [by_class]}}
    for name in ("type", "creator", "marking"):
        assert aggs[f"facet_{name}"]["filter"] == {"bool": {"filter": [by_class, by_year]}}
    assert aggs["facet_creator"]["aggs"]["values"]["terms"] == {
        "field": "creator.keyword",
        "size": 50,
        "min_doc_count": 1,
        "order": [{"_count": "desc"}, {"_key": "asc"}],
    }
    assert aggs["facet_year"]["aggs"]["values"]["terms"] == {
        "field": "year",
        "size": 500,
        "min_doc_count": 1,
        "order": [{"_key": "desc"}],
    }


def test_unfiltered_facets_and_only_the_requested_ones(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    ask(elastic, "flood", facets=("year", "type"))
    body = search_body(cluster)
    assert "post_filter" not in body
    assert set(body["aggs"]) == {"facet_year", "facet_type"}
    assert body["aggs"]["facet_type"]["filter"] == {"match_all": {}}
    ask(elastic, "flood", facets=(), filters={"class": ["FIN-AP"]})
    body = search_body(cluster)
    assert "aggs" not in body and "post_filter" not in body
    assert body["query"]["bool"]["filter"][-1] == {"terms": {"class_code": ["FIN-AP"]}}
    assert ask(elastic, "flood", facets=()).facets == {}


def test_a_year_filter_without_a_year_matches_nothing() -> None:
    assert dsl.filter_clauses({"year": ["not-a-year"]}) == {"year": {"match_none": {}}}


# --------------------------------------------------------------------------------- highlights


def test_highlight_settings(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    ask(elastic, 'flood "risk register" procur* pumsp~ creator:jones -covert')
    marks = search_body(cluster)["highlight"]
    assert marks["pre_tags"] == ["<mark>"] and marks["post_tags"] == ["</mark>"]
    assert marks["encoder"] == "html"
    assert marks["max_analyzed_offset"] == 1_000_000  # a longer body is cut, not an error
    body = marks["fields"]["body"]
    assert (body["type"], body["fragment_size"], body["number_of_fragments"]) == ("unified", 200, 1)
    assert body["no_match_size"] == 0
    # positive words of the default fields only (not creator:, not negated words)
    assert body["highlight_query"] == {
        "bool": {
            "should": [
                {"match": {"body": {"query": "flood"}}},
                {"match": {"body": {"query": "risk register"}}},
                {"match_bool_prefix": {"body": {"query": "procur"}}},
                {
                    "match": {
                        "body": {
                            "query": "pumsp",
                            "fuzziness": 1,
                            "prefix_length": 0,
                            "max_expansions": 50,
                        }
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }
    ask(elastic, "flood", highlight=False)
    assert "highlight" not in search_body(cluster)
    ask(elastic, "class:FIN-AP")
    assert "highlight" not in search_body(cluster)


# ----------------------------------------------------------------------------- more like this


def test_more_like_this_request(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    elastic.similar(1, CIVIL_SERVANT, limit=4)
    request = cluster.last("POST", rf"/{ALIAS}/_msearch")
    header1, check, header2, like = request.body
    assert header1 == header2 == {}
    visibility = dsl.visibility_filter(CIVIL_SERVANT)
    same = {"ids": {"values": ["1"]}}
    assert check["query"] == {"bool": {"filter": [same, *visibility]}}
    assert like["size"] == 4
    query = like["query"]["bool"]
    assert query["filter"] == visibility
    assert query["must_not"] == [same]
    (mlt,) = query["must"]
    assert mlt["more_like_this"]["like"] == [{"_id": "1"}]
    assert mlt["more_like_this"]["fields"] == ["title", "body"]
    assert mlt["more_like_this"]["include"] is False
    assert (mlt["more_like_this"]["min_doc_freq"], mlt["more_like_this"]["max_query_terms"]) == (
        2,
        25,
    )


def test_similar_documents_of_a_hidden_source_are_none(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    cluster.msearches.append({"responses": [answer([], 0), answer([hit(2), hit(3)], 2)]})
    assert elastic.similar(7, CIVIL_SERVANT) == ()
    cluster.msearches.append({"responses": [answer([hit(1)], 1), answer([hit(2), hit(3)], 2)]})
    assert [h.id for h in elastic.similar(1, CIVIL_SERVANT)] == [2, 3]


# -------------------------------------------------------------------------------- rebuilding


def test_rebuild_fills_a_new_index_and_swaps_the_alias_atomically(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    old = concrete_name(ALIAS, datetime(2020, 1, 1, tzinfo=UTC))
    cluster.add_index(old, alias=ALIAS, meta={"schema_version": 0, "complete": True})
    orphan = concrete_name(ALIAS, datetime(2019, 1, 1, tzinfo=UTC))  # a rebuild that died
    cluster.add_index(orphan)
    newer = concrete_name(ALIAS, datetime(2999, 1, 1, tzinfo=UTC))  # another rebuild, running
    cluster.add_index(newer)
    assert elastic.schema_version() == 0 and elastic.needs_rebuild()

    progress: list[int] = []
    elastic.rebuild(iter(CORPUS), progress=progress.append)

    create = cluster.last("PUT", rf"/{ALIAS}-v[0-9-]+")
    new = create.path.strip("/")
    assert CONCRETE.fullmatch(new) and new not in (old, orphan, newer)
    assert "aliases" not in create.body  # nobody sees it until the swap
    assert create.body["settings"]["refresh_interval"] == "-1"
    bulk = cluster.last("PUT|POST", "/_bulk")
    assert {line["index"]["_index"] for line in bulk.body[::2]} == {new}
    assert cluster.indices[new]["settings"]["refresh_interval"] is None  # back to the default
    assert cluster.last("POST", rf"/{new}/_refresh")
    assert cluster.indices[new]["mappings"]["_meta"] == {
        "schema_version": SCHEMA_VERSION,
        "complete": True,
        "documents": len(CORPUS),
    }
    (swap,) = cluster.sent("POST", "/_aliases")
    assert swap.body == {
        "actions": [
            {"remove": {"index": old, "alias": ALIAS}},
            {"add": {"index": new, "alias": ALIAS, "is_write_index": True}},
        ]
    }
    assert cluster.aliased(ALIAS) == [new]
    assert sorted(cluster.indices) == sorted([new, newer])  # the old one and the orphan went
    assert progress == [len(CORPUS)]
    assert elastic.schema_version() == SCHEMA_VERSION
    assert not elastic.needs_rebuild()
    # writes now go to the alias, hence the new index
    elastic.index([CORPUS[0]])
    assert cluster.last("PUT|POST", "/_bulk").body[0] == {"index": {"_index": ALIAS, "_id": "1"}}


def test_a_failed_rebuild_leaves_the_old_index_in_place(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    elastic.count()  # the first, empty index
    (before,) = cluster.aliased(ALIAS)

    def docs() -> Iterator[IndexedDocument]:
        yield from CORPUS[:5]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        elastic.rebuild(docs())
    assert cluster.sent("POST", "/_aliases") == []
    assert list(cluster.indices) == [before]  # the half-built index was deleted
    assert cluster.aliased(ALIAS) == [before]


def test_a_rebuild_the_cluster_refuses_is_a_search_error(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    elastic.count()
    (before,) = cluster.aliased(ALIAS)
    cluster.failures.append(_error(400, "illegal_argument_exception", "bad analysis settings"))
    with pytest.raises(SearchError, match="illegal_argument_exception: bad analysis settings"):
        elastic.rebuild(CORPUS)
    assert cluster.aliased(ALIAS) == [before]


def test_needs_rebuild_and_schema_version(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    assert elastic.needs_rebuild() and elastic.schema_version() == 0  # no alias
    name = concrete_name(ALIAS)
    cluster.add_index(name, alias=ALIAS, meta={"schema_version": SCHEMA_VERSION - 1})
    assert elastic.needs_rebuild() and elastic.schema_version() == SCHEMA_VERSION - 1
    cluster.indices[name]["mappings"]["_meta"] = {"schema_version": SCHEMA_VERSION}
    assert elastic.needs_rebuild()  # not marked complete
    cluster.indices[name]["mappings"]["_meta"]["complete"] = True
    assert not elastic.needs_rebuild()
    cluster.indices[name]["mappings"] = {}  # no _meta at all
    assert elastic.needs_rebuild() and elastic.schema_version() == 0
    cluster.down = True
    assert elastic.needs_rebuild() and elastic.schema_version() == 0


def test_drop_deletes_every_index_of_the_alias(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    elastic.rebuild(CORPUS[:2])
    cluster.add_index("other-index", alias="other")
    elastic.drop()
    assert list(cluster.indices) == ["other-index"]


# ------------------------------------------------------------------------------------- errors


def test_cluster_errors_become_search_errors(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    elastic.count()
    cluster.failures.append(_error(500, "search_phase_execution_exception", "all shards failed"))
    with pytest.raises(SearchError, match=r"searching: .*HTTP 500: search_phase_execution_exc"):
        ask(elastic, "flood")
    cluster.failures.append(_error(404, "index_not_found_exception", "no such index [edrm]"))
    with pytest.raises(SearchError, match="index_not_found_exception"):
        elastic.commit()


def test_an_unreachable_cluster_is_a_search_error(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    cluster.down = True
    with pytest.raises(SearchError, match=f"cannot reach Elasticsearch at {URL}"):
        ask(elastic, "flood")
    with pytest.raises(SearchError, match="cannot reach"):
        elastic.index(CORPUS)


def test_refused_documents_are_a_search_error(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    elastic.count()
    cluster.indices.clear()  # someone deleted the index: the alias went with it
    cluster.add_index(ALIAS)  # and a concrete index took its name: require_alias refuses it
    elastic._ready = True
    with pytest.raises(SearchError, match=r"refused 2 document\(s\).*index_not_found"):
        elastic.index(CORPUS[:2])


def test_a_partial_answer_is_a_search_error(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    partial = answer([hit(1)], 1)
    partial["_shards"] = {
        "total": 2,
        "successful": 1,
        "failed": 1,
        "failures": [{"reason": {"type": "node_closed_exception", "reason": "node closed"}}],
    }
    cluster.searches.append(partial)
    with pytest.raises(SearchError, match=r"only in part.*node_closed_exception"):
        ask(elastic, "flood")
    cluster.msearches.append({"responses": [answer([hit(1)], 1), {"error": "boom", "status": 500}]})
    with pytest.raises(SearchError, match=r"similar documents.*HTTP 500"):
        elastic.similar(1, CIVIL_SERVANT)


# --------------------------------------------------------------------------- reading answers


def test_hits_totals_facets_and_highlights_are_read(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    fragment = "Acme Pumps Ltd. &lt;b&gt;<mark>Fees</mark>&lt;&#x2F;b&gt; &amp; terms"
    cluster.searches.append(
        answer(
            [hit(9, 2.5, highlight={"body": [fragment]}), hit(2, 1.25)],
            42,
            aggregations={
                "facet_class": {
                    "doc_count": 42,
                    "values": {
                        "buckets": [
                            {"key": "FIN-AP", "doc_count": 3},
                            {"key": "GOV-RISK", "doc_count": 5},
                            {"key": "ALPHA", "doc_count": 3},
                            {"key": "EMPTY", "doc_count": 0},
                        ]
                    },
                },
                "facet_year": {
                    "doc_count": 42,
                    "values": {
                        "buckets": [
                            {"key": 2019, "doc_count": 9},
                            {"key": 2024, "doc_count": 1},
                        ]
                    },
                },
                "facet_type": {"doc_count": 0, "values": {"buckets": []}},
            },
        )
    )
    result = ask(elastic, "fees", facets=("class", "year", "type"))
    assert result.total == 42
    assert [(h.id, h.score) for h in result.hits] == [(9, 2.5), (2, 1.25)]
    first = result.hits[0]
    assert (first.title, first.class_code, first.doc_type, first.marking) == (
        "Document 9",
        "FIN-AP",
        "report",
        OFFICIAL,
    )
    assert first.created == datetime(2021, 3, 1, tzinfo=UTC)
    assert first.highlights == ("Acme Pumps Ltd. &lt;b&gt;<mark>Fees</mark>&lt;/b&gt; &amp; terms",)
    assert result.hits[1].highlights == ()
    assert result.facets == {
        "class": (FacetCount("GOV-RISK", 5), FacetCount("ALPHA", 3), FacetCount("FIN-AP", 3)),
        "year": (FacetCount("2024", 1), FacetCount("2019", 9)),
        "type": (),
    }
    assert (result.did_you_mean, result.warning) == (None, None)


def test_scores_are_zero_when_sorting_by_date(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    cluster.searches.append(answer([hit(5, None), hit(10, None)], 2))
    result = ask(elastic, "flood", sort="date")
    assert [(h.id, h.score) for h in result.hits] == [(5, 0.0), (10, 0.0)]


def test_highlight_markup_is_rebuilt_safely() -> None:
    from search.elastic_results import mark_fragment

    assert mark_fragment("a &lt;mark&gt; <mark>b</mark> c") == "a &lt;mark&gt; <mark>b</mark> c"
    assert mark_fragment("x & y <mark>z") == "x &amp; y <mark>z</mark>"
    assert mark_fragment("&quot;q&quot; &#39;s&#39;") == "&quot;q&quot; &#x27;s&#x27;"


def suggestion(i: int, word: str, *options: str) -> dict[str, Any]:
    return {
        f"dym_{i}": [
            {
                "text": word,
                "offset": 0,
                "length": len(word),
                "options": [{"text": o, "score": 0.8, "freq": 99} for o in options],
            }
        ]
    }


def test_did_you_mean_is_vetted_by_visible_counts(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    # "flod defence": nothing found; the suggester offers words for "flod" (from any document)
    main = answer([], 0, suggest={**suggestion(0, "flod", "flood", "fold", "flow"), "dym_1": []})
    counts = answer(
        [],
        0,
        aggregations={
            "words": {
                "buckets": {
                    "flod": {"doc_count": 0},
                    "flood": {"doc_count": 6},
                    "fold": {"doc_count": 0},  # only in documents this person cannot see
                    "flow": {"doc_count": 4},
                    "defence": {"doc_count": 2},
                }
            }
        },
    )
    cluster.searches += [main, counts]
    cluster.counts.append(2)
    result = ask(elastic, "Flod defence")
    # nearest first (all one edit away), then most visible documents, in the query's case
    assert result.did_you_mean == "Flood defence"

    body = cluster.sent("POST", rf"/{ALIAS}/_search")[0].body
    assert body["suggest"]["dym_0"] == {
        "text": "flod",
        "term": {
            "field": "words",
            "suggest_mode": "always",
            "max_edits": 2,
            "prefix_length": 0,
            "min_word_length": 3,
            "max_term_freq": 0.99,
            "size": 10,
            "string_distance": "damerau_levenshtein",
        },
    }
    assert body["suggest"]["dym_1"]["text"] == "defence"
    vetting = cluster.sent("POST", rf"/{ALIAS}/_search")[1].body
    assert vetting["size"] == 0
    assert vetting["query"] == {"bool": {"filter": dsl.visibility_filter(CIVIL_SERVANT)}}
    assert vetting["aggs"]["words"]["filters"]["filters"] == {
        w: {"term": {"words": w}} for w in ("defence", "flod", "flood", "flow", "fold")
    }
    recount = cluster.last("POST", rf"/{ALIAS}/_count").body
    assert recount["query"] == dsl.main_query(
        dsl.compile_node(parse("Flood defence").node), dsl.visibility_filter(CIVIL_SERVANT)
    )


def test_did_you_mean_offers_nothing_invisible_or_useless(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    def counts(**n: int) -> dict[str, Any]:
        buckets = {w: {"doc_count": c} for w, c in n.items()}
        return answer([], 0, aggregations={"words": {"buckets": buckets}})

    # the only candidate is in documents this person cannot see
    cluster.searches += [answer([], 0, suggest=suggestion(0, "zanzibr", "zanzibar"))]
    cluster.searches += [counts(zanzibr=0, zanzibar=0)]
    assert ask(elastic, "zanzibr").did_you_mean is None
    assert cluster.sent("POST", rf"/{ALIAS}/_count") == []
    # the corrected query would find no more than the original
    cluster.searches += [answer([], 0, suggest=suggestion(0, "zanzibr", "zanzibar"))]
    cluster.searches += [counts(zanzibr=0, zanzibar=1)]
    cluster.counts.append(0)
    assert ask(elastic, "zanzibr -flood").did_you_mean is None
    # a candidate too far away is never considered; no vetting request is made
    cluster.searches += [answer([], 0, suggest=suggestion(0, "flod", "blood", "flood"))]
    cluster.searches += [counts(flod=0, flood=3)]
    cluster.counts.append(3)
    assert ask(elastic, "flod", EVERYTHING).did_you_mean == "flood"
    vetting = cluster.sent("POST", rf"/{ALIAS}/_search")[-1].body
    assert set(vetting["aggs"]["words"]["filters"]["filters"]) == {"flod", "flood"}


def test_no_suggestions_are_asked_for_when_enough_is_found(
    elastic: ElasticBackend, cluster: FakeCluster
) -> None:
    cluster.searches.append(
        answer([hit(1), hit(2), hit(3)], 3, suggest=suggestion(0, "flood", "blood"))
    )
    assert ask(elastic, "flood").did_you_mean is None
    assert len(cluster.sent("POST", rf"/{ALIAS}/_search")) == 1
    ask(elastic, "procur* class:FIN")
    assert "suggest" not in search_body(cluster)  # nothing correctable


def test_bad_syntax_still_searches_and_warns(elastic: ElasticBackend, cluster: FakeCluster) -> None:
    result = ask(elastic, '"risk register')
    assert result.warning and "quote" in result.warning
    assert search_body(cluster)["query"]["bool"]["must"] == [anywhere("risk register")]
