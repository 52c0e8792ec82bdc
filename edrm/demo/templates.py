"""The small template language the demo documents are written in (data/documents/*.toml).

A document kind is a TOML table whose values are worked out top to bottom, each one able to use
the values above it by name:
- a string is a template: text with `{expression}` or `{expression:format}` placeholders, filled
  left to right (`{{` and `}}` stand for braces; the first colon outside brackets and quotes
  starts the format). A string that is a single placeholder and nothing else keeps the
  expression's value (a number, a date, a record) rather than its text;
- an array is worked out element by element, so alternatives are all filled in before one of them
  is picked with `choice(...)`; an inline table the same way, giving a record;
- numbers, booleans and dates stand for themselves;
- `parts` holds named templates worked out on demand rather than in sequence: `render(name)`
  once, `each(name, items)` once per item (the item bound to the part's `as` name, `it` by
  default, and `n` counting from 1) and `repeat(name, count)`. A part is a string, an array or a
  table worked out like a kind; a table's value is its `item` if it has one, otherwise the table
  itself as a record (with its item under its `as` name);
- `base` names another kind whose values are worked out after this one's (so this one's values
  are its parameters) and whose parts this one may replace.
A kind must end up with `filename`, `title`, `body`, `doc_type` and `description`.

Expressions are Python expressions over a fixed set of names: the document's context (`day`,
`when`, `marking`, `author`, `topic`, `folder`, `ref`, `subject`, `serial`), the word lists
(vocabulary.toml, `topics` by key, `all_topics`, and every document file's `[lists]`), the random
draws (`randint`, `randrange`, `uniform`, `random`, `choice`, `sample`) and the helpers below. A
name or attribute starting with an underscore is refused, and a value may not take the name of a
helper or a word list.

Every random draw goes through the document's own `random.Random` in the order the templates are
written, which is what makes the same seed give the same documents byte for byte. Nothing here
reads or writes files: corpus.py loads the data and passes it in.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import CodeType
from typing import Any

_BUILTINS: dict[str, Any] = {
    f.__name__: f for f in (len, min, max, sum, round, int, str, abs, range, enumerate, zip)
}
_CONTROL_KEYS = ("parts", "base")
_DRAFT_FIELDS = ("filename", "title", "body", "doc_type", "description")
_MIME = {"csv": "text/csv", "html": "text/html", "md": "text/markdown"}


class TemplateError(ValueError):
    """A template in the demo data that cannot be read."""


class Record(dict[str, Any]):
    """A TOML table whose keys can also be read as attributes (`supplier.name`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def records(value: Any) -> Any:
    """TOML data with every table turned into a Record."""
    if isinstance(value, dict):
        return Record({key: records(item) for key, item in value.items()})
    if isinstance(value, list):
        return [records(item) for item in value]
    return value


@dataclass(frozen=True)
class Library:
    """The demo's words and document kinds, as loaded from the data files."""

    words: Mapping[str, Any]  # vocabulary, topics and the lists of the document files
    kinds: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Draft:
    filename: str
    title: str
    body: str
    doc_type: str
    description: str

    @property
    def mime(self) -> str:
        return _MIME.get(self.filename.rsplit(".", 1)[-1].lower(), "text/plain")


# --------------------------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    pieces: tuple[tuple[str, CodeType, str], ...]  # literal text, then an expression and its format
    tail: str  # literal text after the last placeholder

    @property
    def lone(self) -> CodeType | None:
        """The expression, when the template is one placeholder with no text and no format."""
        if len(self.pieces) == 1 and not self.tail and self.pieces[0][::2] == ("", ""):
            return self.pieces[0][1]
        return None


def _placeholder_end(template: str, start: int) -> tuple[int, int]:
    """The closing brace of the placeholder opened before `start`, and its format colon (or 0)."""
    depth, quote, i = 0, "", start
    while i < len(template):
        char = template[i]
        if quote:
            i += 1 if char == "\\" else 0
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]" or (char == "}" and depth):
            depth -= 1
        elif char == "}":
            return i, 0
        elif char == ":" and not depth:
            end = template.find("}", i)
            if end < 0:
                break
            return end, i
        i += 1
    raise TemplateError(f"unclosed placeholder in {template!r}")


def _expression(source: str) -> CodeType:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise TemplateError(f"bad expression {source!r}: {exc.msg}") from None
    for node in ast.walk(tree):
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
        if isinstance(name, str) and name.startswith("_"):
            raise TemplateError(f"{name!r} is not allowed in {source!r}")
    return compile(tree, "<demo template>", "eval")


@cache
def _template(text: str) -> _Template:
    pieces: list[tuple[str, CodeType, str]] = []
    literal, i = "", 0
    while i < len(text):
        char = text[i]
        if char in "{}" and text[i + 1 : i + 2] == char:
            literal, i = literal + char, i + 2
        elif char == "{":
            end, colon = _placeholder_end(text, i + 1)
            source, spec = text[i + 1 : colon or end], text[colon + 1 : end] if colon else ""
            pieces.append((literal, _expression(source), spec))
            literal, i = "", end + 1
        elif char == "}":
            raise TemplateError(f"a single '}}' in {text!r}")
        else:
            literal, i = literal + char, i + 1
    return _Template(tuple(pieces), literal)


def fill(text: str, scope: dict[str, Any]) -> Any:
    """The template filled in from `scope`; a lone placeholder keeps its value."""
    template = _template(text)
    lone = template.lone
    if lone is not None:
        return eval(lone, scope)  # a checked expression over the names in scope
    out = []
    for literal, code, spec in template.pieces:
        out += [literal, format(eval(code, scope), spec)]
    return "".join([*out, template.tail])


def work_out(value: Any, scope: dict[str, Any]) -> Any:
    """A template value worked out: strings filled, arrays and tables element by element."""
    if isinstance(value, str):
        return fill(value, scope)
    if isinstance(value, list):
        return [work_out(item, scope) for item in value]
    if isinstance(value, dict):
        return Record({key: work_out(item, scope) for key, item in value.items()})
    return value


# --------------------------------------------------------------------------------------------
# Plain helpers (no randomness)
# --------------------------------------------------------------------------------------------


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def short_date(day: dt.date) -> str:
    return f"{day:%d/%m/%Y}"


def pounds(amount: float) -> str:
    return f"£{amount:,.2f}"


def whole_pounds(amount: float) -> str:
    return f"£{amount:,.0f}"


def fy(day: dt.date) -> str:
    """The financial year a day falls in, as 2024-25."""
    year = day.year if day.month >= 4 else day.year - 1
    return f"{year}-{(year + 1) % 100:02d}"


def safe(text: str) -> str:
    """Turn a title into a filename fragment (keeping spaces, as people do)."""
    keep = "".join(c for c in text if c.isalnum() or c in " -_'&().,")
    return " ".join(keep.split())[:70].rstrip(" .,")


def bullets(items: Iterable[str], mark: str = "-") -> str:
    return "\n".join(f"{mark} {item}" for item in items)


def lines(items: Iterable[str]) -> str:
    return "\n".join(items)


def paragraphs(items: Iterable[str]) -> str:
    return "\n\n".join(items)


def total(amounts: Iterable[float]) -> float:
    """The sum, added in order as a running total is (sum() of floats may round differently)."""
    result: float = 0
    for amount in amounts:
        result += amount
    return result


def table(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def hours(n: int) -> dt.timedelta:
    return dt.timedelta(hours=n)


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


_PLAIN: dict[str, Any] = {
    "date": dt.date,
    **{f.__name__: f for f in (long_date, short_date, pounds, whole_pounds, fy, safe)},
    **{f.__name__: f for f in (bullets, lines, paragraphs, total, table, days, hours, minutes)},
}
_RANDOM = ("randint", "randrange", "uniform", "random", "choice", "sample")
_HELPERS = (
    *("person", "phone", "ni_number", "postcode", "email_of", "minister_on", "perm_sec_on"),
    *("values", "facts", "timeline", "document", "markdown", "render", "each", "repeat"),
)


# --------------------------------------------------------------------------------------------
# Writing one document
# --------------------------------------------------------------------------------------------


def write(library: Library, kind: str, rng: random.Random, context: Mapping[str, Any]) -> Draft:
    """The draft of one document of `kind`, its random draws taken from `rng`."""
    return _Writer(library, rng, context).write(kind)


@dataclass
class _Writer:
    """One document being written: its random source, its context and its working scopes."""

    library: Library
    rng: random.Random
    context: Mapping[str, Any]
    parts: dict[str, Any] = field(default_factory=dict)
    scopes: list[dict[str, Any]] = field(default_factory=list)
    decks: dict[str, list[str]] = field(default_factory=dict)  # facts not yet used, by topic
    reserved: frozenset[str] = frozenset()  # helpers and word lists, which values may not hide

    def write(self, kind: str) -> Draft:
        chain = [self.library.kinds[kind]]
        while "base" in chain[-1]:
            chain.append(self.library.kinds[chain[-1]["base"]])
        for table in reversed(chain):
            self.parts.update(table.get("parts", {}))
        names = {
            **self.library.words,
            **_PLAIN,
            **{name: getattr(self.rng, name) for name in _RANDOM},
            **{name: getattr(self, name) for name in _HELPERS},
        }
        self.reserved = frozenset(names) | frozenset(_BUILTINS)
        scope = {"__builtins__": _BUILTINS, **names, **self.context}
        self.scopes.append(scope)
        for table in chain:
            self._work_out_table(table, scope, _CONTROL_KEYS)
        missing = [name for name in _DRAFT_FIELDS if name not in scope]
        if missing:
            raise TemplateError(f"document kind {kind!r} has no {', '.join(missing)}")
        return Draft(*(str(scope[name]) for name in _DRAFT_FIELDS))

    def _work_out_table(
        self, table: Mapping[str, Any], scope: dict[str, Any], skip: Sequence[str]
    ) -> None:
        for key, value in table.items():
            if key in self.reserved:
                raise TemplateError(f"a value may not be called {key!r}: that name is taken")
            if key not in skip:
                scope[key] = work_out(value, scope)

    # ---- parts ----------------------------------------------------------------------------------

    def _part(self, name: str, bound: Mapping[str, Any]) -> Any:
        part = self.parts[name]
        scope = {**self.scopes[-1], **bound}
        self.scopes.append(scope)
        try:
            if not isinstance(part, dict):
                return work_out(part, scope)
            self._work_out_table(part, scope, ("as",))
            if "item" in part:
                return scope["item"]
            return Record({**bound, **{key: scope[key] for key in part if key != "as"}})
        finally:
            self.scopes.pop()

    def render(self, name: str) -> Any:
        return self._part(name, {})

    def each(self, name: str, items: Iterable[Any]) -> list[Any]:
        part = self.parts[name]
        as_name = part.get("as", "it") if isinstance(part, dict) else "it"
        return [self._part(name, {as_name: it, "n": n}) for n, it in enumerate(items, start=1)]

    def repeat(self, name: str, count: int) -> list[Any]:
        return self.each(name, range(count))

    # ---- people and places ----------------------------------------------------------------------

    def person(self) -> str:
        words = self.library.words
        return f"{self.rng.choice(words['first_names'])} {self.rng.choice(words['surnames'])}"

    def phone(self) -> str:
        prefix = self.rng.choice(self.library.words["phone_prefixes"])
        return f"{prefix}{self.rng.randrange(1000):03d}"

    def ni_number(self) -> str:
        """A National Insurance number with the QQ prefix, which is never issued."""
        digits = " ".join(f"{self.rng.randrange(100):02d}" for _ in range(3))
        return f"QQ {digits} {self.rng.choice('ABCD')}"

    def postcode(self) -> str:
        rng = self.rng
        area = rng.choice(self.library.words["postcode_areas"])
        inward = rng.choice("ABDEFGHJLNPQRSTUWXYZ") + rng.choice("ABDEHJLNPQRSTUWXYZ")
        return f"{area} {rng.randint(1, 9)}{inward}"

    def email_of(self, name: str, domain: str = "") -> str:
        address = name.lower().replace(" ", ".").replace("'", "")
        return f"{address}@{domain or self.library.words['domain']}"

    def minister_on(self, day: dt.date) -> str:
        return _in_office(self.library.words["ministers"], day)

    def perm_sec_on(self, day: dt.date) -> str:
        return _in_office(self.library.words["permanent_secretaries"], day)

    # ---- facts ----------------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """Fillers for the `{place}`, `{n}`, `{money}` ... slots of facts and headlines."""
        rng, words = self.rng, self.library.words
        quality = rng.choice((60, 70, 80))
        place, place2 = rng.sample(words["places"], 2)
        return {
            "place": place,
            "place2": place2,
            "n": str(rng.randint(3, 9)),
            "n2": str(rng.randint(12, 48)),
            "n3": str(rng.randint(1, 4)),
            "pct": str(rng.randint(12, 88)),
            "money": whole_pounds(rng.randrange(40_000, 950_000, 500)),
            "month": rng.choice(words["months"]),
            "building": rng.choice(words["buildings"]),
            "service": rng.choice(words["services"]),
            "framework": rng.choice(words["frameworks"]),
            "org": rng.choice(words["orgs"]),
            "year2": str(rng.randint(2027, 2031)),
            "quality": str(quality),
            "price": str(100 - quality),
            "sv": str(rng.choice((10, 15, 20))),
            "storm": rng.choice(words["storms"]),
        }

    def facts(self, topic: Record, k: int = 3) -> str:
        """k sentences about the topic, not repeating any already used in the same document."""
        deck = self.decks.setdefault(topic.key, [])
        values = self.values()
        sentences = []
        for _ in range(k):
            if not deck:
                deck.extend(self.rng.sample(topic.facts, len(topic.facts)))
            sentences.append(deck.pop().format(**values))
        return " ".join(sentences)

    def timeline(
        self, start: Any, count: int, low: int, high: int, clock: bool = False
    ) -> list[Any]:
        """`count` dates from `start`, each `low` to `high` days after the one before; with
        `clock`, `start` is a datetime and each later one falls at a random office hour."""
        moments = []
        for _ in range(count):
            moments.append(start)
            start += dt.timedelta(days=self.rng.randint(low, high))
            if clock:
                start = start.replace(hour=self.rng.randint(8, 17), minute=self.rng.randrange(60))
        return moments

    # ---- layouts --------------------------------------------------------------------------------

    def document(self, heading: str, sections: Sequence[Sequence[str]]) -> str:
        """A plain-text document: marking banners, a heading block and titled sections."""
        marking, author = self.context["marking"], self.context["author"]
        rows = [
            marking,
            "",
            self.library.words["department"].upper(),
            heading,
            "",
            f"Author: {author.full_name}, {author.unit}",
            f"Date: {long_date(self.context['day'])}",
        ]
        for title, text in sections:
            rows += ["", title.upper(), text] if title else ["", text]
        return "\n".join([*rows, "", marking, ""])

    def markdown(self, heading: str, sections: Sequence[Sequence[str]]) -> str:
        """A Markdown document: marking banners, a heading, a byline and `##` sections."""
        marking, author = self.context["marking"], self.context["author"]
        department, day = self.library.words["department"], self.context["day"]
        rows = [
            marking,
            "",
            f"# {heading}",
            "",
            f"*{department}, {author.unit}. {author.full_name}, {long_date(day)}.*",
        ]
        for title, text in sections:
            rows += ["", f"## {title}", "", text]
        return "\n".join([*rows, "", marking, ""])


def _in_office(holders: Sequence[Record], day: dt.date) -> str:
    """The first holder whose term had not ended by `day` (the last one has no `until`)."""
    return str(next(h.name for h in holders if "until" not in h or day < h.until))
