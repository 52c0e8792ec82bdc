"""Shared pieces for the leaver tests: a fixed clock, a small office (HR, a leaver, their line
manager and successor, colleagues of other roles) on the small file plan, and quick filing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import Principal
from edrm.runtime import Runtime
from harvest.loader import HarvestConfig
from tests.conftest import add_person, file_text

TODAY = date(2025, 3, 10)
IN_THREE_MONTHS = date(2025, 6, 10)
CONFIG = HarvestConfig()  # the defaults, which config/harvest.toml repeats


@pytest.fixture
def fixed_clock() -> Iterator[date]:
    """The clock stands at 09:00 UTC on TODAY for the whole test."""
    clock.set_clock(lambda: datetime(TODAY.year, TODAY.month, TODAY.day, 9, tzinfo=UTC))
    yield TODAY
    clock.set_clock(None)


@dataclass
class Office:
    runtime: Runtime
    people: dict[str, Principal]

    def __getitem__(self, name: str) -> Principal:
        return self.people[name]


@pytest.fixture
def office(runtime: Runtime, world_plan: None, fixed_clock: date) -> Office:
    """hana (HR), lena the leaver, mo her line manager, sam her successor, cole a colleague,
    rita a records manager, olly a civil servant with no part in it."""
    with runtime.uow() as s:
        people = {
            "hana": add_person(s, "hana", "hr", "OFFICIAL-SENSITIVE", ("hr",)),
            "lena": add_person(s, "lena", "civil_servant", "OFFICIAL-SENSITIVE"),
            "mo": add_person(s, "mo", "civil_servant", "OFFICIAL-SENSITIVE"),
            "sam": add_person(s, "sam", "civil_servant", "OFFICIAL-SENSITIVE"),
            "cole": add_person(s, "cole", "civil_servant", "OFFICIAL"),
            "rita": add_person(s, "rita", "records_manager", "SECRET", ("hr",)),
            "olly": add_person(s, "olly", "civil_servant", "OFFICIAL-SENSITIVE"),
        }
    return Office(runtime, people)


def file_many(
    session: Session,
    runtime: Runtime,
    into: str,
    actor: Principal,
    count: int,
    *,
    topic: str = "record",
) -> list[int]:
    return [
        file_text(session, runtime, into, f"{topic} {n} by {actor.username}", actor=actor)
        for n in range(count)
    ]


def register(
    session: Session,
    office: Office,
    *,
    leaving: date = IN_THREE_MONTHS,
    reason: str = "Moving to another department",
) -> None:
    from harvest.leavers import register_leaver

    register_leaver(
        session,
        "lena",
        leaving,
        successor="sam",
        manager="mo",
        reason=reason,
        actor=office["hana"],
    )
