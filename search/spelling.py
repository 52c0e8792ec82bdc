"""Engine-neutral spelling helpers: edit-distance neighbours of a word (for "did you mean" and
for highlighting fuzzy matches) and a bounded Damerau-Levenshtein distance."""

from __future__ import annotations

import string
from collections.abc import Callable

from search.query import ParsedQuery, Term, positive_leaves

_ALPHABET = string.ascii_lowercase + string.digits


def edits1(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away from `word`
    (letters a-z, digits and the word's own characters)."""
    letters = sorted(set(_ALPHABET) | set(word))
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    result = deletes | transposes | replaces | inserts
    result.discard(word)
    return result


def distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal-string-alignment distance between `a` and `b`, or `limit + 1` when it is larger
    than `limit` (computed cheaply)."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def match_case(original: str, replacement: str) -> str:
    """`replacement` written in the case style of `original` (lower, Title or UPPER)."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def levenshtein(a: str, b: str) -> int:
    """Plain Levenshtein distance (a transposition counts 2), bit-parallel (Myers/Hyyrö): fast
    enough to screen thousands of dictionary words."""
    m = len(a)
    if m == 0:
        return len(b)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    peq: dict[str, int] = {}
    for i, c in enumerate(a):
        peq[c] = peq.get(c, 0) | (1 << i)
    pv, mv, score = mask, 0, m
    for c in b:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def correctable_terms(parsed: ParsedQuery, accept: Callable[[str], bool]) -> list[Term]:
    """The words "did you mean" may correct, for every engine: plain positive words in the
    default fields or the title, alphabetic, 3 characters or more, and `accept`ed by the
    engine's own tokenisation rule."""
    return [
        leaf
        for leaf in positive_leaves(parsed.node)
        if isinstance(leaf, Term)
        and leaf.field in (None, "title")
        and not leaf.prefix
        and not leaf.fuzzy
        and leaf.span is not None
        and len(leaf.text) >= 3
        and leaf.text.isalpha()
        and accept(leaf.text)
    ]
