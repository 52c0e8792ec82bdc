"""Issue 17 part 2: retention rules are versioned — a change keeps the old version, who changed
it, why and when, and the records it re-dated; `edrm retention history CODE`."""

from __future__ import annotations

import dataclasses
import json

import pytest

from edrm.access import SYSTEM
from retention.loader import Schedule
from retention.rule_history import history
from retention.rules import Period
from retention.schedule import current_schedule, delete_rule, ensure_schedule, import_schedule
from tests.conftest import Cli, World

pytestmark = pytest.mark.sqlite_only  # the schedule's services are tested on both engines

RULE = "DESTROY-7Y"  # the world's invoices' rule, in config/retention.toml


@pytest.fixture
def scheduled(world: World) -> World:
    """The world with the configured schedule loaded (version 1 of every rule)."""
    with world.runtime.uow() as s:
        ensure_schedule(s, world.runtime.settings)
    return world


def _versions(world: World, code: str) -> list[tuple[int, str]]:
    with world.runtime.uow() as s:
        return [(v["version"], v["change"]) for v in history(s, code)]


def _with(schedule: Schedule, code: str, **changes: object) -> Schedule:
    rules = [dataclasses.replace(r, **changes) if r.code == code else r for r in schedule.rules]
    return Schedule(rules, schedule.fy_start_month)


def test_a_changed_rule_keeps_its_old_version_with_who_why_and_the_records_re_dated(
    scheduled: World,
) -> None:
    rt = scheduled.runtime
    with rt.uow() as s:
        longer = _with(current_schedule(s), RULE, period=Period(8))
        import_schedule(
            s,
            longer,
            actor=scheduled.people["recman"],
            source="schedule-2027.csv",
            reason="HMRC guidance 2027",
        )

    with rt.uow() as s:
        newest, first = history(s, RULE)
    assert (first["version"], first["change"], first["changed_by"]) == (1, "added", "system")
    assert first["rule"]["period"]["years"] == 7
    assert (newest["version"], newest["change"], newest["changed_by"]) == (2, "updated", "recman")
    assert newest["reason"] == "HMRC guidance 2027" and newest["source"] == "schedule-2027.csv"
    assert newest["rule"]["period"]["years"] == 8
    assert newest["records_redated"] >= 1  # the world's invoices


def test_a_change_of_wording_alone_re_dates_nothing_and_an_unchanged_rule_gets_no_version(
    scheduled: World,
) -> None:
    rt = scheduled.runtime
    with rt.uow() as s:
        reworded = _with(current_schedule(s), RULE, description="Clearer words")
        import_schedule(s, reworded, actor=SYSTEM, reason="wording")
    with rt.uow() as s:
        newest = history(s, RULE)[0]
        others = {r.code for r in current_schedule(s).rules} - {RULE}
    assert (newest["version"], newest["records_redated"]) == (2, 0)
    assert all(_versions(scheduled, code) == [(1, "added")] for code in sorted(others)[:3])


def test_a_removed_rule_keeps_its_history(scheduled: World) -> None:
    rt = scheduled.runtime
    with rt.uow() as s:
        unused = next(
            r.code for r in current_schedule(s).rules if r.code not in {RULE, "DESTROY-7Y-FYE"}
        )
    try:
        with rt.uow() as s:
            delete_rule(s, unused, actor=SYSTEM)
    except Exception:  # in use by the shipped plan: any rule will do
        pytest.skip(f"{unused} is in use")
    assert _versions(scheduled, unused) == [(2, "removed"), (1, "added")]


def test_the_cli_shows_a_rules_history_newest_first(scheduled: World, cli: Cli) -> None:
    shown = cli("retention", "history", RULE, "--json")
    assert shown.exit_code == 0, shown.output
    (only,) = json.loads(shown.output)
    assert set(only) == {
        "code",
        "version",
        "change",
        "changed_at",
        "changed_by",
        "reason",
        "source",
        "records_redated",
        "rule",
    }
    missing = cli("retention", "history", "NO-SUCH-RULE")
    assert missing.exit_code == 1
    assert missing.output.strip() == (
        "edrm: error: no retention rule 'NO-SUCH-RULE' has ever been in the schedule"
    )
