"""Turning the query AST, the visibility and the facet filters into tantivy queries.

Words are analysed as the index analyses them: English stems for title and body, plain
lower-cased words for references and creator. Prefix and fuzzy words match stems (as an
analysed engine does). Keyword fields (class, type, marking) match whole values,
case-insensitively, through the field's term dictionary.
"""

from __future__ import annotations

import string
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import tantivy
from tantivy import FieldType, Occur, Query

from search.base import Visibility
from search.query import And, DateRange, MatchAll, Node, Not, Phrase, Term, YearRange
from search.spelling import distance
from search.tantivy_schema import (
    CREATOR_BOOST,
    FILTER_FIELDS,
    KEYWORD_FIELDS,
    REFS_BOOST,
    TITLE_BOOST,
    plain_tokens,
    stem_tokens,
)

_PUNCTUATION = set(string.punctuation)
KEYWORD_SCAN_LIMIT = 100_000
PREFIX_STEM_SLACK = 2  # "procurem*" also matches the stem "procur" (at most 2 letters shorter)
MIN_SLACK_STEM = 5

#: (field, boost, analyser) searched by an unfielded word, and by each text field
TEXT_TARGETS: dict[str | None, list[tuple[str, float, Callable[[str], list[str]]]]] = {
    None: [
        ("title", TITLE_BOOST, stem_tokens),
        ("body", 1.0, stem_tokens),
        ("refs", REFS_BOOST, plain_tokens),
        ("creator", CREATOR_BOOST, plain_tokens),
    ],
    "title": [("title", 1.0, stem_tokens)],
    "creator": [("creator", 1.0, plain_tokens)],
    "ref": [("refs", 1.0, plain_tokens)],
}


def regex_escape(text: str) -> str:
    """Escape `text` for tantivy's regex syntax (ASCII punctuation and spaces)."""
    return "".join(f"\\{c}" if c in _PUNCTUATION or c == " " else c for c in text)


def must(*queries: Query) -> Query:
    return Query.boolean_query([(Occur.Must, q) for q in queries])


def should(queries: Sequence[Query]) -> Query:
    return (
        queries[0]
        if len(queries) == 1
        else Query.boolean_query([(Occur.Should, q) for q in queries])
    )


def match_count(found: tantivy.SearchResult) -> int:
    """The number of matches of a search run with `count=True` (0 when tantivy gives none)."""
    # tantivy's stubs (0.27) omit SearchResult.count, which the extension does have
    return int(found.count or 0)  # type: ignore[attr-defined]


def filter_clause(query: Query) -> Query:
    """A clause that restricts without scoring."""
    return Query.const_score_query(query, 0.0)


VisibilityKey = tuple[frozenset[str], frozenset[str] | None, frozenset[str], tuple[str, ...]]


class VisibilityCache:
    """Compiled visibility clauses, keyed on everything they are made of: the person's markings,
    their access keys (so a change in a person's access or clearance is a new key, seen at the
    next search) and the markings the index holds. The owner empties it when it opens another
    index (field ids may differ). Bounded: the least recently used entries go first."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._entries: OrderedDict[VisibilityKey, list[tuple[Occur, Query]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        visibility: Visibility,
        hidden: tuple[str, ...],
        compile_: Callable[[Visibility, Sequence[str]], list[tuple[Occur, Query]]],
    ) -> list[tuple[Occur, Query]]:
        key = (visibility.markings, visibility.keys, visibility.excluded, hidden)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return list(found)
        clauses = compile_(visibility, hidden)
        with self._lock:
            self._entries[key] = clauses
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return list(clauses)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class Compiler:
    def __init__(self, schema: tantivy.Schema, searcher: tantivy.Searcher) -> None:
        self.schema = schema
        self.searcher = searcher

    # ---------------------------------------------------------------- visibility and filters
    def hidden_markings(self, visibility: Visibility) -> tuple[str, ...]:
        """The markings in this searcher's index that `visibility` may not see."""
        present = {term for term, _ in self.searcher.terms_with_prefix("marking", "")}
        return tuple(sorted(present - visibility.markings))

    def visibility(
        self, visibility: Visibility, cache: VisibilityCache | None = None
    ) -> list[tuple[Occur, Query]]:
        """The clauses that restrict a query to what `visibility` may see (from `cache` when
        the same person, with the same markings and keys, was compiled before on this index).

        Every document has exactly one marking term, so "marking in M" is written as "marking
        not in (the index's markings - M)": far cheaper when M is most of them."""
        hidden = self.hidden_markings(visibility)
        if cache is None:
            return self.compile_visibility(visibility, hidden)
        return cache.get(visibility, hidden, self.compile_visibility)

    def compile_visibility(
        self, visibility: Visibility, hidden: Sequence[str]
    ) -> list[tuple[Occur, Query]]:
        clauses: list[tuple[Occur, Query]] = []
        if visibility.keys is not None:
            keys = Query.term_set_query(self.schema, "keys", sorted(visibility.keys))
            clauses.append((Occur.Must, filter_clause(keys)))
        if hidden:  # plain terms: lazy, unlike a term set (which builds a bitset per segment)
            terms = [Query.term_query(self.schema, "marking", m) for m in hidden]
            clauses.append((Occur.MustNot, should(terms)))
        if visibility.excluded:
            barred = sorted(visibility.excluded)
            excluded = [Query.term_query(self.schema, "keys", key) for key in barred]
            clauses.append((Occur.MustNot, should(excluded)))
        if not clauses or all(occur is Occur.MustNot for occur, _ in clauses):
            clauses.insert(0, (Occur.Must, filter_clause(Query.all_query())))
        return clauses

    def filters(self, filters: Mapping[str, Sequence[str]]) -> dict[str, Query]:
        """One MUST clause per filter name: its values OR'ed. One value is a plain term query
        (lazy: it skips along its postings inside the conjunction, where a term set first
        builds a bitset over the whole segment)."""
        out: dict[str, Query] = {}
        for name, values in filters.items():
            field = FILTER_FIELDS[name]
            wanted: list[str] | list[int]
            if name == "year":
                wanted = sorted({int(v) for v in values if v.strip().isdigit()})
            else:
                wanted = sorted(set(values))
            if not wanted:
                query = Query.empty_query()
            elif len(wanted) == 1:
                query = Query.term_query(self.schema, field, wanted[0])
            else:
                query = Query.term_set_query(self.schema, field, wanted)
            out[name] = filter_clause(query)
        return out

    # ------------------------------------------------------------------------- the AST
    def text(self, node: Node) -> Query | None:
        """The query for `node`, or None when it restricts nothing (e.g. only punctuation)."""
        if isinstance(node, MatchAll):
            return None
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, YearRange):
            return Query.range_query(
                self.schema, "year", FieldType.Unsigned, node.lower, node.upper
            )
        if isinstance(node, DateRange):
            return self.date_range(node.lower, node.upper)
        if isinstance(node, Not):
            child = self.text(node.child)
            if child is None:
                return None
            return Query.boolean_query([(Occur.Must, Query.all_query()), (Occur.MustNot, child)])
        if isinstance(node, And):
            return self.conjunction(node.children)
        return self.disjunction(node.children)

    def conjunction(self, children: Sequence[Node]) -> Query | None:
        clauses: list[tuple[Occur, Query]] = []
        for child in children:
            negated = isinstance(child, Not)
            query = self.text(child.child if isinstance(child, Not) else child)
            if query is not None:
                clauses.append((Occur.MustNot if negated else Occur.Must, query))
        if not clauses:
            return None
        if all(occur is Occur.MustNot for occur, _ in clauses):
            clauses.insert(0, (Occur.Must, Query.all_query()))
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)

    def disjunction(self, children: Sequence[Node]) -> Query | None:
        options = [q for q in (self.text(c) for c in children) if q is not None]
        return should(options) if options else None

    def date_range(self, lower: date | None, upper: date | None) -> Query:
        start = datetime.combine(lower, time(), UTC) if lower else None
        end = datetime.combine(upper + timedelta(days=1), time(), UTC) if upper else None
        return Query.range_query(
            self.schema, "created", FieldType.Date, start, end, include_upper=end is None
        )

    # -------------------------------------------------------------------------- leaves
    def term(self, node: Term) -> Query | None:
        if node.field in KEYWORD_FIELDS:
            return self.keyword(KEYWORD_FIELDS[node.field], node.text, node.prefix, node.fuzzy)
        if node.prefix or node.fuzzy:
            return self.expanded(node)
        return self.words(node.text, node.field, slop=0)

    def phrase(self, node: Phrase) -> Query | None:
        if node.field in KEYWORD_FIELDS:
            return self.keyword(KEYWORD_FIELDS[node.field], node.text, False, 0)
        return self.words(node.text, node.field, slop=node.slop)

    def words(self, text: str, field: str | None, slop: int) -> Query | None:
        """Words in sequence (a term when there is one) in the field, or in every text field."""
        parts = []
        for name, boost, analyse in TEXT_TARGETS[field]:
            query = self.sequence(name, analyse(text), slop)
            if query is not None:
                parts.append(query if boost == 1.0 else Query.boost_query(query, boost))
        return should(parts) if parts else None

    def sequence(self, field: str, tokens: list[str], slop: int) -> Query | None:
        if not tokens:
            return None
        if len(tokens) == 1:
            return Query.term_query(self.schema, field, tokens[0])
        words: list[str | tuple[int, str]] = [*tokens]  # the stubs take a list of either
        return Query.phrase_query(self.schema, field, words, slop=slop)

    def expanded(self, node: Term) -> Query | None:
        """A prefix or fuzzy word: every token of it must match, the last one loosely."""
        parts = []
        for name, boost, analyse in TEXT_TARGETS[node.field]:
            tokens = analyse(node.text)
            if not tokens:
                continue
            if node.prefix:
                last = self.prefix(name, plain_tokens(node.text)[-1], analyse)
            else:
                last = Query.fuzzy_term_query(self.schema, name, tokens[-1], distance=node.fuzzy)
            exact = [Query.term_query(self.schema, name, t) for t in tokens[:-1]]
            query = must(*exact, last) if exact else last
            parts.append(query if boost == 1.0 else Query.boost_query(query, boost))
        return should(parts) if parts else None

    def prefix(self, field: str, prefix: str, analyse: Callable[[str], list[str]]) -> Query:
        """Terms starting with `prefix`; on stemmed fields also the stems the prefix's words
        may have been cut to ("procurem*" -> "procur")."""
        query = Query.regex_query(self.schema, field, regex_escape(prefix) + ".*")
        if analyse is not stem_tokens:
            return query
        shorter = range(max(MIN_SLACK_STEM, len(prefix) - PREFIX_STEM_SLACK), len(prefix))
        stems = [prefix[:n] for n in shorter]
        if not stems:
            return query
        return should([query, Query.term_set_query(self.schema, field, stems)])

    def keyword(self, field: str, text: str, prefix: bool, fuzzy: int) -> Query:
        """Values of a raw field equal to `text` ignoring case (or starting with it, or within
        `fuzzy` edits of it)."""
        wanted = text.lower()
        scan = [""] if fuzzy else sorted({text[:1].lower(), text[:1].upper()})
        matches: set[str] = set()
        for start in scan:
            for value, _ in self.searcher.terms_with_prefix(field, start, limit=KEYWORD_SCAN_LIMIT):
                low = value.lower()
                if (
                    (prefix and low.startswith(wanted))
                    or (fuzzy and distance(low, wanted, fuzzy) <= fuzzy)
                    or low == wanted
                ):
                    matches.add(value)
        if not matches:
            return Query.empty_query()
        return Query.term_set_query(self.schema, field, sorted(matches))
