"""Words into terms: tokenising, dropping stop words and stemming, the same way for queries,
declared skills and inferred topics (English stems, as the search index makes them).

Stemming uses tantivy's English analyser (a project dependency) when it is available, and a
plain lower-cased word otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9']*[A-Za-z0-9]|[A-Za-z]")
MIN_WORD = 3
MAX_WORD = 40

#: English words that say little about a topic (queries are often whole sentences).
_STOP_TEXT = """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can cannot could did do does doing done down during
    each else etc ever every few for from further get gets getting give given go goes going got
    had has have having he her here hers herself him himself his how however i if in into is it
    its itself just know knows known last least less like likely made make makes making many may
    me might more most much must my myself need needs new no nor not now of off often on once
    one only or other others our ours ourselves out over own per perhaps please put quite rather
    re really said same say says see seem seems shall she should since so some someone something
    still such than that the their theirs them themselves then there these they thing things
    this those though through thus to too towards under until up upon us use used using very via
    want wants was we well were what whatever when where whether which while who whom whose why
    will with within without would yes yet you your yours yourself yourselves
    anyone anybody everyone help helps looking look find finding work working worked works
    question questions problem problems issue issues ask asking team colleague colleagues
    year years month months week weeks day days time times way ways part parts lot lots
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@lru_cache(maxsize=1)
def _analyzer() -> object | None:
    try:
        import tantivy

        return (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build()
        )
    except (ImportError, AttributeError, ValueError):  # pragma: no cover - tantivy is required
        return None


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English stem of one lower-case word."""
    analyzer = _analyzer()
    if analyzer is None:  # pragma: no cover
        return word
    out = analyzer.analyze(word)  # type: ignore[attr-defined]
    return str(out[0]) if out else word


def words(text: str) -> list[str]:
    """The topic words of `text`, lower-cased, in order, stop words and very short words out."""
    out = []
    for match in WORD_RE.finditer(text):
        word = match.group(0).lower().replace("'", "")
        if MIN_WORD <= len(word) <= MAX_WORD and word not in STOP_WORDS and not word.isdigit():
            out.append(word)
    return out


def terms(text: str) -> list[str]:
    """The stems of the topic words of `text`, in order (repeats kept)."""
    return [stem(w) for w in words(text)]


def term_set(parts: Iterable[str]) -> frozenset[str]:
    return frozenset(t for part in parts for t in terms(part))
