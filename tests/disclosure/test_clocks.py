"""The statutory clocks (disclosure.clocks), day by day against the calendar."""

from __future__ import annotations

from datetime import date

import pytest

from disclosure.clocks import (
    ClarificationSpan,
    WorkingCalendar,
    corresponding_date,
    due_date,
    extension_refusal,
    foi_due,
    latest_extension,
    sar_due,
)

CAL = WorkingCalendar()


def test_foi_received_18_december_skips_christmas_boxing_day_new_year_and_scottish_2_january():
    # Fri 18 Dec 2026: 21–24 Dec are days 1–4; 25 Dec (Christmas), 28 Dec (Boxing Day
    # substitute), 1 Jan and 4 Jan 2027 (Scotland's 2 January substitute) are not working days.
    assert foi_due(date(2026, 12, 18), CAL) == date(2027, 1, 21)
    assert not CAL.is_working_day(date(2027, 1, 4))
    assert "SCT" in (CAL.why_not_working(date(2027, 1, 4)) or "")


def test_a_scottish_only_bank_holiday_inside_the_20_days_counts_everywhere():
    # St Andrew's Day, Mon 30 Nov 2026, is a bank holiday in Scotland alone: the 20th working
    # day after Mon 16 Nov is 15 Dec, not 14 Dec as England's calendar alone would give.
    assert foi_due(date(2026, 11, 16), CAL) == date(2026, 12, 15)
    assert CAL.why_not_working(date(2026, 11, 30)) == "Saint Andrew's Day (SCT)"


def test_a_northern_irish_bank_holiday_counts_too():
    # St Patrick's Day, Tue 17 Mar 2026: Mon 16 Mar + 20 working days is 16 Apr, over 17 Mar,
    # Good Friday (3 Apr) and Easter Monday (6 Apr); England's calendar alone gives 15 Apr.
    assert foi_due(date(2026, 3, 16), CAL) == date(2026, 4, 16)


def test_a_request_received_on_a_saturday_counts_monday_as_day_one():
    # Sat 3 Oct 2026 and Fri 2 Oct both have Mon 5 Oct as day 1.
    assert foi_due(date(2026, 10, 3), CAL) == foi_due(date(2026, 10, 2), CAL) == date(2026, 10, 30)


def test_proclaimed_days_from_config_are_not_working_days():
    proclaimed = WorkingCalendar.with_proclaimed([date(2026, 11, 20)])
    assert foi_due(date(2026, 11, 16), proclaimed) == date(2026, 12, 16)
    assert proclaimed.why_not_working(date(2026, 11, 20)) == "proclaimed day"


def test_sar_received_31_january_runs_from_1_february_to_1_march():
    assert sar_due(date(2027, 1, 31), CAL) == date(2027, 3, 1)


def test_sar_with_no_corresponding_date_ends_on_the_last_day_of_the_month():
    # Received 30 Jan: the month starts 31 Jan; there is no 31 Feb, so the last day of February
    # — 28 Feb 2027 is a Sunday, so Monday 1 March; in the leap year 2028, Tuesday 29 Feb.
    assert corresponding_date(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert sar_due(date(2027, 1, 30), CAL) == date(2027, 3, 1)
    assert sar_due(date(2028, 1, 30), CAL) == date(2028, 2, 29)


def test_sar_due_on_a_weekend_moves_to_the_next_working_day():
    # Received Thu 3 Sep 2026: the month runs from 4 Sep to Sun 4 Oct → Mon 5 Oct.
    assert date(2026, 10, 4).weekday() == 6
    assert sar_due(date(2026, 9, 3), CAL) == date(2026, 10, 5)


def test_sar_due_on_a_bank_holiday_moves_to_the_next_working_day():
    # Received 24 Apr 2026: 25 May 2026 is the spring bank holiday → Tue 26 May.
    assert sar_due(date(2026, 4, 24), CAL) == date(2026, 5, 26)


def test_clarification_stops_the_foi_clock_and_it_starts_again_from_the_answer():
    received = date(2026, 3, 2)
    asked = ClarificationSpan(date(2026, 3, 4))
    assert foi_due(received, CAL, [asked]) is None  # stopped: no due date while unanswered
    answered = ClarificationSpan(date(2026, 3, 4), date(2026, 3, 10))
    # 20 working days after 10 Mar, over St Patrick's Day, Good Friday and Easter Monday.
    assert foi_due(received, CAL, [answered]) == date(2026, 4, 10)
    assert foi_due(received, CAL) == date(2026, 3, 31)


def test_clarification_pauses_the_sar_clock_for_the_days_it_waited():
    received = date(2026, 9, 3)  # due Mon 5 Oct without a question
    assert sar_due(received, CAL, [ClarificationSpan(date(2026, 9, 10))]) is None
    spans = [ClarificationSpan(date(2026, 9, 10), date(2026, 9, 15))]
    assert sar_due(received, CAL, spans) == date(2026, 10, 9)  # 4 Oct + 5 days paused


def test_eir_extension_adds_at_most_20_working_days():
    received = date(2026, 3, 2)
    due = foi_due(received, CAL)
    assert due == date(2026, 3, 31)
    latest = latest_extension("eir", received, CAL)
    assert latest == date(2026, 4, 30)  # over Good Friday and Easter Monday
    assert extension_refusal("eir", received, CAL, latest) is None
    assert "at most 20 further working days" in (
        extension_refusal("eir", received, CAL, date(2026, 5, 1)) or ""
    )
    assert "after the statutory date" in (
        extension_refusal("eir", received, CAL, date(2026, 3, 31)) or ""
    )
    assert due_date("eir", received, CAL, (), latest) == latest


def test_sar_extension_reaches_two_further_months_at_most():
    received = date(2026, 9, 3)
    assert latest_extension("sar", received, CAL) == date(2026, 12, 4)
    assert extension_refusal("sar", received, CAL, date(2026, 12, 4)) is None
    assert "two further months" in (
        extension_refusal("sar", received, CAL, date(2026, 12, 7)) or ""
    )


def test_working_days_between_counts_remaining_and_late_days():
    assert CAL.working_days_between(date(2026, 11, 27), date(2026, 12, 1)) == 1
    assert CAL.working_days_between(date(2026, 12, 1), date(2026, 11, 27)) == -1
    assert CAL.working_days_between(date(2026, 12, 1), date(2026, 12, 1)) == 0


@pytest.mark.parametrize("kind", ["foi", "eir", "sar"])
def test_every_kind_has_a_due_date(kind: str) -> None:
    assert due_date(kind, date(2026, 5, 1), CAL) is not None
