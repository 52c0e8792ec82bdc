"""The retention schedule as a file: config/retention.toml, or CSV a records manager edits in a
spreadsheet. Loading validates every rule and rejects a bad file naming the file and the row.

TOML:

    financial_year_start_month = 4      # 1 = January … 12 = December (default April)

    [[rule]]
    code = "DESTROY-7Y-FYE"
    title = "Financial records"
    trigger = "created"                 # created | declared | last_modified | folder_closed
                                        # | event:<name>
    cutoff = "financial_year_end"       # optional: month_end | year_end | financial_year_end
    years = 7                           # the period: years, months, days (any may be omitted)
    action = "destroy"                  # destroy | transfer | review | retain_permanently
    review_stages = 1                   # optional: reviewers needed before disposal (default 1)
    authority = "HMRC …"                # the legal or business reason
    description = "…"                   # optional

CSV: one row per rule under the header `CSV_COLUMNS` (the same keys; an empty cutoff means none).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edrm.configfile import ConfigError, ConfigModel, ConfigProblem, parse_toml
from edrm.errors import InvalidInputError
from retention.rules import Action, Cutoff, Period, Rule, Trigger

CSV_COLUMNS = (
    "code",
    "title",
    "trigger",
    "cutoff",
    "years",
    "months",
    "days",
    "action",
    "review_stages",
    "authority",
    "description",
)
RULE_KEYS = frozenset(CSV_COLUMNS)
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,99}$")
EVENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
MAX_STAGES = 5


class ScheduleProblems(InvalidInputError):
    """A schedule file that cannot be loaded: the message names every problem (as before);
    `problems` gives each as (row or line number, or None for the file as a whole, text), so
    that a page can list them line by line."""

    def __init__(self, message: str, problems: list[tuple[int | None, str]]) -> None:
        super().__init__(message)
        self.problems = problems


def _line_of(where: str) -> int | None:
    """The number in "row 7" (a CSV row as a spreadsheet numbers it)."""
    number = where.removeprefix("row ")
    return int(number) if number != where and number.isdigit() else None


@dataclass(frozen=True)
class Schedule:
    """A whole retention schedule: its rules and the month the financial year starts in."""

    rules: list[Rule]
    fy_start_month: int = 4

    def by_code(self) -> dict[str, Rule]:
        return {rule.code: rule for rule in self.rules}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else str(value).strip()


def _whole(raw: Mapping[str, Any], key: str, problems: list[str], *, default: int = 0) -> int:
    value = raw.get(key, "")
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        problems.append(f"'{key}' must be a whole number (got {value!r})")
        return default
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            problems.append(f"'{key}' must be a whole number (got {value!r})")
            return default
    if number < 0:
        problems.append(f"'{key}' cannot be negative (got {number})")
        return default
    return number


def trigger_problem(trigger: str) -> str | None:
    """Why `trigger` is not a valid trigger, or None."""
    if trigger.startswith("event:"):
        name = trigger.partition(":")[2]
        if not EVENT_RE.match(name):
            return (
                f"event trigger {trigger!r}: the event name must be lower case letters, digits "
                "and underscores, e.g. event:employee_left"
            )
        return None
    if trigger not in {t.value for t in Trigger if t is not Trigger.EVENT}:
        return (
            f"unknown trigger {trigger!r} (use created, declared, last_modified, folder_closed "
            "or event:<name>)"
        )
    return None


def rule_from_mapping(raw: Mapping[str, Any]) -> tuple[Rule | None, list[str]]:
    """One rule from a TOML table or CSV row, and every problem with it."""
    problems: list[str] = []
    unknown = sorted(set(raw) - RULE_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}")
    code = _text(raw.get("code", ""))
    if not code:
        problems.append("the code is missing")
    elif not CODE_RE.match(code):
        problems.append(
            f"code {code!r}: use upper-case letters, digits, '.', '_' and '-' (at most 100)"
        )
    title = _text(raw.get("title", ""))
    if not title:
        problems.append("the title is missing")
    trigger = _text(raw.get("trigger", ""))
    if not trigger:
        problems.append("the trigger is missing")
    elif (problem := trigger_problem(trigger)) is not None:
        problems.append(problem)
    cutoff_text = _text(raw.get("cutoff", "") or "")
    cutoff: Cutoff | None = None
    if cutoff_text and cutoff_text.lower() != "none":
        try:
            cutoff = Cutoff(cutoff_text)
        except ValueError:
            problems.append(
                f"unknown cutoff {cutoff_text!r} (use month_end, year_end, financial_year_end "
                "or leave it empty)"
            )
    period = Period(
        _whole(raw, "years", problems),
        _whole(raw, "months", problems),
        _whole(raw, "days", problems),
    )
    action_text = _text(raw.get("action", ""))
    action: Action | None = None
    try:
        action = Action(action_text)
    except ValueError:
        problems.append(
            f"unknown action {action_text!r} (use destroy, transfer, review or retain_permanently)"
            if action_text
            else "the action is missing"
        )
    stages = _whole(raw, "review_stages", problems, default=1)
    if not 1 <= stages <= MAX_STAGES:
        problems.append(f"'review_stages' must be between 1 and {MAX_STAGES} (got {stages})")
    authority = _text(raw.get("authority", ""))
    if not authority:
        problems.append("the authority (the legal or business reason) is missing")
    if action is not None and action is not Action.RETAIN_PERMANENTLY and period == Period():
        problems.append(f"a rule that ends in {action.value} needs a period (years, months, days)")
    if problems or action is None:
        return None, problems
    return (
        Rule(
            code=code,
            title=title,
            trigger=trigger,
            period=period,
            action=action,
            authority=authority,
            cutoff=cutoff,
            review_stages=stages,
            description=_text(raw.get("description", "")),
        ),
        [],
    )


def _build(
    entries: list[tuple[str, Mapping[str, Any]]],
    source: str,
    fy: Any,
    early: list[tuple[int | None, str]] | None = None,
) -> Schedule:
    problems: list[str] = [text for _, text in early or []]
    listed: list[tuple[int | None, str]] = [
        (line, text.partition(": ")[2].partition(": ")[2] or text) for line, text in early or []
    ]
    if isinstance(fy, bool) or not isinstance(fy, int) or not 1 <= fy <= 12:
        text = f"financial_year_start_month must be a month number 1-12 (got {fy!r})"
        problems.append(f"{source}: {text}")
        listed.append((None, text))
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for where, raw in entries:
        rule, found = rule_from_mapping(raw)
        code = _text(raw.get("code", ""))
        label = f"{source}: {where}" + (f" ({code})" if code else "")
        problems.extend(f"{label}: {p}" for p in found)
        listed.extend((_line_of(where), (f"{code}: " if code else "") + p) for p in found)
        if rule is None:
            continue
        if rule.code in seen:
            problems.append(f"{label}: duplicate code (also at {seen[rule.code]})")
            listed.append((_line_of(where), f"{code}: duplicate code (also at {seen[code]})"))
            continue
        seen[rule.code] = where
        rules.append(rule)
    if problems:
        raise ScheduleProblems("; ".join(problems), listed)
    return Schedule(rules, fy)


class _RuleTable(ConfigModel):
    """One [[rule]] table (the same keys as a CSV row, typed as TOML writes them)."""

    code: str = ""
    title: str = ""
    trigger: str = ""
    cutoff: str = ""
    years: int = 0
    months: int = 0
    days: int = 0
    action: str = ""
    review_stages: int = 1
    authority: str = ""
    description: str = ""


class _ScheduleFile(ConfigModel):
    """config/retention.toml (or a schedule exported as TOML)."""

    entry_names = {"rule": "code"}
    financial_year_start_month: int = 4
    rule: list[_RuleTable] = []


def _problem_text(problem: ConfigProblem) -> str:
    """A schema problem worded like the rules' own: "<file>: rule 2 (R1), line 9: …"."""
    if not problem.entry:
        return str(problem)
    line = f", line {problem.line}" if problem.line else ""
    return f"{problem.file}: {problem.entry}{line}: {problem.text}"


def parse_schedule_toml(text: str, source: str) -> Schedule:
    try:
        file = parse_toml(text, source, _ScheduleFile)
    except ConfigError as exc:
        raise InvalidInputError("; ".join(_problem_text(p) for p in exc.problems)) from None
    entries: list[tuple[str, Mapping[str, Any]]] = [
        (f"rule {n}", raw.model_dump(exclude_unset=True))
        for n, raw in enumerate(file.rule, start=1)
    ]
    return _build(entries, source, file.financial_year_start_month)


def parse_schedule_csv(text: str, source: str, *, fy_start_month: int = 4) -> Schedule:
    """Rules from CSV (header row `CSV_COLUMNS`, in any order; `cutoff`, `months`, `days`,
    `review_stages` and `description` may be left out). Rows are numbered as a spreadsheet
    shows them: the header is row 1."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise InvalidInputError(f"{source}: the file is empty (expected a header row)")
    missing = [c for c in ("code", "title", "trigger", "action", "authority") if c not in header]
    unknown = [c for c in header if c not in RULE_KEYS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        text = "; ".join(parts)
        raise ScheduleProblems(f"{source}: row 1 (header): {text}", [(1, f"header: {text}")])
    entries: list[tuple[str, Mapping[str, Any]]] = []
    early: list[tuple[int | None, str]] = []
    for row in reader:
        if None in row:
            early.append(
                (
                    reader.line_num,
                    f"{source}: row {reader.line_num}: more cells than the header has",
                )
            )
            continue
        cleaned = {k.strip(): (v or "") for k, v in row.items()}
        if not any(v.strip() for v in cleaned.values()):
            continue
        entries.append((f"row {reader.line_num}", cleaned))
    return _build(entries, source, fy_start_month, early)


def load_schedule(path: Path) -> Schedule:
    """A schedule from a .toml or .csv file (chosen by its extension)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not UTF-8 text") from None
    if path.suffix.lower() == ".csv":
        return parse_schedule_csv(text, str(path))
    if path.suffix.lower() == ".toml":
        return parse_schedule_toml(text, str(path))
    raise InvalidInputError(f"{path}: use a .toml or .csv file")


def rule_as_row(rule: Rule) -> dict[str, str]:
    return {
        "code": rule.code,
        "title": rule.title,
        "trigger": rule.trigger,
        "cutoff": rule.cutoff.value if rule.cutoff else "",
        "years": str(rule.period.years),
        "months": str(rule.period.months),
        "days": str(rule.period.days),
        "action": rule.action.value,
        "review_stages": str(rule.review_stages),
        "authority": rule.authority,
        "description": rule.description,
    }


def schedule_to_csv(schedule: Schedule) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for rule in schedule.rules:
        writer.writerow(rule_as_row(rule))
    return out.getvalue()


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{escaped}"'


def schedule_to_toml(schedule: Schedule) -> str:
    lines = [
        "# Retention schedule (exported by edrm). See config/retention.toml for the format.",
        "",
        f"financial_year_start_month = {schedule.fy_start_month}",
    ]
    for rule in schedule.rules:
        lines += ["", "[[rule]]"]
        lines.append(f"code = {_toml_str(rule.code)}")
        lines.append(f"title = {_toml_str(rule.title)}")
        lines.append(f"trigger = {_toml_str(rule.trigger)}")
        if rule.cutoff is not None:
            lines.append(f"cutoff = {_toml_str(rule.cutoff.value)}")
        for key, value in (
            ("years", rule.period.years),
            ("months", rule.period.months),
            ("days", rule.period.days),
        ):
            if value:
                lines.append(f"{key} = {value}")
        lines.append(f"action = {_toml_str(rule.action.value)}")
        if rule.review_stages != 1:
            lines.append(f"review_stages = {rule.review_stages}")
        lines.append(f"authority = {_toml_str(rule.authority)}")
        if rule.description:
            lines.append(f"description = {_toml_str(rule.description)}")
    return "\n".join(lines) + "\n"
