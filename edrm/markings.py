"""Security markings (on documents and file-plan nodes) and clearances (on people).

Both use the same ordered scale: a person sees a document only if their clearance is at
least its marking.
"""

from __future__ import annotations

from enum import StrEnum


class Marking(StrEnum):
    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"
    SECRET = "SECRET"
    TOP_SECRET = "TOP SECRET"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @classmethod
    def parse(cls, value: str) -> Marking:
        """Accept the marking in any case, with '-', '_' or ' ' between words."""
        key = " ".join(str(value).strip().upper().replace("_", " ").split())
        for marking in cls:
            if key in (marking.value, marking.value.replace("-", " ")):
                return marking
        choices = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown security marking {value!r} (use one of: {choices})")

    def admits(self, marking: Marking) -> bool:
        """True when a person with this clearance may see something with `marking`."""
        return self.rank >= marking.rank

    @staticmethod
    def highest(*markings: Marking) -> Marking:
        return max(markings, key=lambda m: m.rank)


_ORDER = [Marking.OFFICIAL, Marking.OFFICIAL_SENSITIVE, Marking.SECRET, Marking.TOP_SECRET]


def markings_up_to(clearance: Marking) -> list[str]:
    """The marking values a person with `clearance` may see (for SQL IN filters)."""
    return [m.value for m in _ORDER if clearance.admits(m)]
