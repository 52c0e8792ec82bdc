"""Spelling on the tantivy index: "did you mean" and the words a fuzzy term stands for.

Suggestions come only from what the person may see: every candidate word is counted with the
visibility clauses applied, only a word with visible documents is offered, and the corrected
query is offered only when it finds more visible documents than the original.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import tantivy
from tantivy import Query

from search.query import ParsedQuery, Term, positive_leaves, replace_spans
from search.spelling import distance, edits1, match_case
from search.tantivy_compile import must
from search.tantivy_schema import plain_tokens

SUGGEST_BELOW = 3  # offer "did you mean" when a search finds fewer visible documents than this
MAX_WORDS = 6
MAX_NEIGHBOURS = 64  # words with more dictionary neighbours than this are not corrected
PREFIX_SCAN_LIMIT = 20_000
DICTIONARY = "words"


class Speller:
    """Did-you-mean for one search: `restrict` is the visibility clauses (MUST)."""

    def __init__(
        self, searcher: tantivy.Searcher, schema: tantivy.Schema, restrict: Sequence[Query]
    ) -> None:
        self.searcher = searcher
        self.schema = schema
        self.restrict = must(*restrict)

    def visible(self, word: str) -> int:
        query = must(Query.term_query(self.schema, DICTIONARY, word), self.restrict)
        return self.searcher.search(query, 1).count

    def candidates(self, word: str) -> dict[str, int]:
        """Visible dictionary words near `word`, with their visible counts."""
        found: dict[str, int] = {}
        for edit in edits1(word):
            if self.searcher.doc_freq(DICTIONARY, edit) > 0:
                found[edit] = 0
                if len(found) > MAX_NEIGHBOURS:
                    return {}
        found = {w: n for w in found if (n := self.visible(w)) > 0}
        if len(word) >= 5:
            scanned = self.searcher.terms_with_prefix(
                DICTIONARY, word[:2], filter_query=self.restrict, limit=PREFIX_SCAN_LIMIT
            )
            for term, _ in scanned:
                if term not in found and term != word and distance(word, term, 2) <= 2:
                    found[term] = self.visible(term)
        return {w: n for w, n in found.items() if n > 0}

    def suggest(
        self, parsed: ParsedQuery, total: int, count_text: Callable[[str], int]
    ) -> str | None:
        """A corrected query text that finds more visible documents than `total`, or None."""
        if total >= SUGGEST_BELOW:
            return None
        replacements: dict[tuple[int, int], str] = {}
        for term in _correctable(parsed)[:MAX_WORDS]:
            word = term.text.lower()
            own = self.visible(word)
            if own >= SUGGEST_BELOW:
                continue
            options = [(w, n) for w, n in self.candidates(word).items() if n > own]
            if not options:
                continue
            best = min(options, key=lambda wn: (distance(word, wn[0], 2), -wn[1], wn[0]))[0]
            assert term.span is not None
            replacements[term.span] = match_case(term.text, best)
        if not replacements:
            return None
        corrected = replace_spans(parsed.text, replacements)
        return corrected if count_text(corrected) > total else None

    def fuzzy_words(self, word: str, max_distance: int) -> list[str]:
        """Dictionary words a fuzzy `word~max_distance` can match (for highlighting)."""
        found = {word}
        for edit in edits1(word):
            if self.searcher.doc_freq(DICTIONARY, edit) > 0:
                found.add(edit)
                if len(found) > MAX_NEIGHBOURS:
                    break
        if max_distance >= 2 and len(word) >= 4:
            scanned = self.searcher.terms_with_prefix(DICTIONARY, word[:2], limit=PREFIX_SCAN_LIMIT)
            found.update(t for t, _ in scanned if distance(word, t, 2) <= 2)
        return sorted(found)[:MAX_NEIGHBOURS]

    def prefix_words(self, prefix: str, limit: int = 32) -> list[str]:
        """Dictionary words starting with `prefix` (for highlighting)."""
        return [t for t, _ in self.searcher.terms_with_prefix(DICTIONARY, prefix, limit=limit)]


def _correctable(parsed: ParsedQuery) -> list[Term]:
    out = []
    for leaf in positive_leaves(parsed.node):
        if (
            isinstance(leaf, Term)
            and leaf.field in (None, "title")
            and not leaf.prefix
            and not leaf.fuzzy
            and leaf.span is not None
            and len(leaf.text) >= 3
            and leaf.text.isalpha()
            and plain_tokens(leaf.text) == [leaf.text.lower()]
        ):
            out.append(leaf)
    return out
