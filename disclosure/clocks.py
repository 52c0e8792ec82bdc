"""Statutory clocks for information requests: pure rules, exactly as the law counts them (like
retention.rules, nothing here reads the database, the clock or the settings).

Working day (FOIA s.10(6); EIR reg. 2(1) uses the same meaning): any day other than a Saturday, a
Sunday, Christmas Day, Good Friday or a day that is a bank holiday under the Banking and
Financial Dealings Act 1971 **in any part of the United Kingdom** — so a Scottish-only bank
holiday (2 January, St Andrew's Day) or a Northern Irish one (St Patrick's Day, the Battle of
the Boyne) is not a working day anywhere. The bank holidays come from the maintained `holidays`
library, the union of its UK subdivisions ENG, NIR, SCT and WLS (substitute days included), with
the department's proclaimed days (config/disclosure.toml `proclaimed_days`) added.

FOI and EIR: due on the 20th working day following the date of receipt (the first working day
after the day of receipt is day 1; a request received on a non-working day is counted the same
way, so Monday is day 1 for a request received on Saturday). Clarification: FOIA s.1(3) and
s.10(6)(b), and EIR reg. 9, make the "date of receipt" the day the clarification arrives, so the
20 working days start again from the answer; while a question is unanswered the clock is
stopped and there is no due date.

SAR (UK GDPR Art. 12(3), as the ICO counts it): one calendar month, starting the day after
receipt, to the corresponding date of the next month; when that month has no such date, its last
day; when the date falls on a weekend or bank holiday, the next working day. Clarification pauses
the clock: the days between asking and the answer are added. Extendable by two further months
(with a reason): at most the corresponding date three months on, counted the same way.

Extensions: EIR reg. 7(1) (complex and voluminous) and the FOI public-interest extension
(s.10(3), the ICO's reasonable time) each add at most 20 working days to the date.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

#: The parts of the United Kingdom whose bank holidays all count (ISO 3166-2:GB codes the
#: `holidays` library uses).
UK_PARTS = ("ENG", "NIR", "SCT", "WLS")
FOI_EIR_WORKING_DAYS = 20
EXTENSION_WORKING_DAYS = 20
SAR_MONTHS = 1
SAR_EXTRA_MONTHS = 2


@lru_cache(maxsize=64)
def uk_bank_holidays(year: int) -> frozenset[date]:
    """Every bank holiday (with substitute days), Christmas Day and Good Friday in any part
    of the UK in one year."""
    import holidays  # imported on first use: the library loads every country's calendar

    days: set[date] = set()
    for part in UK_PARTS:
        days.update(holidays.country_holidays("GB", subdiv=part, years=year).keys())
    return frozenset(days)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days: not a weekend, not a UK bank holiday (any part), not a
    proclaimed day."""

    proclaimed: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def with_proclaimed(cls, days: Iterable[date]) -> WorkingCalendar:
        return cls(frozenset(days))

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self.proclaimed:
            return False
        return day not in uk_bank_holidays(day.year)

    def why_not_working(self, day: date) -> str | None:
        """Why a day is not a working day ("Saturday", "Saint Andrew's Day (SCT)", …)."""
        if day.weekday() >= 5:
            return day.strftime("%A")
        if day in self.proclaimed:
            return "proclaimed day"
        if day not in uk_bank_holidays(day.year):
            return None
        import holidays

        for part in UK_PARTS:
            name = holidays.country_holidays("GB", subdiv=part, years=day.year).get(day)
            if name:
                return f"{name} ({part})"
        return "bank holiday"

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (`start` itself is never counted)."""
        day = start
        left = count
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def on_or_after(self, day: date) -> date:
        """`day` if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is
        earlier): how many are left until a due date, or how late it is."""
        if end == start:
            return 0
        sign = 1 if end > start else -1
        low, high = (start, end) if sign > 0 else (end, start)
        count = 0
        day = low
        while day < high:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return sign * count


def corresponding_date(start: date, months: int) -> date:
    """The date `months` calendar months after `start` with the same day number, or the last
    day of that month when it has no such day (31 January + 1 month → 28 or 29 February)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last))


@dataclass(frozen=True)
class ClarificationSpan:
    """A question to the requester: asked on a day, answered on a later one (or not yet)."""

    asked_on: date
    answered_on: date | None = None


def _stopped(clarifications: Sequence[ClarificationSpan]) -> bool:
    return any(c.answered_on is None for c in clarifications)


def foi_due(
    received: date,
    cal: WorkingCalendar,
    clarifications: Sequence[ClarificationSpan] = (),
) -> date | None:
    """FOI and EIR: the 20th working day after the date of receipt, which is the day the last
    clarification was answered if there was one; None while a question is unanswered."""
    if _stopped(clarifications):
        return None
    start = max([received, *(c.answered_on for c in clarifications if c.answered_on)])
    return cal.add_working_days(start, FOI_EIR_WORKING_DAYS)


def sar_due(
    received: date,
    cal: WorkingCalendar,
    clarifications: Sequence[ClarificationSpan] = (),
    *,
    months: int = SAR_MONTHS,
) -> date | None:
    """SAR: the corresponding date `months` on from the day after receipt (the month's last
    day when there is none), moved on by the days the clock was paused for clarification, then
    to the next working day. None while a question is unanswered."""
    if _stopped(clarifications):
        return None
    paused = sum(
        ((c.answered_on - c.asked_on).days for c in clarifications if c.answered_on), start=0
    )
    raw = corresponding_date(received + timedelta(days=1), months)
    return cal.on_or_after(raw + timedelta(days=paused))


def statutory_due(
    kind: str,
    received: date,
    cal: WorkingCalendar,
    clarifications: Sequence[ClarificationSpan] = (),
) -> date | None:
    """The due date before any extension, for a request of this kind."""
    if kind == "sar":
        return sar_due(received, cal, clarifications)
    if kind in ("foi", "eir"):
        return foi_due(received, cal, clarifications)
    raise ValueError(f"unknown request type {kind!r}")


def latest_extension(
    kind: str,
    received: date,
    cal: WorkingCalendar,
    clarifications: Sequence[ClarificationSpan] = (),
) -> date | None:
    """The latest date an extension may reach: SAR two further months (three from the day
    after receipt, paused days added); FOI and EIR 20 more working days."""
    if kind == "sar":
        return sar_due(received, cal, clarifications, months=SAR_MONTHS + SAR_EXTRA_MONTHS)
    due = statutory_due(kind, received, cal, clarifications)
    return None if due is None else cal.add_working_days(due, EXTENSION_WORKING_DAYS)


def extension_refusal(
    kind: str,
    received: date,
    cal: WorkingCalendar,
    new_date: date,
    clarifications: Sequence[ClarificationSpan] = (),
) -> str | None:
    """Why a request cannot be extended to `new_date` (None when it can)."""
    due = statutory_due(kind, received, cal, clarifications)
    if due is None:
        return "the clock is stopped while a clarification is unanswered; nothing to extend"
    latest = latest_extension(kind, received, cal, clarifications)
    if new_date <= due:
        return f"the new date must be after the statutory date {due.isoformat()}"
    if latest is not None and new_date > latest:
        limit = "two further months" if kind == "sar" else "20 further working days"
        return f"the law allows at most {limit}: {latest.isoformat()} at the latest"
    return None


def due_date(
    kind: str,
    received: date,
    cal: WorkingCalendar,
    clarifications: Sequence[ClarificationSpan] = (),
    extended_to: date | None = None,
) -> date | None:
    """The date a request is due now: its extension when it has one, else the statutory date
    (None while the clock is stopped)."""
    due = statutory_due(kind, received, cal, clarifications)
    if due is None:
        return None
    return extended_to if extended_to is not None and extended_to > due else due


def aggregation_window_start(received: date, cal: WorkingCalendar, working_days: int) -> date:
    """The first day of the `working_days` working days up to `received` (the FOI fees
    regulations aggregate similar requests from one person within 60 consecutive working
    days)."""
    day = received
    left = working_days
    while left > 0:
        day -= timedelta(days=1)
        if cal.is_working_day(day):
            left -= 1
    return day
