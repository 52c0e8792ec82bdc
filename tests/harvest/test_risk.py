"""Knowledge at risk: the pure banding and ranking, and the counting of sole-created records."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from edrm.documents.models import Document, DocumentVersion
from edrm.settings import Settings
from harvest.leavers import leaver_by_username, leaver_risk, register_leaver, set_criticality
from harvest.loader import HarvestConfig, load_harvest_config, parse_harvest_config
from harvest.risk import (
    ClassCount,
    assess_classes,
    assess_leaver,
    leaving_soon_band,
    months_until,
    risk_score,
    top_at_risk,
)
from tests.harvest.leaver_support import (
    CONFIG,
    IN_THREE_MONTHS,
    TODAY,
    Office,
    file_many,
    fixed_clock,
    office,
    register,
)

__all__ = ["fixed_clock", "office"]

# --- pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "leaving", "months"),
    [
        (date(2025, 3, 10), date(2025, 6, 10), 3),
        (date(2025, 3, 10), date(2025, 6, 9), 2),
        (date(2025, 1, 31), date(2025, 2, 28), 0),
        (date(2025, 3, 10), date(2026, 3, 10), 12),
        (date(2025, 3, 10), date(2025, 3, 1), 0),
    ],
)
def test_months_until_counts_whole_calendar_months(today: date, leaving: date, months: int) -> None:
    assert months_until(today, leaving) == months


@pytest.mark.parametrize(
    ("months", "band"), [(0, 5), (1, 5), (2, 4), (3, 4), (4, 3), (6, 3), (7, 2), (12, 2), (13, 1)]
)
def test_leaving_sooner_gives_a_higher_band(months: int, band: int) -> None:
    assert leaving_soon_band(months, (1, 3, 6, 12)) == band


def test_risk_is_the_leaving_soon_band_times_the_criticality_band() -> None:
    assert risk_score(4, 4) == 16
    assert risk_score(5, 3) == 15


def test_a_class_rated_by_the_line_manager_uses_that_rating() -> None:
    rows = assess_classes(
        [ClassCount("A", "A", 10, 5, 5)], months=3, ratings={"A": 2}, config=CONFIG
    )
    assert (rows[0].criticality, rows[0].criticality_source, rows[0].risk) == (2, "line_manager", 8)
    assert not rows[0].plan_required


def test_a_vital_records_class_is_critical_by_default() -> None:
    config = HarvestConfig(vital_classes=frozenset({"LEG-LIT"}))
    rows = assess_classes(
        [ClassCount("LEG-LIT-CIV", "Civil", 4, 2, 2), ClassCount("FIN-AP", "AP", 4, 2, 2)],
        months=3,
        ratings={},
        config=config,
    )
    assert [(r.class_code, r.criticality_source, r.risk) for r in rows] == [
        ("LEG-LIT-CIV", "vital", 20),
        ("FIN-AP", "default", 16),
    ]


def test_no_plan_is_required_where_the_leaver_is_sole_creator_of_nothing() -> None:
    rows = assess_classes([ClassCount("A", "A", 10, 3, 0)], months=0, ratings={}, config=CONFIG)
    assert rows[0].risk == 20
    assert not rows[0].plan_required
    assert top_at_risk(rows) == []


def test_scenario_2_with_equal_risk_the_higher_sole_creator_share_ranks_first_pure() -> None:
    rows = assess_classes(
        [ClassCount("LOW", "Low", 10, 5, 5), ClassCount("HIGH", "High", 10, 8, 8)],
        months=3,
        ratings={},
        config=CONFIG,
    )
    assert rows[0].risk == rows[1].risk
    assert [r.class_code for r in rows] == ["HIGH", "LOW"]


def test_the_harvest_config_file_parses_and_lists_vital_classes(settings: Settings) -> None:
    config = load_harvest_config(settings.config_dir)
    assert config.threshold == 16
    assert config.window_years == 3
    assert config.is_vital("LEG-LIT-CIV")
    assert not config.is_vital("FIN-AP-INV")
    assert config.retention_rule == "REVIEW-10Y"


def test_a_bad_harvest_config_is_refused_with_the_key_named() -> None:
    from edrm.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match=r"risk\.threshold"):
        parse_harvest_config({"risk": {"threshold": 40}})
    with pytest.raises(InvalidInputError, match="leaving_soon_months"):
        parse_harvest_config({"risk": {"leaving_soon_months": [6, 3, 1, 12]}})


# --- counting records ---------------------------------------------------------------------------


def test_scenario_1_the_class_where_the_leaver_is_sole_creator_of_most_ranks_first(
    office: Office,
) -> None:
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 9)
        file_many(s, rt, "FIN-AP-INV", office["cole"], 1)
        file_many(s, rt, "SEC-OPS-INC", office["lena"], 1)
        file_many(s, rt, "SEC-OPS-INC", office["cole"], 9)
        register(s, office, leaving=IN_THREE_MONTHS)
    with rt.uow() as s:
        risk = leaver_risk(s, "lena", office["hana"], CONFIG)
    first, second = risk.classes
    assert first.class_code == "FIN-AP-INV"
    assert first.share == 0.9
    assert first.plan_required
    assert (first.months_until_leaving, first.leaving_soon_band) == (3, 4)
    assert second.class_code == "SEC-OPS-INC"
    assert second.share == 0.1
    assert risk.plan_required


def test_scenario_2_with_equal_risk_the_higher_sole_creator_share_ranks_first(
    office: Office,
) -> None:
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 2)
        file_many(s, rt, "FIN-AP-INV", office["cole"], 2)
        file_many(s, rt, "SEC-OPS-INC", office["lena"], 3)
        file_many(s, rt, "SEC-OPS-INC", office["cole"], 1)
        register(s, office)
    with rt.uow() as s:
        rows = leaver_risk(s, "lena", office["hana"], CONFIG).classes
    assert rows[0].risk == rows[1].risk
    assert [(r.class_code, r.share) for r in rows] == [("SEC-OPS-INC", 0.75), ("FIN-AP-INV", 0.5)]


def test_a_record_another_employee_added_a_version_to_is_not_sole_created(office: Office) -> None:
    rt = office.runtime
    with rt.uow() as s:
        ids = file_many(s, rt, "FIN-AP-INV", office["lena"], 2)
        s.add(
            DocumentVersion(
                document_id=ids[0],
                number=2,
                sha256="0" * 64,
                size=1,
                filename="v2.txt",
                mime="text/plain",
                created_at=datetime(2025, 3, 1, tzinfo=UTC),
                created_by="cole",
            )
        )
        register(s, office)
    with rt.uow() as s:
        (row,) = leaver_risk(s, "lena", office["hana"], CONFIG).classes
    assert (row.records, row.created, row.sole) == (2, 2, 1)


def test_a_co_creator_who_has_left_does_not_share_the_knowledge(office: Office) -> None:
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 1)
        (theirs,) = file_many(s, rt, "FIN-AP-INV", office["cole"], 1)
        s.add(
            DocumentVersion(
                document_id=theirs,
                number=2,
                sha256="0" * 64,
                size=1,
                filename="v2.txt",
                mime="text/plain",
                created_at=datetime(2025, 3, 1, tzinfo=UTC),
                created_by="lena",
            )
        )
        register(s, office)
        register_leaver(s, "cole", date(2025, 1, 31), successor="sam", actor=office["hana"])
    with rt.uow() as s:
        (row,) = leaver_risk(s, "lena", office["hana"], CONFIG).classes
    assert (row.records, row.created, row.sole, row.share) == (2, 2, 2, 1.0)


def test_records_older_than_the_window_are_not_counted(office: Office) -> None:
    rt = office.runtime
    with rt.uow() as s:
        ids = file_many(s, rt, "FIN-AP-INV", office["lena"], 3)
        s.get(Document, ids[0]).created_at = datetime(2021, 1, 1, tzinfo=UTC)
        register(s, office)
    with rt.uow() as s:
        (row,) = leaver_risk(s, "lena", office["hana"], CONFIG).classes
        wider = assess_leaver(s, leaver_by_username(s, "lena"), HarvestConfig(window_years=5))
    assert row.records == 2
    assert wider.classes[0].records == 3


def test_records_in_a_folder_count_for_its_class(office: Office) -> None:
    from edrm.fileplan.service import create_folder

    rt = office.runtime
    with rt.uow() as s:
        create_folder(s, "FIN-AP-INV-2025", "FIN-AP-INV", "Supplier invoices 2025-26")
        file_many(s, rt, "FIN-AP-INV-2025", office["lena"], 2)
        file_many(s, rt, "FIN-AP-INV", office["cole"], 2)
        register(s, office)
    with rt.uow() as s:
        (row,) = leaver_risk(s, "lena", office["hana"], CONFIG).classes
    assert (row.class_code, row.records, row.sole) == ("FIN-AP-INV", 4, 2)


def test_the_line_managers_rating_changes_the_risk(office: Office) -> None:
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 1)
        register(s, office)
    with rt.uow() as s:
        set_criticality(s, "lena", "FIN-AP-INV", 2, actor=office["mo"])
    with rt.uow() as s:
        (row,) = leaver_risk(s, "lena", office["hana"], CONFIG).classes
    assert (row.criticality, row.criticality_source, row.risk, row.plan_required) == (
        2,
        "line_manager",
        8,
        False,
    )


def test_only_hr_and_the_line_manager_rate_criticality(office: Office) -> None:
    from edrm.errors import NotFoundError

    with office.runtime.uow() as s:
        register(s, office)
    for who in ("olly", "sam", "rita"):
        with pytest.raises(NotFoundError), office.runtime.uow() as s:
            set_criticality(s, "lena", "FIN-AP-INV", 5, actor=office[who])


def test_the_risk_is_the_same_on_the_leaving_date_as_after_it(office: Office) -> None:
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 1)
        register(s, office, leaving=TODAY)
        leaver = leaver_by_username(s, "lena")
        on_the_day = assess_leaver(s, leaver, CONFIG, today=TODAY)
        after = assess_leaver(s, leaver, CONFIG, today=date(2025, 4, 1))
    assert not on_the_day.left and after.left
    assert on_the_day.classes[0].risk == after.classes[0].risk == 20
