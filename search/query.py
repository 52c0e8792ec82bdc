"""The query language, parsed once for every backend into a small typed AST.

    flood defence              words: all must match (implicit AND), in any text field
    "risk register"            a phrase ("risk register"~2 allows 2 words of slack)
    title:budget               a field: title, creator, class, type, marking, ref
    title:"risk register"      a phrase in a field; title:(budget OR forecast) groups in a field
    year:2019..2021            years, inclusive; also year:2021, year:>=2019, year:<2020
    date:>=2024-01-01          dates (UTC), inclusive; date:2024-01-01..2024-06-30, date:2024-03
    a AND b, a OR b, NOT a, -a grouping with ( ); NOT binds tightest, then AND, then OR
    procure*                   prefix (at least 2 characters)
    procurment~  procurment~2  fuzzy, edit distance 1 (or 2)

Field semantics (every backend): title, creator and ref match words (analysed like the text);
an unfielded word matches title, body, references or creator (title weighted highest); a word
that analyses into several (`FIN-AP-INV`, `e-mail`) matches them in sequence, like a phrase;
prefix and fuzzy words match the index's terms, so English stems on title and body. class, type
and marking match the whole value, case-insensitively, and `class:FIN*` matches a class and
every code under it. A word that analyses to nothing (e.g. `___`) restricts nothing.

Bad syntax never raises: `parse` returns a best-effort AST and plain-English warnings. Common
English stop words among bare words are dropped (unless nothing else is left), so `health and
safety` means `health safety`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, TypeVar

from search.query_ast import (
    FIELDS,
    RANGE_FIELDS,
    And,
    DateRange,
    MatchAll,
    Node,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Term,
    YearRange,
)

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64
MAX_DEPTH = 16
MAX_FUZZY = 2
MIN_PREFIX = 2

_STOP = "a an and are as at be but by for if in into is it no not of on or such that the their then"
STOP_WORDS = frozenset(f"{_STOP} there these they this to was will with".split(" "))

# -------------------------------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: Literal["(", ")", "-", "+", "word", "phrase", "field", "op"]
    text: str
    start: int
    end: int
    slop: int = 0


_SLOP = re.compile(r"~(\d{0,3})")


def _lex(text: str, warn: list[str]) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            toks.append(_Tok("(", c, i, i + 1))
            i += 1
        elif c == ")":
            toks.append(_Tok(")", c, i, i + 1))
            i += 1
        elif c in "-+" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")":
            toks.append(_Tok("-" if c == "-" else "+", c, i, i + 1))
            i += 1
        elif c == '"':
            i = _lex_phrase(text, i, toks, warn)
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            word = text[i:j]
            if j < n and text[j] in '("' and word.endswith(":") and len(word) > 1:
                toks.append(_Tok("field", word[:-1], i, j - 1))
            elif word in ("AND", "OR", "NOT", "&&", "||"):
                toks.append(_Tok("op", {"&&": "AND", "||": "OR"}.get(word, word), i, j))
            else:
                toks.append(_Tok("word", word, i, j))
            i = j
    return toks


def _lex_phrase(text: str, i: int, toks: list[_Tok], warn: list[str]) -> int:
    close = text.find('"', i + 1)
    if close == -1:
        body = text[i + 1 :]
        if body.strip():
            warn.append(f'Missing closing quote: searched for "{body.strip()}" as a phrase.')
        toks.append(_Tok("phrase", body, i + 1, len(text)))
        return len(text)
    end = close + 1
    slop = 0
    m = _SLOP.match(text, end)
    if m:
        slop = min(int(m.group(1) or 1), 10)
        end = m.end()
    toks.append(_Tok("phrase", text[i + 1 : close], i + 1, close, slop))
    return end


# ------------------------------------------------------------------------------------- parser

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_FUZZY = re.compile(r"~(\d*)\Z")
_ALNUM = re.compile(r"\w")
_YEAR = re.compile(r"\d{4}\Z")
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\Z")
_COMPARE = re.compile(r"(>=|<=|>|<)(.*)\Z", re.S)
_FIELDS_HELP = "title, creator, class, type, marking, ref, year, date"


class _Parser:
    def __init__(self, text: str, toks: list[_Tok], warn: list[str]) -> None:
        self.text = text
        self.toks = toks
        self.pos = 0
        self.warn = warn
        self.depth = 0
        self.clauses = 0

    # helpers
    def peek(self) -> _Tok | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def note(self, message: str) -> None:
        if message not in self.warn:
            self.warn.append(message)

    # grammar: or := and (OR and)* ; and := unary ([AND] unary)* ; unary := (NOT|-|+) unary | atom
    def parse(self) -> Node | None:
        parts: list[Node] = []
        while self.peek() is not None:
            node = self.parse_or(None)
            if node is not None:
                parts.append(node)
            tok = self.peek()
            if tok is not None and tok.kind == ")":
                self.take()
                self.note("An unmatched ')' was ignored.")
        return _and(parts)

    def parse_or(self, fld: str | None) -> Node | None:
        options: list[Node] = []
        first = self.parse_and(fld)
        if first is not None:
            options.append(first)
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.take()
            nxt = self.parse_and(fld)
            if nxt is None or first is None:
                self.note("'OR' needs a search term on both sides; it was ignored.")
            if nxt is not None:
                options.append(nxt)
            first = nxt if first is None else first
        if len(options) > 1:
            return Or(tuple(_flatten(Or, options)))
        return options[0] if options else None

    def parse_and(self, fld: str | None) -> Node | None:
        parts: list[Node] = []
        pending_and = False
        while (tok := self.peek()) is not None and tok.kind != ")":
            if tok.kind == "op" and tok.text == "OR":
                break
            if tok.kind == "op" and tok.text == "AND":
                self.take()
                if not parts or pending_and:
                    self.note("'AND' needs a search term on both sides; it was ignored.")
                pending_and = True
                continue
            node = self.parse_unary(fld)
            if node is not None:
                parts.append(node)
                pending_and = False
        if pending_and and parts:
            self.note("'AND' needs a search term on both sides; it was ignored.")
        return _and(parts)

    def parse_unary(self, fld: str | None) -> Node | None:
        negations = 0
        tok = self.take()
        while tok.kind in ("-", "+") or (tok.kind == "op" and tok.text == "NOT"):
            negations += tok.kind != "+"
            nxt = self.peek()
            if nxt is None or nxt.kind == ")" or (nxt.kind == "op" and nxt.text != "NOT"):
                if tok.kind != "+":
                    self.note(f"'{tok.text}' needs a search term after it; it was ignored.")
                return None
            tok = self.take()
        node = self.parse_atom(tok, fld)
        if node is None:
            return None
        if negations % 2 == 0:
            return node
        return node.child if isinstance(node, Not) else Not(node)

    def parse_atom(self, tok: _Tok, fld: str | None) -> Node | None:
        if tok.kind == "(":
            return self.parse_group(fld)
        if tok.kind == ")":  # only reached from parse_unary when a ')' follows an operator
            return None
        if tok.kind == "op":  # a NOT/AND/OR where a term was expected
            return None
        if tok.kind == "phrase":
            return self.phrase(tok.text, fld, tok.slop)
        if tok.kind == "field":
            return self.parse_field_token(tok, fld)
        return self.word(tok.text, tok.start, fld)

    def parse_group(self, fld: str | None) -> Node | None:
        if self.depth >= MAX_DEPTH:
            self.note(f"Parentheses nested deeper than {MAX_DEPTH} levels were flattened.")
            return None
        self.depth += 1
        node = self.parse_or(fld)
        self.depth -= 1
        tok = self.peek()
        if tok is not None and tok.kind == ")":
            self.take()
        else:
            self.note("A '(' was never closed: it was closed at the end of the query.")
        return node

    def parse_field_token(self, tok: _Tok, fld: str | None) -> Node | None:
        name = tok.text.lower()
        nxt = self.take() if self.peek() is not None else None
        if name not in FIELDS:
            shown = (
                f'{tok.text}:"{nxt.text}"' if nxt and nxt.kind == "phrase" else f"{tok.text}:(…)"
            )
            self.note(
                f"Unknown field '{tok.text}': searched for '{shown}' as words. "
                f"Fields are {_FIELDS_HELP}."
            )
            inner = self.parse_atom(nxt, fld) if nxt is not None else None
            return _and([n for n in (self.word(tok.text, tok.start, fld), inner) if n])
        if nxt is None:
            return None
        if nxt.kind == "phrase":
            if name in RANGE_FIELDS:
                return self.range(name, nxt.text.strip(), self.text[tok.start : nxt.end + 1])
            return self.phrase(nxt.text, name, nxt.slop)
        return self.parse_group(name)

    # leaves
    def phrase(self, text: str, fld: str | None, slop: int) -> Node | None:
        if fld in RANGE_FIELDS:
            return self.range(fld, text.strip(), f'{fld}:"{text}"')
        if not _ALNUM.search(text) or not self.count_clause():
            return None
        return Phrase(" ".join(text.split()), fld, slop)

    def word(self, raw: str, start: int, fld: str | None) -> Node | None:
        stripped = raw.lstrip("+-")  # a sign inside a word (foo:-x) is no operator
        start, raw = start + len(raw) - len(stripped), stripped
        if fld is None and ":" in raw:
            name, _, value = raw.partition(":")
            if _IDENT.match(name):
                key = name.lower()
                if key not in FIELDS:
                    self.note(
                        f"Unknown field '{name}': searched for '{raw}' as words. "
                        f"Fields are {_FIELDS_HELP}."
                    )
                    parts = [
                        self.word(name, start, None),
                        self.word(value, start + len(name) + 1, None),
                    ]
                    return _and([p for p in parts if p is not None])
                if not value:
                    self.note(f"Nothing followed '{name}:'; it was ignored.")
                    return None
                return self.word(value, start + len(name) + 1, key)
        if fld in RANGE_FIELDS:
            return self.range(fld, raw, f"{fld}:{raw}")
        return self.term(raw, start, fld)

    def term(self, raw: str, start: int, fld: str | None) -> Node | None:
        text, fuzzy, prefix = raw, 0, False
        m = _FUZZY.search(text)
        if m:
            text = text[: m.start()]
            fuzzy = int(m.group(1)) if m.group(1) else 1
            if fuzzy > MAX_FUZZY:
                self.note(
                    f"Fuzzy search allows at most ~{MAX_FUZZY}: searched '{text}~{MAX_FUZZY}'."
                )
                fuzzy = MAX_FUZZY
        text = text.rstrip("~")
        if text in ("AND", "OR", "NOT"):
            text = text.lower()  # a word here, not an operator
        if "*" in text or "?" in text:
            cut = min(i for i in (text.find("*"), text.find("?")) if i >= 0)
            if text[cut:].strip("*?") or "?" in text:
                self.note(
                    f"Wildcards work only at the end of a word: searched for '{text[:cut]}*'."
                )
            text, prefix = text[:cut], True
        if prefix and fuzzy:
            self.note(f"A word cannot be both a prefix and fuzzy: searched for '{text}*'.")
            fuzzy = 0
        if not _ALNUM.search(text):
            return None
        if prefix and len(text) < MIN_PREFIX:
            self.note(f"A prefix needs at least {MIN_PREFIX} characters: searched for '{text}'.")
            prefix = False
        if not self.count_clause():
            return None
        return Term(text, fld, prefix, fuzzy, span=(start, start + len(text)))

    def range(self, fld: str, value: str, shown: str) -> Node | None:
        if fld == "year":
            years = self.bounds(_parse_range(value, _year_bounds, _YEAR_EXAMPLE), shown)
            return None if years is None else YearRange(*years)
        dates = self.bounds(_parse_range(value, _date_bounds, _DATE_EXAMPLE), shown)
        return None if dates is None else DateRange(*dates)

    def bounds(
        self, parsed: tuple[_B | None, _B | None] | str, shown: str
    ) -> tuple[_B | None, _B | None] | None:
        """(lower, upper) in order, or None (with a note) when the range is unreadable or over
        the clause limit."""
        if isinstance(parsed, str):
            self.note(f"Could not read '{shown}' ({parsed}); that part was ignored.")
            return None
        lower, upper = parsed
        if lower is not None and upper is not None and lower > upper:
            self.note(f"The range '{shown}' runs backwards: searched from {upper} to {lower}.")
            lower, upper = upper, lower
        if not self.count_clause():
            return None
        return lower, upper

    def count_clause(self) -> bool:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            self.note(f"Only the first {MAX_CLAUSES} search terms were used.")
            return False
        return True


# ------------------------------------------------------------------------------------- ranges

# A range bound: years (int) or days (date); each range has one kind.
_B = TypeVar("_B", int, date)

_YEAR_EXAMPLE = "try year:2019..2021 or year:>=2019"
_DATE_EXAMPLE = "try date:2024-01-01..2024-06-30 or date:>=2024-01-01"


def _parse_range(
    value: str, point: Callable[[str], tuple[_B, _B]], example: str
) -> tuple[_B | None, _B | None] | str:
    """(lower, upper), both inclusive, or the reason the value is not a range. `point` gives
    the first and last year or day a single value covers."""
    try:
        m = _COMPARE.match(value)
        if m:
            op, rest = m.groups()
            lo, hi = point(rest.strip())
            if op == ">=":
                return lo, None
            if op == ">":
                return _step(hi, 1), None
            if op == "<=":
                return None, hi
            return None, _step(lo, -1)
        if ".." in value:
            left, _, right = value.partition("..")
            lower = point(left.strip())[0] if left.strip() else None
            upper = point(right.strip())[1] if right.strip() else None
            if lower is None and upper is None:
                return example
            return lower, upper
        return point(value)
    except (ValueError, OverflowError):
        return example


def _year_bounds(text: str) -> tuple[int, int]:
    if not _YEAR.match(text) or not 1 <= int(text) <= 9998:
        raise ValueError(text)
    return int(text), int(text)


def _date_bounds(text: str) -> tuple[date, date]:
    m = _DATE.match(text)
    if not m:
        raise ValueError(text)
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if not 1 <= year <= 9998:
        raise ValueError(text)
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if day is None:
        last = calendar.monthrange(year, int(month))[1] if 1 <= int(month) <= 12 else 0
        return date(year, int(month), 1), date(year, int(month), last or 1)
    exact = date(year, int(month), int(day))
    return exact, exact


def _step(bound: _B, by: int) -> _B:
    """The next (`by` 1) or previous (`by` -1) year or day."""
    if isinstance(bound, date):
        return bound + timedelta(days=by)
    return bound + by


# ---------------------------------------------------------------------------------- assembling


def _flatten(kind: type[And] | type[Or], nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        if isinstance(node, kind):
            yield from node.children
        else:
            yield node


def _and(parts: list[Node]) -> Node | None:
    flat = list(_flatten(And, parts))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def _drop_stop_words(node: Node) -> Node:
    """Drop bare stop words from a conjunction, unless they are all it has."""
    if isinstance(node, And):
        children = [_drop_stop_words(c) for c in node.children]
        kept = [c for c in children if not _is_stop(c)]
        if not any(not isinstance(c, Not) for c in kept):
            kept = children
        return _and(kept) or MatchAll()
    if isinstance(node, Or):
        return Or(tuple(_drop_stop_words(c) for c in node.children))
    if isinstance(node, Not):
        return Not(_drop_stop_words(node.child))
    return node


def _is_stop(node: Node) -> bool:
    return (
        isinstance(node, Term)
        and node.field is None
        and not node.prefix
        and not node.fuzzy
        and node.text.lower() in STOP_WORDS
    )


def parse(text: str) -> ParsedQuery:
    """Parse `text`. Never raises; an empty or meaningless query is `MatchAll`."""
    warn: list[str] = []
    source = text if isinstance(text, str) else str(text)
    if len(source) > MAX_QUERY_CHARS:
        warn.append(f"Only the first {MAX_QUERY_CHARS} characters of the query were used.")
        source = source[:MAX_QUERY_CHARS]
    parser = _Parser(source, _lex(source, warn), warn)
    node = parser.parse()
    node = MatchAll() if node is None else _drop_stop_words(node)
    return ParsedQuery(text=source, node=node, warnings=tuple(warn))


# ------------------------------------------------------------------------------------ helpers


def positive_leaves(node: Node) -> list[Term | Phrase]:
    """The words and phrases a match may contain (not under a NOT): for highlighting and
    spelling suggestions."""
    if isinstance(node, Term | Phrase):
        return [node]
    if isinstance(node, And | Or):
        return [leaf for child in node.children for leaf in positive_leaves(child)]
    return []


def replace_spans(text: str, replacements: dict[tuple[int, int], str]) -> str:
    """`text` with each (start, end) span replaced; spans must not overlap."""
    out: list[str] = []
    last = 0
    for (start, end), new in sorted(replacements.items()):
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def to_text(node: Node) -> str:
    """A canonical query string for `node` (parsing it gives `node` back)."""
    if isinstance(node, MatchAll):
        return ""
    if isinstance(node, Term):
        prefix = f"{node.field}:" if node.field else ""
        suffix = "*" if node.prefix else (f"~{node.fuzzy}" if node.fuzzy else "")
        return f"{prefix}{node.text}{suffix}"
    if isinstance(node, Phrase):
        prefix = f"{node.field}:" if node.field else ""
        return f'{prefix}"{node.text}"' + (f"~{node.slop}" if node.slop else "")
    if isinstance(node, YearRange | DateRange):
        name = "year" if isinstance(node, YearRange) else "date"
        lo = "" if node.lower is None else str(node.lower)
        hi = "" if node.upper is None else str(node.upper)
        return f"{name}:{lo}..{hi}"
    if isinstance(node, Not):
        return f"-{_group(node.child)}"  # never Not(Not(...)): the parser cancels those
    if isinstance(node, And):
        return " ".join(_group(c) if isinstance(c, Or) else to_text(c) for c in node.children)
    return " OR ".join(_group(c) if isinstance(c, Or) else to_text(c) for c in node.children)


def _group(node: Node) -> str:
    return f"({to_text(node)})" if isinstance(node, And | Or) else to_text(node)
