"""The pure retention rules: periods, cutoffs, due dates and which rule wins."""

from __future__ import annotations

from datetime import date

import pytest

from retention.rules import (
    Action,
    Cutoff,
    Period,
    RecordDates,
    Rule,
    add_months,
    add_period,
    apply_cutoff,
    decide,
    disposal_for,
    due_date,
)


def rule(
    code: str = "R",
    trigger: str = "created",
    years: int = 0,
    action: Action = Action.DESTROY,
    cutoff: Cutoff | None = None,
    months: int = 0,
    days: int = 0,
) -> Rule:
    return Rule(code, code, trigger, Period(years, months, days), action, "test", cutoff)


def test_financial_year_cutoff_a_folder_closed_on_15_january_2025_is_due_on_31_march_2031() -> None:
    fy6 = rule("FY6", "folder_closed", 6, cutoff=Cutoff.FINANCIAL_YEAR_END)
    closed = date(2025, 1, 15)

    assert apply_cutoff(closed, Cutoff.FINANCIAL_YEAR_END, fy_start_month=4) == date(2025, 3, 31)
    outcome = disposal_for(fy6, RecordDates(created=date(2024, 5, 1), folder_closed=closed))
    assert (outcome.trigger_on, outcome.due_on, outcome.state) == (
        closed,
        date(2031, 3, 31),
        "scheduled",
    )


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        (date(2025, 3, 31), 4, date(2025, 3, 31)),  # the last day of the year is its own end
        (date(2025, 4, 1), 4, date(2026, 3, 31)),  # the first day of the next year
        (date(2025, 12, 31), 4, date(2026, 3, 31)),
        (date(2025, 6, 30), 7, date(2025, 6, 30)),  # a July-June year (e.g. Australia)
        (date(2025, 7, 1), 7, date(2026, 6, 30)),
        (date(2025, 2, 10), 3, date(2025, 2, 28)),  # March start: ends with February
        (date(2024, 2, 10), 3, date(2024, 2, 29)),  # … in a leap year
        (date(2025, 5, 5), 1, date(2025, 12, 31)),  # a January start is the calendar year
    ],
)
def test_the_financial_year_ends_the_day_before_its_configured_start(
    day: date, start: int, end: date
) -> None:
    assert apply_cutoff(day, Cutoff.FINANCIAL_YEAR_END, start) == end


def test_month_and_year_cutoffs_move_to_the_last_day_of_the_month_or_year() -> None:
    assert apply_cutoff(date(2024, 2, 3), Cutoff.MONTH_END) == date(2024, 2, 29)
    assert apply_cutoff(date(2025, 2, 3), Cutoff.MONTH_END) == date(2025, 2, 28)
    assert apply_cutoff(date(2025, 2, 3), Cutoff.YEAR_END) == date(2025, 12, 31)
    assert apply_cutoff(date(2025, 2, 3), None) == date(2025, 2, 3)


def test_periods_add_years_and_months_clamped_to_the_month_then_days() -> None:
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_period(date(2024, 2, 29), Period(years=6)) == date(2030, 2, 28)
    assert add_period(date(2025, 1, 31), Period(months=1, days=1)) == date(2025, 3, 1)


def test_a_rule_whose_trigger_has_not_happened_has_no_due_date() -> None:
    on_leaving = rule("LEFT", "event:employee_left", 6)
    dates = RecordDates(created=date(2020, 1, 1))

    outcome = disposal_for(on_leaving, dates)

    assert (outcome.trigger_on, outcome.due_on, outcome.state) == (None, None, "pending")
    assert due_date(on_leaving, None) is None


def test_an_event_counts_from_its_latest_recorded_date() -> None:
    on_leaving = rule("LEFT", "event:employee_left", 6)
    dates = RecordDates(
        created=date(2020, 1, 1),
        events=(("employee_left", date(2021, 5, 1)), ("employee_left", date(2023, 7, 9))),
    )
    assert disposal_for(on_leaving, dates).due_on == date(2029, 7, 9)


def test_a_record_kept_permanently_never_falls_due() -> None:
    keep = rule("KEEP", action=Action.RETAIN_PERMANENTLY)
    outcome = disposal_for(keep, RecordDates(created=date(2020, 1, 1)))
    assert (outcome.due_on, outcome.state) == (None, "permanent")


def test_longest_retention_wins_when_two_rules_reach_one_record() -> None:
    created = RecordDates(created=date(2020, 6, 1))
    six = rule("SIX", years=6)
    ten = rule("TEN", years=10, cutoff=Cutoff.YEAR_END)
    assert decide([six, ten], created).rule.code == "TEN"
    assert decide([ten, six], created).due_on == date(2030, 12, 31)


def test_a_pending_trigger_outlasts_a_date_and_keeping_permanently_outlasts_both() -> None:
    dates = RecordDates(created=date(2020, 6, 1))
    dated = rule("DATED", years=50)
    pending = rule("PENDING", "declared", 1)
    keep = rule("KEEP", action=Action.RETAIN_PERMANENTLY)

    assert decide([dated, pending], dates).rule.code == "PENDING"
    assert decide([pending, keep, dated], dates).rule.code == "KEEP"


def test_rules_describe_themselves_in_plain_words() -> None:
    fy6 = rule("FY6", "folder_closed", 6, cutoff=Cutoff.FINANCIAL_YEAR_END)
    assert fy6.describe() == (
        "destroy 6 years after the end of the financial year in which its folder was closed"
    )
    assert rule("L", "event:employee_left", 6).describe() == (
        "destroy 6 years after the event 'employee_left' happened"
    )
    assert rule("K", action=Action.RETAIN_PERMANENTLY).describe() == "kept permanently"
