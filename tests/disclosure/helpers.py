"""Shared pieces of the disclosure tests: an information-rights officer in the small world, the
clock set to a day, and the default config."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from disclosure.loader import DisclosureConfig
from edrm import clock
from tests.conftest import World, add_person

CONFIG = DisclosureConfig()


def with_officers(world: World) -> World:
    """The small world plus two information-rights officers: `iro` cleared to
    OFFICIAL-SENSITIVE, `iro2` to SECRET."""
    with world.runtime.uow() as s:
        world.people["iro"] = add_person(
            s, "iro", "information_rights_officer", "OFFICIAL-SENSITIVE"
        )
        world.people["iro2"] = add_person(s, "iro2", "information_rights_officer", "SECRET")
    return world


@contextmanager
def today_is(day: date) -> Iterator[None]:
    """Run with edrm's clock at noon UTC on `day`."""
    moment = datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)
    clock.set_clock(lambda: moment)
    try:
        yield
    finally:
        clock.set_clock(None)
