"""Reading a TOML configuration file through its schema: the one way every file in config/ is read.

A file's schema is a pydantic model built on `ConfigModel`: unknown keys are refused and types
are strict (text is not a whole number, a string is not a list, true is not 1). Models are frozen;
each reader turns its model into the plain dataclasses the rest of the code uses.

    load_toml(path, Model)               read, parse and validate one file
    parse_toml(text, where, Model)       the same for text already read
    validate(where, data, Model, text=)  validate data tomllib already parsed

Every problem becomes a `ConfigError` (an `InvalidInputError`) whose message is one line naming
the file, the line and the key, e.g.

    config/ingest.toml, line 6: 'limits.max_pages' must be a whole number (got '500')
    config/jobs.toml, line 9: job 1 (classifier-retrain): unknown key(s) colour
    config/jobs.toml, line 8: job 1: 'cron': not valid TOML: invalid value (column 8)

The line is found by locating the key in the file's text (its table header, then `key =`; the
n-th `[[table]]` for the n-th entry of an array of tables); a key the file does not spell out (a
missing one) is placed at its table's header. Without the text (data built in code) the message
names the file and the key only. Nothing here keeps state or runs at import time.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails

from edrm.errors import InvalidInputError

__all__ = ["ConfigError", "ConfigModel", "ConfigProblem", "load_toml", "parse_toml", "validate"]

Loc = tuple[str | int, ...]


class ConfigModel(BaseModel):
    """The base of every config file's schema (and of the tables inside it).

    On a file's model, `entry_names` maps an array of tables to the key that names its entries
    in messages (`{"rule": "class"}` gives "rule 2 (FIN-AP-INV)"), and `key_noun` is the word
    for a key in "unknown key(s) …".
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    entry_names: ClassVar[Mapping[str, str]] = {}
    key_noun: ClassVar[str] = "key"


M = TypeVar("M", bound=ConfigModel)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file, and where it is."""

    file: str
    line: int | None  # 1-based; None when the text is not known
    entry: str  # the array-of-tables entry it is in ("rule 2 (FIN-AP-INV)"), or ""
    key: str  # the dotted key inside the entry ("limits.max_pages"), or "" for the whole file
    kind: str  # "syntax", "unknown", "missing", "type" or "value"
    text: str  # what is wrong, naming the key: "'keywords' must be a list (got 'x')"

    @property
    def at(self) -> str:
        """The file and line: "config/ingest.toml, line 6"."""
        return self.file if self.line is None else f"{self.file}, line {self.line}"

    def __str__(self) -> str:
        return f"{self.at}: {self.entry}: {self.text}" if self.entry else f"{self.at}: {self.text}"


class ConfigError(InvalidInputError):
    """A config file that does not fit its schema; the message is the first problem in it."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__(str(problems[0]))
        self.problems = problems


def load_toml(path: Path, model: type[M]) -> M:
    """The file at `path`, validated. A missing file raises FileNotFoundError: what that means
    (defaults, or a named error) is each reader's own business."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problem = ConfigProblem(str(path), None, "", "", "syntax", "not UTF-8 text")
        raise ConfigError([problem]) from None
    return parse_toml(text, path, model)


def parse_toml(text: str, where: str | Path, model: type[M]) -> M:
    """`text` (the contents of the file `where`) parsed as TOML and validated."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(str(where), text, exc)]) from None
    return validate(where, data, model, text=text)


def validate(
    where: str | Path, data: Mapping[str, Any], model: type[M], *, text: str | None = None
) -> M:
    """`data` checked against `model`; with the file's `text`, problems are given a line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = _KeyLines(text) if text is not None else None
        problems = _problems(str(where), data, model, exc, lines)
        raise ConfigError(problems) from None


# --- pydantic's errors as problems ------------------------------------------------------------

_EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "frozen_set_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "dataclass_type": "a table",
    "date_type": "a date",
    "datetime_type": "a date and time",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "above"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "below"),
}


@dataclass(frozen=True)
class _Place:
    loc: Loc  # the error's location, cut to what exists in the data (plus a missing key)
    entry: str
    key: str  # dotted, inside the entry
    item: int | None  # 1-based position in a list of values, when the problem is one item
    value: Any


def _problems(
    file: str,
    data: Mapping[str, Any],
    model: type[ConfigModel],
    exc: ValidationError,
    lines: _KeyLines | None,
) -> list[ConfigProblem]:
    found: dict[tuple[Loc, str], tuple[_Place, list[ErrorDetails]]] = {}
    for error in exc.errors(include_url=False):
        place = _place(tuple(error["loc"]), data, model.entry_names)
        kind = _kind(error["type"])
        # One problem per key: a value outside a union gives one error per member.
        found.setdefault((place.loc, kind), (place, []))[1].append(error)
    problems: list[ConfigProblem] = []
    unknown: dict[tuple[str, Loc], tuple[int, list[str]]] = {}
    for (_, kind), (place, errors) in found.items():
        if kind == "unknown":  # every unknown key of one table in one problem
            group = (place.entry, place.loc[:-1])
            if group in unknown:
                unknown[group][1].append(place.key)
                continue
            unknown[group] = (len(problems), [place.key])
        line = lines.line_of(place.loc) if lines else None
        text = "" if kind == "unknown" else _describe(kind, place, errors)
        problems.append(ConfigProblem(file, line, place.entry, place.key, kind, text))
    for index, keys in unknown.values():
        problem = problems[index]
        text = f"unknown {model.key_noun}(s) {', '.join(keys)}"
        problems[index] = ConfigProblem(
            problem.file, problem.line, problem.entry, problem.key, problem.kind, text
        )
    problems.sort(key=lambda p: p.line if p.line is not None else 1 << 30)
    return problems


def _kind(error_type: str) -> str:
    if error_type == "extra_forbidden":
        return "unknown"
    if error_type == "missing":
        return "missing"
    return "type" if error_type in _EXPECTED else "value"


def _place(loc: Loc, data: Any, names: Mapping[str, str]) -> _Place:
    """Where `loc` points in the data, in a person's words: the entry of an array of tables it
    is in ("rule 2 (FIN-AP-INV)") and the dotted key inside it."""
    kept: list[str | int] = []
    entry, keys, item = "", list[str](), None
    current: Any = data
    for segment in loc:
        if isinstance(current, Mapping) and isinstance(segment, str):
            kept.append(segment)
            keys.append(segment)
            if segment not in current:  # a missing key (or one pydantic names itself)
                current = None
                break
            current = current[segment]
        elif isinstance(current, list) and isinstance(segment, int) and segment < len(current):
            kept.append(segment)
            current = current[segment]
            if isinstance(current, Mapping):  # an entry: the problem is inside it
                entry = _entry_label(entry, keys, segment, current, names)
                keys, item = [], None
            else:
                item = segment + 1
        else:  # a union member's tag or a validator's name: not part of the file
            break
    return _Place(tuple(kept), entry, ".".join(keys), item, current)


def _entry_label(
    outer: str, keys: list[str], index: int, table: Mapping[str, Any], names: Mapping[str, str]
) -> str:
    label = ".".join(keys) + f" {index + 1}"
    name = table.get(names.get(keys[-1], "")) if keys else None
    if isinstance(name, str) and name.strip():
        label += f" ({name.strip()})"
    return f"{outer}.{label}" if outer else label


def _describe(kind: str, place: _Place, errors: list[ErrorDetails]) -> str:
    what = f"'{place.key}'" + (f" item {place.item}" if place.item is not None else "")
    if not place.key:
        what = f"item {place.item}" if place.item is not None else "the file"
    got = f" (got {_shown(place.value)})"
    if kind == "missing":
        return f"{what} is missing"
    if kind == "type":
        expected = " or ".join(dict.fromkeys(_EXPECTED[e["type"]] for e in errors))
        return f"{what} must be {expected}{got}"
    error = errors[0]
    ctx = error.get("ctx") or {}
    if error["type"] == "literal_error":
        return f"{what} must be {ctx['expected']}{got}"
    if error["type"] in _BOUNDS:
        bound, words = _BOUNDS[error["type"]]
        return f"{what} must be {words} {ctx[bound]}{got}"
    message = str(error["msg"]).removeprefix("Value error, ")  # a validator's words follow the key
    return f"{what} {message[:1].lower()}{message[1:]}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- TOML syntax errors -----------------------------------------------------------------------

_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def _syntax_problem(file: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    message = str(exc)
    found = _AT.search(message)
    reason = message[: found.start()] if found else message
    reason = reason[:1].lower() + reason[1:]
    if found and found.group(1):
        line, column = int(found.group(1)), int(found.group(2))
        reason += f" (column {column})"
    else:
        line = max(1, len(text.splitlines()))
    table, key = _KeyLines(text).context(line)
    place = _place_of_path(table + key)
    what = f"'{place[1]}': " if place[1] else ""
    return ConfigProblem(
        file, line, place[0], place[1], "syntax", f"{what}not valid TOML: {reason}"
    )


def _place_of_path(path: Loc) -> tuple[str, str]:
    """(entry, dotted key) of a path the text scanner found (its numbers are entries)."""
    entry, keys = "", list[str]()
    for segment in path:
        if isinstance(segment, int):
            label = ".".join(keys) + f" {segment + 1}"
            entry, keys = (f"{entry}.{label}" if entry else label), []
        else:
            keys.append(segment)
    return entry, ".".join(keys)


# --- finding a key's line in the text ---------------------------------------------------------

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED = rf"{_PART}(?:[ \t]*\.[ \t]*{_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[|\[)\s*({_DOTTED})\s*(\]\]|\])")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=(.*)$")
_PART_RE = re.compile(_PART)


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _PART_RE.finditer(dotted):
        part = match.group(0)
        if part[0] in "\"'":
            try:
                part = tomllib.loads(f"k = {part}")["k"]
            except tomllib.TOMLDecodeError:
                part = part[1:-1]
        parts.append(part)
    return tuple(parts)


class _Value:
    """The scanner's state inside one key's value: open brackets, an open multi-line string,
    and the position of the element being read in the value's outermost array."""

    def __init__(self, path: Loc) -> None:
        self.path = path
        self.depth = 0
        self.string: str | None = None
        self.outer = ""
        self.index = 0
        self.started = False

    @property
    def open(self) -> bool:
        return self.depth > 0 or self.string is not None

    def scan(self, text: str, line: int, found: dict[Loc, int]) -> None:
        """Follow `text` (part of one line); record the line each array element starts on."""
        j = 0
        while j < len(text):
            if self.string is not None:
                end = text.find(self.string, j)
                if end < 0:
                    return
                j, self.string = end + 3, None
                continue
            char = text[j]
            if char == "#":
                return
            if char.isspace():
                j += 1
                continue
            if char in "]}":
                self.depth -= 1
            elif self.depth == 1 and self.outer == "[" and char == ",":
                self.index, self.started = self.index + 1, False
            else:
                if self.depth == 1 and self.outer == "[" and not self.started:
                    self.started = True
                    found.setdefault((*self.path, self.index), line)
                if char in "[{":
                    self.depth += 1
                    if self.depth == 1:
                        self.outer = char
                elif text.startswith(('"""', "'''"), j):
                    self.string = text[j : j + 3]
                    j += 3
                    continue
                elif char in "\"'":
                    j = _string_end(text, j)
                    continue
            j += 1


def _string_end(text: str, start: int) -> int:
    quote, j = text[start], start + 1
    while j < len(text) and text[j] != quote:
        j += 2 if quote == '"' and text[j] == "\\" else 1
    return j + 1


class _KeyLines:
    """Where each table and key of a TOML text is written (a best effort that never fails:
    it also reads text that tomllib refused)."""

    def __init__(self, text: str) -> None:
        self.found: dict[Loc, int] = {}
        self._context: list[tuple[Loc, Loc]] = []
        self._scan(text)

    def _scan(self, text: str) -> None:
        table: Loc = ()
        arrays: dict[Loc, int] = {}
        value: _Value | None = None
        key: Loc = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            if value is not None and value.open:
                value.scan(raw, number, self.found)
                self._context.append((table, key))
                continue
            header, match = _HEADER.match(raw), _KEY.match(raw)
            if header and not match:
                table = _table_path(_split_key(header.group(2)), header.group(1) == "[[", arrays)
                self._record(table, number)
                key, value = (), None
            elif match:
                key = _split_key(match.group(1))
                self._record((*table, *key), number)
                value = _Value((*table, *key))
                value.scan(match.group(2), number, self.found)
            elif raw.strip() and not raw.lstrip().startswith("#"):
                key, value = (), None  # a line that is neither: the file is broken here
            self._context.append((table, key))

    def _record(self, path: Loc, line: int) -> None:
        for end in range(1, len(path) + 1):
            self.found.setdefault(path[:end], line)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, or of the nearest enclosing table or key the text spells out."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.found:
                return self.found[loc[:end]]
        return None

    def context(self, line: int) -> tuple[Loc, Loc]:
        """(table, key) in force at `line`: the key being written there, if any."""
        if 1 <= line <= len(self._context):
            return self._context[line - 1]
        return self._context[-1] if self._context else ((), ())


def _table_path(parts: tuple[str, ...], is_array: bool, arrays: dict[Loc, int]) -> Loc:
    """The path of a [table] or [[table]] header, with the index of each array of tables it is
    in (and, for [[table]], the index of the entry it starts)."""
    path: Loc = ()
    for n, part in enumerate(parts):
        path = (*path, part)
        last = n == len(parts) - 1
        if last and is_array:
            arrays[path] = arrays.get(path, 0) + 1
        if path in arrays and (not last or is_array):
            path = (*path, arrays[path] - 1)
    return path
