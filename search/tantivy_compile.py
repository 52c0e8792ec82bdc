"""Turning the query AST, the visibility and the facet filters into tantivy queries."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import tantivy
from tantivy import FieldType, Occur, Query

from search.base import Visibility
from search.query import (
    And,
    DateRange,
    MatchAll,
    Node,
    Not,
    Phrase,
    Term,
    YearRange,
)
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


def regex_escape(text: str) -> str:
    """Escape `text` for tantivy's regex syntax (ASCII punctuation and spaces)."""
    return "".join(f"\\{c}" if c in _PUNCTUATION or c == " " else c for c in text)


def must(*queries: Query) -> Query:
    return Query.boolean_query([(Occur.Must, q) for q in queries])


def filter_clause(query: Query) -> Query:
    """A clause that restricts without scoring."""
    return Query.const_score_query(query, 0.0)


class Compiler:
    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    # ---------------------------------------------------------------- visibility and filters
    def visibility(self, visibility: Visibility) -> list[Query]:
        """The MUST clauses that restrict a query to what `visibility` may see."""
        clauses = [Query.term_set_query(self.schema, "marking", sorted(visibility.markings))]
        if visibility.keys is not None:
            clauses.append(Query.term_set_query(self.schema, "keys", sorted(visibility.keys)))
        return [filter_clause(q) for q in clauses]

    def filters(self, filters: Mapping[str, Sequence[str]]) -> dict[str, Query]:
        """One MUST clause per filter name: its values OR'ed."""
        out: dict[str, Query] = {}
        for name, values in filters.items():
            field = FILTER_FIELDS[name]
            if name == "year":
                years = sorted({int(v) for v in values if v.strip().isdigit()})
                query = Query.term_set_query(self.schema, field, years) if years else None
            else:
                query = Query.term_set_query(self.schema, field, sorted(set(values)))
            out[name] = filter_clause(query if query is not None else Query.empty_query())
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
        if not options:
            return None
        return options[0] if len(options) == 1 else self.should(options)

    @staticmethod
    def should(queries: Sequence[Query]) -> Query:
        return Query.boolean_query([(Occur.Should, q) for q in queries])

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
        if node.prefix:
            return self.by_token(node, self.prefix)
        if node.fuzzy:
            return self.by_token(node, lambda f, t: self.fuzzy(f, t, node.fuzzy))
        return self.words(node.text, node.field, slop=0)

    def phrase(self, node: Phrase) -> Query | None:
        if node.field in KEYWORD_FIELDS:
            return self.keyword(KEYWORD_FIELDS[node.field], node.text, False, 0)
        return self.words(node.text, node.field, slop=node.slop)

    def words(self, text: str, field: str | None, slop: int) -> Query | None:
        """Words in sequence (a term when there is one) in the field, or in every text field."""
        targets = {
            None: [
                ("title", TITLE_BOOST),
                ("body", 1.0),
                ("refs", REFS_BOOST),
                ("creator", CREATOR_BOOST),
            ],
            "title": [("title", 1.0)],
            "creator": [("creator", 1.0)],
            "ref": [("refs", 1.0)],
        }[field]
        parts = []
        for name, boost in targets:
            tokens = stem_tokens(text) if name in ("title", "body") else plain_tokens(text)
            query = self.sequence(name, tokens, slop)
            if query is not None:
                parts.append(query if boost == 1.0 else Query.boost_query(query, boost))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else self.should(parts)

    def sequence(self, field: str, tokens: list[str], slop: int) -> Query | None:
        if not tokens:
            return None
        if len(tokens) == 1:
            return Query.term_query(self.schema, field, tokens[0])
        return Query.phrase_query(self.schema, field, tokens, slop=slop)

    def by_token(self, node: Term, leaf: Callable[[str, str], Query]) -> Query | None:
        """A prefix or fuzzy word: every token must match, the last one as `leaf` does."""
        tokens = plain_tokens(node.text)
        if not tokens:
            return None
        fields = {
            None: [("title_words", TITLE_BOOST), ("words", 1.0)],
            "title": [("title_words", 1.0)],
            "creator": [("creator", 1.0)],
            "ref": [("refs", 1.0)],
        }[node.field]
        parts = []
        for name, boost in fields:
            queries = [Query.term_query(self.schema, name, t) for t in tokens[:-1]]
            queries.append(leaf(name, tokens[-1]))
            query = queries[0] if len(queries) == 1 else must(*queries)
            parts.append(query if boost == 1.0 else Query.boost_query(query, boost))
        return parts[0] if len(parts) == 1 else self.should(parts)

    def prefix(self, field: str, token: str) -> Query:
        return Query.regex_query(self.schema, field, regex_escape(token) + ".*")

    def fuzzy(self, field: str, token: str, distance: int) -> Query:
        return Query.fuzzy_term_query(self.schema, field, token, distance=distance)

    def keyword(self, field: str, text: str, prefix: bool, fuzzy: int) -> Query:
        value = text.lower()
        if prefix:
            return Query.regex_query(self.schema, field, regex_escape(value) + ".*")
        if fuzzy:
            return Query.fuzzy_term_query(self.schema, field, value, distance=fuzzy)
        return Query.term_query(self.schema, field, value)
