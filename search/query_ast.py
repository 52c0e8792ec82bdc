"""The query language's typed AST: what `search.query.parse` returns and every backend compiles.

Leaves are terms, phrases and ranges; And, Or and Not combine them; MatchAll matches everything.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Literal

TextField = Literal["title", "creator", "ref"]
KeywordField = Literal["class", "type", "marking"]
TEXT_FIELDS: tuple[str, ...] = ("title", "creator", "ref")
KEYWORD_FIELDS: tuple[str, ...] = ("class", "type", "marking")
RANGE_FIELDS: tuple[str, ...] = ("year", "date")
FIELDS: tuple[str, ...] = (*TEXT_FIELDS, *KEYWORD_FIELDS, *RANGE_FIELDS)


@dataclass(frozen=True, slots=True)
class Term:
    """A word. `field` None means the default text fields. `span` is where the word sits in the
    original text (for "did you mean"); it takes no part in equality."""

    text: str
    field: str | None = None
    prefix: bool = False
    fuzzy: int = 0
    span: tuple[int, int] | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str
    field: str | None = None
    slop: int = 0


@dataclass(frozen=True, slots=True)
class YearRange:
    """Inclusive; None is open."""

    lower: int | None
    upper: int | None


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive whole days (UTC); None is open."""

    lower: date | None
    upper: date | None


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """Excludes `child`. Standing alone (or with only other Nots), it means "everything but"."""

    child: Node


@dataclass(frozen=True, slots=True)
class MatchAll:
    pass


Node = Term | Phrase | YearRange | DateRange | And | Or | Not | MatchAll


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    text: str
    node: Node
    warnings: tuple[str, ...] = ()

    @property
    def warning(self) -> str | None:
        return " ".join(self.warnings) or None
