"""Spelling on the tantivy index: "did you mean", and the stems a fuzzy or prefix word stands
for (to highlight them).

The dictionary is the stems of titles and bodies. Suggestions come only from what the person
may see: candidate stems are listed and counted with the visibility clauses applied, only a
stem with visible documents is offered, it is spelt as a visible document spells it, and the
corrected query is offered only when it finds more visible documents than the original.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tantivy
from tantivy import Occur, Query

from search.highlight import mark_bytes
from search.query import ParsedQuery, Term, positive_leaves, replace_spans
from search.spelling import correctable_terms, distance, edits1, levenshtein, match_case
from search.tantivy_compile import (
    MIN_SLACK_STEM,
    PREFIX_STEM_SLACK,
    match_count,
    must,
    should,
)
from search.tantivy_schema import plain_tokens, stem_tokens

SUGGEST_BELOW = 3  # offer "did you mean" when a search finds fewer visible documents than this
MAX_WORDS = 6
MAX_NEIGHBOURS = 64  # a stem with more dictionary neighbours than this is not corrected
SCAN_PREFIX = 3  # distance-2 candidates share the first letters (scanned through the dictionary)
SCAN_LIMIT = 5_000
STEM_FIELDS = ("body", "title")  # counted
DICTIONARY = "body"  # listed: titles mostly repeat their document's words


class Speller:
    """Spelling for one search; `restrict` are the visibility clauses."""

    def __init__(
        self,
        searcher: tantivy.Searcher,
        schema: tantivy.Schema,
        restrict: Sequence[tuple[Occur, Query]],
    ) -> None:
        self.searcher = searcher
        self.schema = schema
        self.restrict = Query.boolean_query(list(restrict))

    def _stem(self, stem: str, fields: Sequence[str] = STEM_FIELDS) -> Query:
        return should([Query.term_query(self.schema, f, stem) for f in fields])

    def known(self, stem: str) -> bool:
        """In the dictionary (of any document, hidden or not: only visible counts decide)."""
        return self.searcher.doc_freq(DICTIONARY, stem) > 0

    def visible(self, stem: str, fields: Sequence[str] = STEM_FIELDS) -> int:
        """Visible documents with `stem` in `fields`."""
        query = must(self._stem(stem, fields), self.restrict)
        return match_count(self.searcher.search(query, 1))

    def near(self, stem: str, max_distance: int, restrict: Query | None) -> set[str]:
        """Dictionary stems one edit from `stem` (itself excluded); with `max_distance` 2, also
        two edits away among the stems sharing its first letters (of documents matching
        `restrict`, when given)."""
        found: set[str] = set()
        for edit in edits1(stem):
            if self.known(edit):
                found.add(edit)
                if len(found) > MAX_NEIGHBOURS:
                    return set()
        if max_distance >= 2:
            found |= self.scan(stem, restrict)
        return found

    def scan(self, stem: str, restrict: Query | None) -> set[str]:
        """Stems two edits (Levenshtein) from `stem` that share its first letters."""
        if len(stem) <= SCAN_PREFIX + 1:
            return set()
        scanned = self.searcher.terms_with_prefix(
            DICTIONARY, stem[:SCAN_PREFIX], filter_query=restrict, limit=SCAN_LIMIT
        )
        size = len(stem)
        return {
            t
            for t, n in scanned
            if n > 0 and t != stem and abs(len(t) - size) <= 2 and levenshtein(stem, t) <= 2
        }

    # ---------------------------------------------------------------------- did you mean
    def suggest(
        self, parsed: ParsedQuery, total: int, count_text: Callable[[str], int]
    ) -> str | None:
        """A corrected query text that finds more visible documents than `total`, or None."""
        if total >= SUGGEST_BELOW:
            return None
        replacements: dict[tuple[int, int], str] = {}
        for term in _correctable(parsed)[:MAX_WORDS]:
            stems = stem_tokens(term.text)
            if len(stems) != 1 or term.span is None:
                continue
            stem = stems[0]
            fields = ("title",) if term.field == "title" else STEM_FIELDS
            own = self.visible(stem, fields)
            if own >= SUGGEST_BELOW:
                continue
            options = self.better(stem, own, self.near(stem, 1, None), fields)
            if not options:  # two edits away only when nothing one edit away will do
                options = self.better(stem, own, self.scan(stem, self.restrict), fields)
            if not options:
                continue
            best = min(options, key=lambda sn: (distance(stem, sn[0], 2), -sn[1], sn[0]))[0]
            word = self.spelling(best, term.text.lower(), fields)
            if word and word != term.text.lower():
                replacements[term.span] = match_case(term.text, word)
        if not replacements:
            return None
        corrected = replace_spans(parsed.text, replacements)
        return corrected if count_text(corrected) > total else None

    def better(
        self, stem: str, own: int, candidates: set[str], fields: Sequence[str]
    ) -> list[tuple[str, int]]:
        """The candidates found in more visible documents than `stem`, with those counts."""
        counted = ((c, self.visible(c, fields)) for c in sorted(candidates))
        return [(c, n) for c, n in counted if n > own]

    def spelling(self, stem: str, near: str, fields: Sequence[str] = STEM_FIELDS) -> str | None:
        """How visible documents spell `stem` (in `fields`): the form closest to `near`."""
        forms: set[str] = set()
        found = self.searcher.search(must(self._stem(stem, fields), self.restrict), 3).hits
        for field in fields:
            term = Query.term_query(self.schema, field, stem)
            generator = tantivy.SnippetGenerator.create(self.searcher, term, self.schema, field)
            for _, address in found:
                snippet = generator.snippet_from_doc(self.searcher.doc(address))
                data = snippet.fragment().encode("utf-8")
                for r in snippet.highlighted():
                    forms.add(data[r.start : r.end].decode("utf-8", "replace").lower())
        if not forms:
            return None
        return min(forms, key=lambda f: (distance(near, f, 10), f))

    # ------------------------------------------------------------------------ highlights
    def fuzzy_stems(self, word: str, max_distance: int) -> set[str]:
        """Stems a fuzzy `word~max_distance` can match."""
        stems = stem_tokens(word)
        if not stems:
            return set()
        return {stems[-1]} | self.near(stems[-1], max_distance, None)

    def prefix_stems(self, prefix: str, limit: int = 64) -> set[str]:
        """Stems a `prefix*` can match."""
        found = {t for t, _ in self.searcher.terms_with_prefix(DICTIONARY, prefix, limit=limit)}
        shorter = range(max(MIN_SLACK_STEM, len(prefix) - PREFIX_STEM_SLACK), len(prefix))
        found.update(prefix[:n] for n in shorter if self.known(prefix[:n]))
        return found


def highlight_stems(speller: Speller, parsed: ParsedQuery) -> set[str]:
    """The body stems worth marking for `parsed`: its positive words, phrases, prefixes and
    fuzzy words (unfielded or in the title)."""
    stems: set[str] = set()
    for leaf in positive_leaves(parsed.node):
        if leaf.field not in (None, "title"):
            continue
        if not isinstance(leaf, Term) or not (leaf.prefix or leaf.fuzzy):
            stems.update(stem_tokens(leaf.text))
            continue
        tokens = plain_tokens(leaf.text)
        if not tokens:
            continue
        stems.update(t for token in tokens[:-1] for t in stem_tokens(token))
        if leaf.prefix:
            stems.update(speller.prefix_stems(tokens[-1]))
        else:
            stems.update(speller.fuzzy_stems(tokens[-1], leaf.fuzzy))
    return stems


def snippet_marker(
    searcher: tantivy.Searcher, schema: tantivy.Schema, stems: set[str], max_chars: int
) -> Callable[[tantivy.Document], tuple[str, ...]]:
    """A function giving a document's best body fragment with `stems` marked (or nothing)."""
    terms = [Query.term_query(schema, "body", s) for s in sorted(stems)]
    generator = tantivy.SnippetGenerator.create(searcher, should(terms), schema, "body")
    generator.set_max_num_chars(max_chars)

    def mark(doc: tantivy.Document) -> tuple[str, ...]:
        snippet = generator.snippet_from_doc(doc)
        ranges = [(r.start, r.end) for r in snippet.highlighted()]
        return (mark_bytes(snippet.fragment(), ranges),) if ranges else ()

    return mark


def _correctable(parsed: ParsedQuery) -> list[Term]:
    """The shared rule, for words tantivy's plain tokenizer keeps as one token."""
    return correctable_terms(parsed, lambda text: plain_tokens(text) == [text.lower()])
