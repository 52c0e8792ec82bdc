"""Retention rules as pure values and functions: when a record falls due and what happens then.

No database, no clock: the sweep and the pages pass in what they know about a record.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Trigger(StrEnum):
    CREATED = "created"
    DECLARED = "declared"
    LAST_MODIFIED = "last_modified"
    FOLDER_CLOSED = "folder_closed"
    EVENT = "event"  # written `event:<name>`


class Cutoff(StrEnum):
    MONTH_END = "month_end"
    YEAR_END = "year_end"
    FINANCIAL_YEAR_END = "financial_year_end"


class Action(StrEnum):
    DESTROY = "destroy"
    TRANSFER = "transfer"
    REVIEW = "review"
    RETAIN_PERMANENTLY = "retain_permanently"


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def __str__(self) -> str:
        parts = [
            f"{n} {unit}{'' if n == 1 else 's'}"
            for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if n
        ]
        return ", ".join(parts) or "no time"


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    trigger: str  # a Trigger value, or "event:<name>"
    period: Period
    action: Action
    authority: str = ""
    cutoff: Cutoff | None = None
    review_stages: int = 1
    description: str = ""

    @property
    def trigger_kind(self) -> Trigger:
        return Trigger.EVENT if self.trigger.startswith("event:") else Trigger(self.trigger)

    @property
    def event_name(self) -> str | None:
        return self.trigger.partition(":")[2] if self.trigger.startswith("event:") else None

    @property
    def permanent(self) -> bool:
        return self.action is Action.RETAIN_PERMANENTLY

    def describe(self) -> str:
        """e.g. "destroy 6 years after the end of the year in which its folder was closed"."""
        if self.permanent:
            return "kept permanently"
        when = {
            Trigger.CREATED: "it was created",
            Trigger.DECLARED: "it was declared a record",
            Trigger.LAST_MODIFIED: "it was last changed",
            Trigger.FOLDER_CLOSED: "its folder was closed",
            Trigger.EVENT: f"the event '{self.event_name}' happened",
        }[self.trigger_kind]
        cut = {
            None: "",
            Cutoff.MONTH_END: "the end of the month in which ",
            Cutoff.YEAR_END: "the end of the year in which ",
            Cutoff.FINANCIAL_YEAR_END: "the end of the financial year in which ",
        }[self.cutoff]
        return f"{self.action.value} {self.period} after {cut}{when}"


@dataclass(frozen=True)
class RecordDates:
    """What the rules need to know about one record (None: has not happened)."""

    created: date
    declared: date | None = None
    last_modified: date | None = None
    folder_closed: date | None = None
    events: tuple[tuple[str, date], ...] = ()  # (name, date) for the record and its folder

    def event(self, name: str) -> date | None:
        """The latest date the named event was recorded for this record or its folder."""
        dates = [d for n, d in self.events if n == name]
        return max(dates) if dates else None


@dataclass(frozen=True)
class Disposal:
    """The outcome for one record: the deciding rule, when it was triggered and falls due."""

    rule: Rule
    trigger_on: date | None  # None: the trigger has not happened yet
    due_on: date | None  # None: pending (trigger not yet) or kept permanently

    @property
    def action(self) -> Action:
        return self.rule.action

    @property
    def state(self) -> str:
        if self.rule.permanent:
            return "permanent"
        return "scheduled" if self.due_on is not None else "pending"


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_period(day: date, period: Period) -> date:
    """`day` plus the period: years and months first (clamped), then days."""
    moved = add_months(day, period.years * 12 + period.months)
    return date.fromordinal(moved.toordinal() + period.days)


def apply_cutoff(day: date, cutoff: Cutoff | None, fy_start_month: int = 4) -> date:
    """The cutoff date for a trigger on `day`: the last day of its month, calendar year or
    financial year (which starts on the 1st of `fy_start_month`, default April)."""
    if cutoff is None:
        return day
    if cutoff is Cutoff.MONTH_END:
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    if cutoff is Cutoff.YEAR_END:
        return date(day.year, 12, 31)
    if fy_start_month == 1:
        return date(day.year, 12, 31)
    end_year = day.year if day.month < fy_start_month else day.year + 1
    end_month = fy_start_month - 1
    return date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])


def trigger_date(rule: Rule, dates: RecordDates) -> date | None:
    kind = rule.trigger_kind
    if kind is Trigger.CREATED:
        return dates.created
    if kind is Trigger.DECLARED:
        return dates.declared
    if kind is Trigger.LAST_MODIFIED:
        return dates.last_modified or dates.created
    if kind is Trigger.FOLDER_CLOSED:
        return dates.folder_closed
    return dates.event(rule.event_name or "")


def due_date(rule: Rule, trigger_on: date | None, fy_start_month: int = 4) -> date | None:
    """When a record under `rule` falls due, given its trigger date (None if not yet/never)."""
    if rule.permanent or trigger_on is None:
        return None
    return add_period(apply_cutoff(trigger_on, rule.cutoff, fy_start_month), rule.period)


def disposal_for(rule: Rule, dates: RecordDates, fy_start_month: int = 4) -> Disposal:
    start = trigger_date(rule, dates)
    return Disposal(rule, start, due_date(rule, start, fy_start_month))


def _retention_key(disposal: Disposal) -> tuple[int, date]:
    """Orders outcomes by how long they keep the record: permanent > not yet known > a date."""
    if disposal.rule.permanent:
        return (2, date.max)
    if disposal.due_on is None:
        return (1, date.max)
    return (0, disposal.due_on)


def longest(disposals: Iterable[Disposal]) -> Disposal:
    """When several rules reach one record, the one keeping it longest wins. A rule whose
    trigger has not happened keeps the record at least until it does."""
    chosen = list(disposals)
    if not chosen:
        raise ValueError("no retention rule reaches this record")
    return max(chosen, key=_retention_key)


def decide(rules: Iterable[Rule], dates: RecordDates, fy_start_month: int = 4) -> Disposal:
    """The disposal of a record reached by `rules` (its class's, its folder's, its own)."""
    return longest(disposal_for(rule, dates, fy_start_month) for rule in rules)
