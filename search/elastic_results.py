"""Elasticsearch responses -> the search types: hits, totals, facet counts, highlights, and the
choice of a "did you mean" correction. Pure functions over the decoded JSON (no client)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape, unescape
from typing import Any

from search.base import FacetCount, Hit
from search.elastic_dsl import FACET_PREFIX, HIGHLIGHT_FIELD, POST_TAG, PRE_TAG, SUGGEST_PREFIX
from search.elastic_schema import source_datetime
from search.query import Term
from search.spelling import distance

Response = Mapping[str, Any]

_TAGS = re.compile(f"({re.escape(PRE_TAG)}|{re.escape(POST_TAG)})")


def total_of(response: Response) -> int:
    total = response.get("hits", {}).get("total", 0)
    if isinstance(total, Mapping):
        return int(total.get("value", 0))
    return int(total or 0)


def first_value(value: Any) -> str:
    """A keyword field's own value: the first of a list (a record filed in several classes
    lists its own class first), the value itself otherwise."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def hit_of(raw: Mapping[str, Any], score: float | None, highlights: tuple[str, ...]) -> Hit:
    source = raw.get("_source") or {}
    raw_id = source.get("id", raw.get("_id", 0))
    return Hit(
        id=int(raw_id),
        score=float(raw.get("_score") or 0.0) if score is None else score,
        title=str(source.get("title") or ""),
        class_code=first_value(source.get("class_code")),
        doc_type=str(source.get("doc_type") or ""),
        marking=str(source.get("marking") or ""),
        created=source_datetime(source.get("created")),
        highlights=highlights,
    )


def hits_of(response: Response, *, scored: bool = True) -> tuple[Hit, ...]:
    """The hits of a search; `scored` False (sorting by date) reports every score as 0."""
    out = []
    for raw in response.get("hits", {}).get("hits", []):
        fragments = (raw.get("highlight") or {}).get(HIGHLIGHT_FIELD, [])
        marks = tuple(m for m in (mark_fragment(f) for f in fragments) if PRE_TAG in m)
        out.append(hit_of(raw, None if scored else 0.0, marks))
    return tuple(out)


def mark_fragment(fragment: str) -> str:
    """A fragment the `html` encoder escaped, with <mark> around matches, in the same HTML the
    tantivy backend writes: text between the tags is unescaped and escaped again (so a stray
    character the encoder left is escaped too, and '/' stays '/' rather than '&#x2F;'). A
    literal "<mark>" in the document reaches us escaped, so only real tags split the text."""
    out: list[str] = []
    depth = 0
    for part in _TAGS.split(fragment):
        if part == PRE_TAG:
            if depth == 0:
                out.append(PRE_TAG)
            depth += 1
        elif part == POST_TAG:
            if depth == 1:
                out.append(POST_TAG)
            depth = max(depth - 1, 0)
        elif part:
            out.append(escape(unescape(part)))
    if depth:
        out.append(POST_TAG)
    return "".join(out)


def facets_of(response: Response, names: Sequence[str]) -> dict[str, tuple[FacetCount, ...]]:
    """Each requested facet's values, zero counts dropped, highest count first (ties by value),
    "year" newest first."""
    aggs = response.get("aggregations", {})
    out: dict[str, tuple[FacetCount, ...]] = {}
    for name in names:
        agg = aggs.get(f"{FACET_PREFIX}{name}", {})
        buckets = agg.get("values", {}).get("buckets", [])
        counts = [
            FacetCount(facet_value(b.get("key_as_string", b["key"])), int(b["doc_count"]))
            for b in buckets
            if int(b.get("doc_count", 0)) > 0
        ]
        if name == "year":
            counts.sort(key=lambda c: c.value, reverse=True)
        else:
            counts.sort(key=lambda c: (-c.count, c.value))
        out[name] = tuple(counts)
    return out


def facet_value(key: object) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


# ------------------------------------------------------------------------------ did you mean


def near(word: str, candidate: str) -> bool:
    """The candidates the tantivy speller considers: one edit away, or (for words of 5
    characters or more) two edits away with the same first two characters."""
    if candidate == word:
        return False
    d = distance(word, candidate, 2)
    return d == 1 or (d == 2 and len(word) >= 5 and candidate[:2] == word[:2])


def suggestion_options(response: Response, terms: Sequence[Term]) -> list[list[str]]:
    """For each of `terms` (in order), the suggester's candidate words near it. They may come
    from documents the person cannot see: count them before offering any."""
    suggested = response.get("suggest", {})
    out: list[list[str]] = []
    for i, term in enumerate(terms):
        word = term.text.lower()
        found: list[str] = []
        for entry in suggested.get(f"{SUGGEST_PREFIX}{i}", []):
            for option in entry.get("options", []):
                text = str(option.get("text", "")).lower()
                if near(word, text) and text not in found:
                    found.append(text)
        out.append(found)
    return out


def word_counts(response: Response) -> dict[str, int]:
    """The visible document count of each word (from `word_counts_body`)."""
    buckets = response.get("aggregations", {}).get("words", {}).get("buckets", {})
    return {str(w): int(b.get("doc_count", 0)) for w, b in buckets.items()}


def best_correction(word: str, own: int, counts: Mapping[str, int]) -> str | None:
    """The candidate with more visible documents than `word` itself: nearest first, then most
    documents, then alphabetical (as tantivy_suggest). None when no candidate is visible."""
    options = [(w, n) for w, n in counts.items() if n > own and n > 0 and near(word, w)]
    if not options:
        return None
    return min(options, key=lambda wn: (distance(word, wn[0], 2), -wn[1], wn[0]))[0]
