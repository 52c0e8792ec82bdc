"""Classification rules (config/classification.toml) and what they find in a document.

Per class: keywords, phrases, regular expressions (run with a time limit), e-mail senders and
file-name globs. Each distinct match is worth points (keyword 1; phrase or file name 2; pattern
or sender 3). The strongest class's points give the rules' *strength*
``s = 1 - exp(-points / evidence_scale)``, and every matching class gets its *share*
``q = points / all classes' points`` (see `edrm.ingest.classify` for how they combine with the
model).

Nothing here touches the database or the disk but the rules file; a pattern that runs too long
counts as no match, so a catastrophic pattern cannot stall a worker.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import regex
from pydantic import Field

from edrm.configfile import ConfigModel, load_toml, validate
from edrm.errors import InvalidInputError

PATTERN_TIMEOUT = 0.05  # seconds per rule pattern per document
MAX_TEXT_CHARS = 200_000  # rules and model look at this much of the text
POINTS = {"keywords": 1.0, "phrases": 2.0, "patterns": 3.0, "senders": 3.0, "filenames": 2.0}
EVIDENCE_FIELDS = tuple(POINTS)


# --- the rules file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One [[rule]] table, with its matchers compiled."""

    number: int  # 1-based position in the file, for messages
    class_code: str
    threshold: float | None = None
    keywords: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    filenames: tuple[str, ...] = ()
    compiled: _CompiledRule | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class _CompiledRule:
    keywords: tuple[tuple[str, frozenset[str]], ...]  # (keyword, the word forms that match it)
    phrases: tuple[tuple[str, str], ...]  # (phrase, lower case with single spaces)
    patterns: tuple[tuple[str, Any], ...]  # (source, regex.Pattern)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per-class overrides
    evidence_scale: float = 3.0
    rule_smoothing: float = 0.1
    # issue 15 part 4: a model at least this sure is overridden only by evidence this strong
    confident_model: float = 0.8
    override_strength: float = 0.85


class _RuleTable(ConfigModel):
    """One [[rule]] table of config/classification.toml."""

    class_code: str = Field(default="", alias="class")
    threshold: float | None = None
    keywords: list[str] = []
    phrases: list[str] = []
    patterns: list[str] = []
    senders: list[str] = []
    filenames: list[str] = []


class _SettingsTable(ConfigModel):
    evidence_scale: float = Field(default=RuleSet.evidence_scale, gt=0)
    rule_smoothing: float = Field(default=RuleSet.rule_smoothing, gt=0)
    confident_model: float = Field(default=RuleSet.confident_model, gt=0, le=1)
    override_strength: float = Field(default=RuleSet.override_strength, gt=0, le=1)


class _RulesFile(ConfigModel):
    """config/classification.toml."""

    entry_names = {"rule": "class"}
    key_noun = "field"
    settings: _SettingsTable = _SettingsTable()
    rule: list[_RuleTable] = []


def load_rules(path: Path, known_class_codes: set[str] | None = None) -> RuleSet:
    """Read config/classification.toml; a bad rule is an error naming its number and field.

    With `known_class_codes` (the file plan's transaction classes), a rule for any other code is
    an error too.
    """
    try:
        file = load_toml(path, _RulesFile)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: the classification rules file is missing") from None
    return _rule_set(file, str(path), known_class_codes)


def parse_rules(
    data: dict[str, Any], where: str = "rules", known_class_codes: set[str] | None = None
) -> RuleSet:
    """Validate already-parsed TOML (see load_rules)."""
    return _rule_set(validate(where, data, _RulesFile), where, known_class_codes)


def _rule_set(file: _RulesFile, where: str, known: set[str] | None) -> RuleSet:
    rules = tuple(
        _parse_rule(entry, number, where, known) for number, entry in enumerate(file.rule, start=1)
    )
    settings = file.settings
    return RuleSet(
        rules,
        _thresholds(rules, where),
        settings.evidence_scale,
        settings.rule_smoothing,
        settings.confident_model,
        settings.override_strength,
    )


def _parse_rule(entry: _RuleTable, number: int, where: str, known: set[str] | None) -> Rule:
    at = f"{where}: rule {number}"
    code = entry.class_code
    if not code.strip():
        raise InvalidInputError(f"{at}: 'class' must name a file-plan class")
    if known is not None and code not in known:
        raise InvalidInputError(f"{at}: class {code!r} is not a transaction class of the file plan")
    at = f"{at} ({code})"
    lists = {name: _string_list(getattr(entry, name), name, at) for name in EVIDENCE_FIELDS}
    if not any(lists.values()):
        raise InvalidInputError(f"{at}: give at least one of {', '.join(EVIDENCE_FIELDS)}")
    _check_senders(lists["senders"], at)
    rule = Rule(
        number,
        code,
        _threshold(entry.threshold, at),
        keywords=lists["keywords"],
        phrases=lists["phrases"],
        patterns=lists["patterns"],
        senders=lists["senders"],
        filenames=lists["filenames"],
    )
    return replace(rule, compiled=_compile(rule, at))


def _string_list(values: list[str], name: str, at: str) -> tuple[str, ...]:
    if not all(v.strip() for v in values):
        raise InvalidInputError(f"{at}: '{name}' must be a list of non-empty strings")
    return tuple(v.strip() for v in values)


def _threshold(value: float | None, at: str) -> float | None:
    if value is not None and not 0 < value <= 1:
        raise InvalidInputError(f"{at}: 'threshold' must be a number in (0, 1] (got {value!r})")
    return value


def _check_senders(senders: tuple[str, ...], at: str) -> None:
    for sender in senders:
        if not re.fullmatch(r"(?:[^@\s]+@|@)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", sender):
            raise InvalidInputError(
                f"{at}: 'senders' entry {sender!r} is not an e-mail address or domain"
            )


def _compile(rule: Rule, at: str) -> _CompiledRule:
    for keyword in rule.keywords:
        if len(_words(keyword.lower())) != 1:
            raise InvalidInputError(
                f"{at}: keyword {keyword!r} is not a single word (put it in 'phrases')"
            )
    keywords = tuple(
        (k, frozenset({k.lower(), f"{k.lower()}s", f"{k.lower()}es"})) for k in rule.keywords
    )
    phrases = tuple((p, " ".join(p.lower().split())) for p in rule.phrases)
    patterns = []
    for source in rule.patterns:
        try:
            patterns.append((source, regex.compile(source)))
        except regex.error as exc:
            raise InvalidInputError(f"{at}: pattern {source!r} does not compile: {exc}") from None
    return _CompiledRule(keywords, phrases, tuple(patterns))


_WORD = re.compile(r"\w+(?:['-]\w+)*")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _thresholds(rules: tuple[Rule, ...], where: str) -> dict[str, float]:
    thresholds: dict[str, float] = {}
    for rule in rules:
        if rule.threshold is None:
            continue
        previous = thresholds.setdefault(rule.class_code, rule.threshold)
        if previous != rule.threshold:
            raise InvalidInputError(
                f"{where}: rule {rule.number} ({rule.class_code}): threshold {rule.threshold} "
                f"differs from an earlier rule's {previous} for the same class"
            )
    return thresholds


# --- what the rules find in a document -------------------------------------------------------


@dataclass
class Evidence:
    """What matched for one class, over all its rules."""

    keywords: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    senders: list[str] = field(default_factory=list)
    filenames: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(POINTS[name] * len(getattr(self, name)) for name in EVIDENCE_FIELDS)

    def add(self, name: str, items: list[str]) -> None:
        current: list[str] = getattr(self, name)
        current.extend(item for item in items if item not in current)

    def describe(self) -> str:
        labels = {
            "keywords": "keywords",
            "phrases": "phrases",
            "patterns": "pattern",
            "senders": "sender",
            "filenames": "file name",
        }
        parts = []
        for name in EVIDENCE_FIELDS:
            items = getattr(self, name)
            if items:
                shown = [f"'{i}'" if name == "phrases" else i for i in items[:5]]
                parts.append(f"{labels[name]} {', '.join(shown)}")
        return "; ".join(parts)


@dataclass(frozen=True)
class _Prepared:
    """A document made ready for matching once, however many rules there are."""

    text: str  # as given (for patterns)
    lowered: str  # lower case, every run of white space one space (for phrases)
    words: frozenset[str]  # lower-case words, hyphenated ones also in parts (for keywords)
    filename: str  # the base name, lower case
    senders: list[str]  # the sender's e-mail addresses, lower case


def _prepare(text: str, filename: str, sender: str) -> _Prepared:
    sample = text[:MAX_TEXT_CHARS].replace("\u2019", "'")
    lowered = " ".join(sample.lower().split())
    words = set(_words(lowered))
    words.update(part for word in list(words) for part in re.split(r"['-]", word))
    name = re.split(r"[\\/]", filename)[-1].lower()
    return _Prepared(sample, lowered, frozenset(words), name, _sender_addresses(sender))


def rule_evidence(text: str, filename: str, sender: str, rules: RuleSet) -> dict[str, Evidence]:
    """Class code -> what matched, for every class with at least one match."""
    document = _prepare(text, filename, sender)
    found: dict[str, Evidence] = {}
    for rule in rules.rules:
        matched = _match_rule(rule, document)
        if any(matched.values()):
            evidence = found.setdefault(rule.class_code, Evidence())
            for field_name, items in matched.items():
                evidence.add(field_name, items)
    return found


def _match_rule(rule: Rule, document: _Prepared) -> dict[str, list[str]]:
    compiled = rule.compiled or _compile(rule, f"rule {rule.number}")
    return {
        "keywords": [k for k, forms in compiled.keywords if forms & document.words],
        "phrases": [p for p, lowered in compiled.phrases if _has_phrase(document.lowered, lowered)],
        "patterns": [
            f"{source} ({found})"
            for source, pattern in compiled.patterns
            if (found := _search(pattern, document.text))
        ],
        "senders": [s for s in rule.senders if _sender_matches(s, document.senders)],
        "filenames": [
            g for g in rule.filenames if fnmatch.fnmatchcase(document.filename, g.lower())
        ],
    }


def _has_phrase(text: str, phrase: str) -> bool:
    """`phrase` in `text` starting and ending at word boundaries."""
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        clean_start = not (phrase[0].isalnum() and (before.isalnum() or before == "_"))
        clean_end = not (phrase[-1].isalnum() and (after.isalnum() or after == "_"))
        if clean_start and clean_end:
            return True
        start = text.find(phrase, start + 1)
    return False


def _search(pattern: Any, text: str) -> str:
    """The first match (shortened), or "" when there is none or the search took too long.

    The time limit is PATTERN_TIMEOUT seconds, so a catastrophic pattern cannot stall a worker.
    """
    try:
        match = pattern.search(text, timeout=PATTERN_TIMEOUT)
    except TimeoutError:
        return ""
    if match is None:
        return ""
    found = " ".join(match.group(0).split())[:40]
    return found or "empty match"


def _sender_addresses(sender: str) -> list[str]:
    return [a.lower() for a in re.findall(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+", sender or "")]


def _sender_matches(wanted: str, addresses: list[str]) -> bool:
    wanted = wanted.lower()
    for address in addresses:
        if "@" in wanted.lstrip("@"):
            if address == wanted:
                return True
            continue
        domain = address.rsplit("@", 1)[1]
        bare = wanted.lstrip("@")
        if domain == bare or domain.endswith("." + bare):
            return True
    return False


def rule_scores(evidence: dict[str, Evidence], scale: float) -> tuple[float, dict[str, float]]:
    """(strength s of the strongest class's evidence, each class's share q of all points)."""
    points = {code: e.points for code, e in evidence.items()}
    total = sum(points.values())
    if total <= 0:
        return 0.0, {}
    strength = 1.0 - math.exp(-max(points.values()) / scale)
    return strength, {code: p / total for code, p in points.items()}
