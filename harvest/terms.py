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
    across due met large caused answered attempt ref refs
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


#: Reference codes and file-plan codes (CON-2020-0117, TND-2025-14, PROC-CM-CON): their parts
#: ("con", "tnd", "proc") are not topics.
CODE_RE = re.compile(r"\b[A-Z][A-Z0-9]*(?:[-/][A-Z0-9]+)+-?")
#: Inferred topics shorter than this must be written in lower case somewhere (a word, not an
#: abbreviation or a fragment).
MIN_TOPIC = 4
_VOWEL_RE = re.compile(r"[aeiouy]")


def topic_words(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """The words of `text` that can be a person's inferred topic: as `words`, but leaving out
    reference codes and their parts, people's names (`names`, lower case), words with digits
    or no vowel, and short words not written in lower case ("con", "tnd")."""
    out = []
    for match in WORD_RE.finditer(CODE_RE.sub(" ", text)):
        raw = match.group(0)
        if raw.lower().endswith("'s"):
            raw = raw[:-2]
        word = raw.lower().replace("'", "")
        if not MIN_WORD <= len(word) <= MAX_WORD or word in STOP_WORDS or word in names:
            continue
        if any(c.isdigit() for c in word) or not _VOWEL_RE.search(word):
            continue
        if len(word) < MIN_TOPIC and not raw.islower():
            continue
        out.append(word)
    return out


def name_words(names: Iterable[str]) -> frozenset[str]:
    """The lower-case words of people's names and usernames (Dafydd Williams → dafydd,
    williams), which are never topics."""
    return frozenset(
        w.lower().replace("'", "") for name in names for w in WORD_RE.findall(name or "")
    )


def terms(text: str) -> list[str]:
    """The stems of the topic words of `text`, in order (repeats kept)."""
    return [stem(w) for w in words(text)]


def term_set(parts: Iterable[str]) -> frozenset[str]:
    return frozenset(t for part in parts for t in terms(part))
