"""Spelling on the tantivy index: "did you mean", and the stems a fuzzy or prefix word stands
for (to highlight them).

The dictionary is the stems of titles and bodies. Suggestions come only from what the person
may see: candidate stems are listed and counted with the visibility clauses applied, only a
stem with visible documents is offered, it is spelt as a visible document spells it, and the
corrected query is offered only when it finds more visible documents than the original.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future

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
SPELLING_DOCS = 5  # visible documents read to learn how a corrected word is spelt
EARLY_WORDS = 2  # words of a filtered search counted while it runs
EARLY_MAX_DOCS = 20_000  # ... when in at most this many documents
MAX_NEIGHBOURS = 64  # a stem with more dictionary neighbours than this is not corrected
SCAN_PREFIX = 3  # distance-2 candidates share the first letters (scanned through the dictionary)
SCAN_LIMIT = 5_000
STEM_FIELDS = ("body", "title")  # counted
DICTIONARY = "body"  # listed: titles mostly repeat their document's words
_QUERYABLE = re.compile(r"[a-z0-9]+")  # a stem tantivy's query syntax takes as it is


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
        self._early: dict[tuple[str, tuple[str, ...]], Future[int]] = {}
        #: (stem, fields) -> ids of a few visible documents with it, noted while counting
        self._samples: dict[tuple[str, tuple[str, ...]], list[int]] = {}

    def count_early(self, parsed: ParsedQuery, helpers: Executor) -> None:
        """Start counting, on `helpers`, the visible documents of the words `suggest` would
        count first (before the search itself has found how few hits it has): for a search
        narrowed by filters, where few hits are likely. Only the count is early; what
        `suggest` does with it is unchanged."""
        for stem, fields in self._words(parsed)[:EARLY_WORDS]:
            # a word in very many documents would cost much to count, and a search with it
            # rarely finds few: then it is counted only if needed
            if SUGGEST_BELOW <= self._documents(stem, fields) <= EARLY_MAX_DOCS:
                self._early[(stem, tuple(fields))] = helpers.submit(self.visible, stem, fields)

    def _documents(self, stem: str, fields: Sequence[str]) -> int:
        """Documents with `stem` in each of `fields`, summed (hidden ones included)."""
        return sum(self.searcher.doc_freq(f, stem) for f in fields)

    def _common(self, stem: str, fields: Sequence[str]) -> bool:
        """In at least SUGGEST_BELOW documents, hidden ones included."""
        return self._documents(stem, fields) >= SUGGEST_BELOW

    def _own(self, stem: str, fields: Sequence[str]) -> int:
        early = self._early.pop((stem, tuple(fields)), None)
        return early.result() if early is not None else self.visible(stem, fields)

    def _words(self, parsed: ParsedQuery) -> list[tuple[str, Sequence[str]]]:
        """The (stem, fields) of each word `suggest` may correct, in order."""
        out: list[tuple[str, Sequence[str]]] = []
        for term in _correctable(parsed)[:MAX_WORDS]:
            stems = stem_tokens(term.text)
            if len(stems) == 1 and term.span is not None:
                out.append((stems[0], ("title",) if term.field == "title" else STEM_FIELDS))
        return out

    def _stem(self, stem: str, fields: Sequence[str] = STEM_FIELDS) -> Query:
        return should([Query.term_query(self.schema, f, stem) for f in fields])

    def known(self, stem: str) -> bool:
        """In the dictionary (of any document, hidden or not: only visible counts decide)."""
        return self.searcher.doc_freq(DICTIONARY, stem) > 0

    def visible(self, stem: str, fields: Sequence[str] = STEM_FIELDS) -> int:
        """Visible documents with `stem` in `fields`."""
        query = must(self._stem(stem, fields), self.restrict)
        return match_count(self.searcher.search(query, 1))

    def visible_each(self, stems: Iterable[str], fields: Sequence[str]) -> dict[str, int]:
        """`visible` of every stem, in one aggregation over the visible documents with any of
        them (a filter per stem); a stem the query syntax cannot carry as it is, on its own."""
        wanted = sorted(set(stems))
        plain = [t for t in wanted if _QUERYABLE.fullmatch(t) and stem_tokens(t) == [t]]
        out = {t: self.visible(t, fields) for t in wanted if t not in plain}
        if len(plain) == 1:
            out[plain[0]] = self.visible(plain[0], fields)
        elif plain:
            terms = [Query.term_query(self.schema, f, t) for t in plain for f in fields]
            sample = {"terms": {"field": "id", "size": SPELLING_DOCS, "order": {"_key": "asc"}}}
            request = {
                f"s{i}": {
                    "filter": " OR ".join(f"{f}:{t}" for f in fields),
                    "aggs": {"ids": sample},
                }
                for i, t in enumerate(plain)
            }
            found = self.searcher.aggregate(must(should(terms), self.restrict), request)
            for i, t in enumerate(plain):
                out[t] = int(found[f"s{i}"]["doc_count"])
                buckets = found[f"s{i}"].get("ids", {}).get("buckets", [])
                ids = sorted(int(b["key"]) for b in buckets if int(b["doc_count"]) > 0)
                self._samples[(t, tuple(fields))] = ids[:SPELLING_DOCS]
        return out

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
        self,
        parsed: ParsedQuery,
        total: int,
        count_text: Callable[[str], int],
        filtered: bool = True,
    ) -> str | None:
        """A corrected query text that finds more visible documents than `total`, or None.
        `filtered`: the search has filters besides its text (`count_text` applies them)."""
        if total >= SUGGEST_BELOW:
            return None
        replacements: dict[tuple[int, int], str] = {}
        found_by = 0  # visible documents with the last correction (in its fields)
        # a search for one word alone found `total` (< SUGGEST_BELOW) documents with it in these
        # fields or more: the word is rare, no need to count it first
        alone = not filtered and _one_word(parsed)
        for term in _correctable(parsed)[:MAX_WORDS]:
            stems = stem_tokens(term.text)
            if len(stems) != 1 or term.span is None:
                continue
            stem = stems[0]
            fields = ("title",) if term.field == "title" else STEM_FIELDS
            if alone or not self._common(stem, fields):
                # rare (or rare even among hidden documents, so among visible ones): the word
                # and its neighbours (from the dictionary alone) in one count
                counts = self.visible_each({stem, *self.near(stem, 1, None)}, fields)
                own = counts.pop(stem)
            else:  # most such words are found often enough: no neighbours needed
                own = self._own(stem, fields)
                if own >= SUGGEST_BELOW:
                    continue
                counts = self.visible_each(self.near(stem, 1, None), fields)
            options = [(c, n) for c, n in counts.items() if n > own]
            if not options:  # two edits away only when nothing one edit away will do
                options = self.better(stem, own, self.scan(stem, self.restrict), fields)
            if not options:
                continue
            best, found_by = min(options, key=lambda sn: (distance(stem, sn[0], 2), -sn[1], sn[0]))
            word = self.spelling(best, term.text.lower(), fields)
            if word and word != term.text.lower():
                replacements[term.span] = match_case(term.text, word)
        if not replacements:
            return None
        corrected = replace_spans(parsed.text, replacements)
        if alone and found_by > total:
            # the corrected query is that one word: it finds at least the documents counted
            # for it (all of them, when it is a title: word), more than `total` already
            return corrected
        return corrected if count_text(corrected) > total else None

    def better(
        self, stem: str, own: int, candidates: set[str], fields: Sequence[str]
    ) -> list[tuple[str, int]]:
        """The candidates found in more visible documents than `stem`, with those counts."""
        counted = self.visible_each(candidates, fields)
        return [(c, n) for c, n in sorted(counted.items()) if n > own]

    def spelling(self, stem: str, near: str, fields: Sequence[str] = STEM_FIELDS) -> str | None:
        """How visible documents spell `stem` (in `fields`): the form closest to `near`."""
        forms: set[str] = set()
        sample = self._samples.get((stem, tuple(fields)))
        if sample:  # visible documents with it, found while counting it: fetched by id
            ids = Query.term_set_query(self.schema, "id", sample)
            found = self.searcher.search(ids, len(sample), count=False).hits
        else:
            query = must(self._stem(stem, fields), self.restrict)
            found = self.searcher.search(query, SPELLING_DOCS, count=False).hits
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


def _one_word(parsed: ParsedQuery) -> bool:
    """The whole query is one plain word, unfielded or in the title."""
    node = parsed.node
    return (
        isinstance(node, Term)
        and node.field in (None, "title")
        and not node.prefix
        and not node.fuzzy
        and len(stem_tokens(node.text)) == 1
    )


def _correctable(parsed: ParsedQuery) -> list[Term]:
    """The shared rule, for words tantivy's plain tokenizer keeps as one token."""
    return correctable_terms(parsed, lambda text: plain_tokens(text) == [text.lower()])
