"""Elasticsearch request bodies: the query AST of `search.query`, the visibility filter, facet
filters and aggregations, highlighting, suggestions and more-like-this, as query DSL.

Everything here is a pure function from the search types to plain dicts (no client, no I/O), so
the requests can be checked without a cluster (tests/search/test_elastic_requests.py).

Semantics follow the tantivy backend (search/tantivy_compile.py):

- a bare word or phrase matches in title (x3), body, references (x2) and creator (x2), the
  scores summed (`bool.should`); a word that analyses into several tokens is matched as a phrase;
- `prefix*` and `fuzzy~` match the unstemmed words of the title (x3) and of title + body;
- `class:` / `type:` / `marking:` match whole values case-insensitively (`class:FIN*` a prefix);
- `NOT x` alone means "everything but x"; AND is `bool.must` (+ `must_not` for negated parts);
  OR is `bool.should` with `minimum_should_match: 1`;
- the visibility filter and facet filters are non-scoring `filter` clauses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from search.base import SearchQuery, Visibility
from search.elastic_schema import (
    CREATOR_BOOST,
    DICTIONARY,
    FACET_FIELDS,
    FILTER_FIELDS,
    HIT_FIELDS,
    KEYWORD_FIELDS,
    REFS_BOOST,
    TITLE_BOOST,
)
from search.query import (
    STOP_WORDS,
    And,
    DateRange,
    MatchAll,
    Node,
    Not,
    ParsedQuery,
    Phrase,
    Term,
    YearRange,
    parse,
    positive_leaves,
)
from search.spelling import correctable_terms

Query = dict[str, Any]

MATCH_ALL: Query = {"match_all": {}}
MATCH_NONE: Query = {"match_none": {}}

HIGHLIGHT_FIELD = "body"
HIGHLIGHT_CHARS = 200
# Highlight at most this much of a body (the index's own limit, 1,000,000 by default, prevails
# when lower): asking for it makes a longer body highlight up to there instead of failing.
HIGHLIGHT_MAX_ANALYZED = 1_000_000
PRE_TAG, POST_TAG = "<mark>", "</mark>"
YEAR_FACET_SIZE = 500
FUZZY_EXPANSIONS = 50

SUGGEST_BELOW = 3  # offer "did you mean" when a search finds fewer visible documents than this
MAX_WORDS = 6  # words corrected per query
MAX_OPTIONS = 10  # suggester candidates per word
SUGGEST_PREFIX = "dym_"
FACET_PREFIX = "facet_"

# Where words go, by query-language field: (field, boost).
_PHRASE_TARGETS: dict[str | None, list[tuple[str, float]]] = {
    None: [
        ("title", TITLE_BOOST),
        ("body", 1.0),
        ("references", REFS_BOOST),
        ("creator", CREATOR_BOOST),
    ],
    "title": [("title", 1.0)],
    "creator": [("creator", 1.0)],
    "ref": [("references", 1.0)],
}
_WORD_TARGETS: dict[str | None, list[tuple[str, float]]] = {
    None: [("title.plain", TITLE_BOOST), (DICTIONARY, 1.0)],
    "title": [("title.plain", 1.0)],
    "creator": [("creator", 1.0)],
    "ref": [("references", 1.0)],
}

_HAS_WORD = re.compile(r"[^\W_]")  # a letter or digit: the text yields at least one token


def has_words(text: str) -> bool:
    return _HAS_WORD.search(text) is not None


# ----------------------------------------------------------------------- visibility, filters


def visibility_filter(visibility: Visibility) -> list[Query]:
    """The `filter` clauses restricting a search to what `visibility` may see: its markings
    AND (unless keys is None) at least one of its access keys AND none of the excluded keys.
    Empty sets see nothing."""
    if visibility.sees_nothing:
        return [MATCH_NONE]
    clauses: list[Query] = [{"terms": {"marking": sorted(visibility.markings)}}]
    if visibility.keys is not None:
        clauses.append({"terms": {"access_keys": sorted(visibility.keys)}})
    if visibility.excluded:
        excluded = {"terms": {"access_keys": sorted(visibility.excluded)}}
        clauses.append({"bool": {"must_not": [excluded]}})
    return clauses


def filter_clauses(filters: Mapping[str, Sequence[str]]) -> dict[str, Query]:
    """One clause per filter name, its values OR'ed (a `terms` query)."""
    out: dict[str, Query] = {}
    for name, values in filters.items():
        field = FILTER_FIELDS[name]
        if name == "year":
            years = sorted({int(v) for v in values if v.strip().isdigit()})
            out[name] = {"terms": {field: years}} if years else MATCH_NONE
        else:
            out[name] = {"terms": {field: sorted(set(values))}}
    return out


# ---------------------------------------------------------------------------------- the AST


def _leaf(kind: str, field: str, body: dict[str, Any], boost: float) -> Query:
    """`{kind: {field: body}}`, with the boost when it is not 1."""
    if boost != 1.0:
        body = {**body, "boost": boost}
    return {kind: {field: body}}


def should(queries: Sequence[Query]) -> Query:
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"should": list(queries), "minimum_should_match": 1}}


def compile_node(node: Node) -> Query | None:
    """The query for `node`, or None when it restricts nothing (e.g. only punctuation)."""
    if isinstance(node, MatchAll):
        return None
    if isinstance(node, Term):
        return term(node)
    if isinstance(node, Phrase):
        return phrase(node)
    if isinstance(node, YearRange):
        return year_range(node.lower, node.upper)
    if isinstance(node, DateRange):
        return date_range(node.lower, node.upper)
    if isinstance(node, Not):
        child = compile_node(node.child)
        if child is None:
            return None
        return {"bool": {"must": [MATCH_ALL], "must_not": [child]}}
    if isinstance(node, And):
        return conjunction(node.children)
    return disjunction(node.children)


def conjunction(children: Sequence[Node]) -> Query | None:
    must: list[Query] = []
    must_not: list[Query] = []
    for child in children:
        negated = isinstance(child, Not)
        query = compile_node(child.child if isinstance(child, Not) else child)
        if query is not None:
            (must_not if negated else must).append(query)
    if not must and not must_not:
        return None
    if not must_not and len(must) == 1:
        return must[0]
    clause: dict[str, Any] = {"must": must or [MATCH_ALL]}
    if must_not:
        clause["must_not"] = must_not
    return {"bool": clause}


def disjunction(children: Sequence[Node]) -> Query | None:
    options = [q for q in (compile_node(c) for c in children) if q is not None]
    return should(options) if options else None


def year_range(lower: int | None, upper: int | None) -> Query:
    bounds: dict[str, int] = {}
    if lower is not None:
        bounds["gte"] = lower
    if upper is not None:
        bounds["lte"] = upper
    return {"range": {"year": bounds}} if bounds else MATCH_ALL


def date_range(lower: date | None, upper: date | None) -> Query:
    """Whole UTC days, inclusive: [lower 00:00, upper + 1 day 00:00)."""
    bounds: dict[str, str] = {}
    if lower is not None:
        bounds["gte"] = datetime.combine(lower, time(), UTC).isoformat()
    if upper is not None:
        bounds["lt"] = datetime.combine(upper + timedelta(days=1), time(), UTC).isoformat()
    if not bounds:
        return MATCH_ALL
    return {"range": {"created": {**bounds, "format": "strict_date_optional_time"}}}


def term(node: Term) -> Query | None:
    if node.field in KEYWORD_FIELDS:
        return keyword(KEYWORD_FIELDS[node.field], node.text, node.prefix, node.fuzzy)
    if not has_words(node.text):
        return None
    targets = _WORD_TARGETS[node.field]
    if node.prefix:
        # every token must match, the last one as a prefix (as tantivy's by_token)
        return should(
            [
                _leaf("match_bool_prefix", f, {"query": node.text, "operator": "and"}, b)
                for f, b in targets
            ]
        )
    if node.fuzzy:
        body = {
            "query": node.text,
            "operator": "and",
            "fuzziness": node.fuzzy,
            "prefix_length": 0,
            "max_expansions": FUZZY_EXPANSIONS,
            "fuzzy_transpositions": True,
        }
        return should([_leaf("match", f, body, b) for f, b in targets])
    return words(node.text, node.field, slop=0)


def phrase(node: Phrase) -> Query | None:
    if node.field in KEYWORD_FIELDS:
        return keyword(KEYWORD_FIELDS[node.field], node.text, prefix=False, fuzzy=0)
    if not has_words(node.text):
        return None
    return words(node.text, node.field, slop=node.slop)


def words(text: str, field: str | None, slop: int) -> Query:
    """Words in sequence (a single word is a one-token phrase) in the field, or in every text
    field with their boosts, scores summed."""
    body: dict[str, Any] = {"query": text}
    if slop:
        body["slop"] = slop
    return should([_leaf("match_phrase", f, body, b) for f, b in _PHRASE_TARGETS[field]])


def keyword(field: str, text: str, prefix: bool, fuzzy: int) -> Query:
    value = text.lower()
    if prefix:
        return {"prefix": {field: {"value": value}}}
    if fuzzy:
        return {"fuzzy": {field: {"value": value, "fuzziness": fuzzy, "prefix_length": 0}}}
    return {"term": {field: {"value": value}}}


# -------------------------------------------------------------------------------- highlights


def highlight_query(node: Node) -> Query | None:
    """What to mark in the body: the query's positive words and phrases (in the default fields
    or the title), each word on its own; prefixes and fuzzy words match the body's terms."""
    clauses: list[Query] = []
    for leaf in positive_leaves(node):
        if leaf.field not in (None, "title") or not has_words(leaf.text):
            continue
        if isinstance(leaf, Term) and leaf.prefix:
            clause: Query = {"match_bool_prefix": {HIGHLIGHT_FIELD: {"query": leaf.text}}}
        elif isinstance(leaf, Term) and leaf.fuzzy:
            clause = {
                "match": {
                    HIGHLIGHT_FIELD: {
                        "query": leaf.text,
                        "fuzziness": leaf.fuzzy,
                        "prefix_length": 0,
                        "max_expansions": FUZZY_EXPANSIONS,
                    }
                }
            }
        else:
            clause = {"match": {HIGHLIGHT_FIELD: {"query": leaf.text}}}
        if clause not in clauses:
            clauses.append(clause)
    return should(clauses) if clauses else None


def highlight(node: Node) -> dict[str, Any] | None:
    """The `highlight` section: the best fragment of the body, matches in <mark>, the rest
    HTML-escaped by the `html` encoder (and re-escaped in Python, see elastic_results)."""
    query = highlight_query(node)
    if query is None:
        return None
    return {
        "pre_tags": [PRE_TAG],
        "post_tags": [POST_TAG],
        "encoder": "html",
        "require_field_match": True,
        "max_analyzed_offset": HIGHLIGHT_MAX_ANALYZED,
        "fields": {
            HIGHLIGHT_FIELD: {
                "type": "unified",
                "fragment_size": HIGHLIGHT_CHARS,
                "number_of_fragments": 1,
                "no_match_size": 0,
                "highlight_query": query,
            }
        },
    }


# ------------------------------------------------------------------------------------ facets


def facet_aggs(
    names: Sequence[str], facet_filters: Mapping[str, Query], size: int
) -> dict[str, Any]:
    """One `filter` aggregation per facet wrapping a `terms` aggregation. The search's query
    (text, visibility, and the filters on names not counted here) applies to every one; each
    facet's filter applies to every *other* facet's counts, never to its own (disjunctive)."""
    aggs: dict[str, Any] = {}
    for name in names:
        others = [q for other, q in facet_filters.items() if other != name]
        year = name == "year"
        terms: dict[str, Any] = {
            "field": FACET_FIELDS[name],
            "size": YEAR_FACET_SIZE if year else size,
            "min_doc_count": 1,
            "order": [{"_key": "desc"}] if year else [{"_count": "desc"}, {"_key": "asc"}],
        }
        aggs[f"{FACET_PREFIX}{name}"] = {
            "filter": {"bool": {"filter": others}} if others else MATCH_ALL,
            "aggs": {"values": {"terms": terms}},
        }
    return aggs


# -------------------------------------------------------------------------------- did you mean


def correctable(parsed: ParsedQuery) -> list[Term]:
    """The words "did you mean" may correct (the shared rule; short enough for a suggester)."""
    return correctable_terms(parsed, lambda text: len(text.encode("utf-8")) < 40)[:MAX_WORDS]


def suggest(terms: Sequence[Term]) -> dict[str, Any]:
    """A term suggester per word, on the unstemmed dictionary. Its candidates and frequencies
    come from every document, visible or not: they are only offered after a visibility-filtered
    count (`word_counts_body`) finds them in visible documents."""
    return {
        f"{SUGGEST_PREFIX}{i}": {
            "text": t.text.lower(),
            "term": {
                "field": DICTIONARY,
                "suggest_mode": "always",
                "max_edits": 2,
                "prefix_length": 0,
                "min_word_length": 3,
                "max_term_freq": 0.99,
                "size": MAX_OPTIONS,
                "string_distance": "damerau_levenshtein",
            },
        }
        for i, t in enumerate(terms)
    }


def word_counts_body(visibility: Visibility, words: Sequence[str]) -> dict[str, Any]:
    """How many visible documents hold each of `words` (one `filters` aggregation)."""
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {"bool": {"filter": visibility_filter(visibility)}},
        "aggs": {
            "words": {
                "filters": {"filters": {w: {"term": {DICTIONARY: w}} for w in sorted(set(words))}}
            }
        },
    }


# ---------------------------------------------------------------------------------- requests


def main_query(text: Query | None, restrict: Sequence[Query]) -> Query:
    clause: dict[str, Any] = {"filter": list(restrict)}
    if text is not None:
        clause["must"] = [text]
    return {"bool": clause}


def sort_for(query: SearchQuery, has_text: bool) -> list[dict[str, Any]]:
    """Relevance (ties newest first, then by id), or newest first; always total, so paging is
    stable."""
    if query.sort == "date" or not has_text:
        return [{"created": {"order": "desc"}}, {"id": {"order": "desc"}}]
    return [
        {"_score": {"order": "desc"}},
        {"created": {"order": "desc"}},
        {"id": {"order": "asc"}},
    ]


def search_body(query: SearchQuery, parsed: ParsedQuery, facet_size: int) -> dict[str, Any]:
    """The request for one page: hits (from/size; a page beyond the index's result window is
    fetched with `search_after` instead, see `deep_page`), exact total, disjunctive facets,
    highlights and the suggester.

    Filters on the facets being counted go in `post_filter` (so each facet's aggregation can
    leave its own out); the visibility filter and every other filter go in the query, so they
    narrow the hits, the total and every facet alike."""
    text = compile_node(parsed.node)
    filters = filter_clauses(query.filters)
    counted = list(query.facets)
    post = {name: q for name, q in filters.items() if name in counted}
    pre = [q for name, q in filters.items() if name not in post]
    body: dict[str, Any] = {
        "query": main_query(text, [*visibility_filter(query.visibility), *pre]),
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True,
        "sort": sort_for(query, text is not None),
        "_source": list(HIT_FIELDS),
    }
    if post:
        body["post_filter"] = {"bool": {"filter": list(post.values())}}
    if counted:
        body["aggs"] = facet_aggs(counted, post, facet_size)
    if query.highlight:
        marks = highlight(parsed.node)
        if marks is not None:
            body["highlight"] = marks
    terms = correctable(parsed) if text is not None else []
    if terms:
        body["suggest"] = suggest(terms)
    return body


# -------------------------------------------------------------------------------- deep pages


def deep_page(query: SearchQuery, window: int) -> bool:
    """Whether the page reaches beyond the first `window` hits (the index's
    `max_result_window`), where from/size cannot go: it is then reached with `search_after`,
    stepping over the hits before it (`skip_body`) and asking for the page after the last of
    them (`page_after`), all in one point in time (`in_pit`)."""
    return query.offset + query.per_page > window


def skip_body(body: Mapping[str, Any], size: int, after: Sequence[Any] | None) -> dict[str, Any]:
    """A request stepping over the `size` hits of `body`'s search (its query, post filter and
    sort, which always ends with the `id` tiebreaker) that follow the hit whose sort values
    are `after` (None: from the first hit). Only their sort values are wanted: no source,
    total, facets, highlights or suggestions."""
    out: dict[str, Any] = {
        "query": body["query"],
        "size": size,
        "track_total_hits": False,
        "sort": body["sort"],
        "_source": False,
    }
    if "post_filter" in body:
        out["post_filter"] = body["post_filter"]
    if after is not None:
        out["search_after"] = list(after)
    return out


def page_after(
    body: Mapping[str, Any], after: Sequence[Any] | None, *, empty: bool = False
) -> dict[str, Any]:
    """`body` (from `search_body`) asking for the page that follows the hit whose sort values
    are `after` (None: the first page) instead of paging with `from`. `empty`: the search has
    fewer hits than the page's offset, so no hits are wanted, only the total, facets and
    suggestions."""
    out = {key: value for key, value in body.items() if key != "from"}
    if empty:
        out["size"] = 0
    elif after is not None:
        out["search_after"] = list(after)
    return out


def in_pit(body: Mapping[str, Any], pit_id: str, keep_alive: str) -> dict[str, Any]:
    """`body` run in a point in time (so every step of a deep page sees the same index); such
    a request names no index."""
    return {**body, "pit": {"id": pit_id, "keep_alive": keep_alive}}


def count_query(text: str, query: SearchQuery) -> Query:
    """The query counting the visible matches of another query text, under the same filters
    (for checking a "did you mean" correction)."""
    compiled = compile_node(parse(text).node)
    restrict = [*visibility_filter(query.visibility), *filter_clauses(query.filters).values()]
    return main_query(compiled, restrict)


def similar_searches(doc_id: int, visibility: Visibility, limit: int) -> list[dict[str, Any]]:
    """Two searches for one `msearch`: is `doc_id` visible, and the visible documents like it
    (never `doc_id` itself)."""
    same: Query = {"ids": {"values": [str(doc_id)]}}
    restrict = visibility_filter(visibility)
    like: Query = {
        "more_like_this": {
            "fields": ["title", "body"],
            "like": [{"_id": str(doc_id)}],
            "min_term_freq": 1,
            "min_doc_freq": 2,
            "max_query_terms": 25,
            "min_word_length": 3,
            "stop_words": sorted(STOP_WORDS),
            "include": False,
        }
    }
    return [
        {},
        {
            "size": 1,
            "_source": False,
            "track_total_hits": False,
            "query": {"bool": {"filter": [same, *restrict]}},
        },
        {},
        {
            "size": limit,
            "_source": list(HIT_FIELDS),
            "track_total_hits": False,
            "query": {"bool": {"must": [like], "filter": restrict, "must_not": [same]}},
        },
    ]
