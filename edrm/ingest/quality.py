"""Measures of OCR quality against a known text: character error rate and word F1.

The character error rate compares whitespace-normalised text (runs of spaces, tabs and line breaks
count as one space), so line wrapping is not an error but case and punctuation are. Word F1 compares
the words as a bag (lower case, letters and digits only), so reading order and punctuation do not
count. Used by the OCR tests and by bench/ingest.py.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

_WORD = re.compile(r"[^\W_]+")


def normalise(text: str) -> str:
    """Collapse every run of whitespace into one space and trim the ends."""
    return " ".join(text.split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions each cost 1).

    One row of the table at a time, vectorised with numpy: deletions and substitutions come from
    the previous row; insertions along the row are a running minimum of (cell - column index).
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    target = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    columns = np.arange(len(b) + 1, dtype=np.int64)
    previous = columns.copy()
    for i, char in enumerate(a, start=1):
        cost = (target != ord(char)).astype(np.int64)
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + cost)
        # insertion: current[j] = min(current[j], current[j-1] + 1) for all j, in one pass
        current = np.minimum.accumulate(current - columns) + columns
        previous = current
    return int(previous[-1])


def cer(ref: str, hyp: str) -> float:
    """Character error rate: edit distance / reference length, after whitespace normalisation.

    0.0 is perfect; it can exceed 1.0 when the hypothesis is much longer than the reference.
    An empty reference gives 0.0 for an empty hypothesis and 1.0 otherwise.
    """
    r, h = normalise(ref), normalise(hyp)
    if not r:
        return 0.0 if not h else 1.0
    return edit_distance(r, h) / len(r)


def words(text: str) -> list[str]:
    """The words of a text for word_f1: runs of letters and digits, case-folded."""
    return _WORD.findall(text.casefold())


def word_f1(ref: str, hyp: str) -> float:
    """F1 of the words found (as a multiset) against the words of the reference.

    Order does not matter, so a page read column by column in a different order still scores well;
    "Council," and "council" are the same word; two texts without words score 1.0.
    """
    ref_words, hyp_words = Counter(words(ref)), Counter(words(hyp))
    ref_total, hyp_total = sum(ref_words.values()), sum(hyp_words.values())
    if not ref_total and not hyp_total:
        return 1.0
    matched = sum((ref_words & hyp_words).values())
    if not matched:
        return 0.0
    precision, recall = matched / hyp_total, matched / ref_total
    return 2 * precision * recall / (precision + recall)
