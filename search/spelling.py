"""Engine-neutral spelling helpers: edit-distance neighbours of a word (for "did you mean" and
for highlighting fuzzy matches) and a bounded Damerau-Levenshtein distance."""

from __future__ import annotations

import string

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
