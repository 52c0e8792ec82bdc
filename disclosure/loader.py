"""config/disclosure.toml: the FOI cost limit, proclaimed days, how long a closed request keeps
its hold and its requester's details, and when the case officers are reminded.

Read through its schema (edrm.configfile: unknown keys refused, strict types). Without the file
the defaults below apply; edrm/defaults/disclosure.toml documents every key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import Field

from disclosure.clocks import WorkingCalendar
from edrm.configfile import ConfigModel, load_toml
from edrm.settings import Settings


@dataclass(frozen=True)
class DisclosureConfig:
    """config/disclosure.toml, read."""

    # The Freedom of Information (Appropriate Limit and Fees) Regulations 2004: £600 for central
    # government, £450 for other public authorities, at £25 an hour.
    sector: str = "other"  # central | other
    cost_limit_central: int = 600
    cost_limit_other: int = 450
    hourly_rate: int = 25
    # Similar requests from one person within this many working days are aggregated (reg. 5).
    aggregation_working_days: int = 60
    # Days proclaimed as bank holidays that the holiday library does not know yet.
    proclaimed_days: tuple[date, ...] = ()
    # A closed request keeps its hold on its records this many months (the ICO complaint
    # window), then the hold lifts by itself.
    hold_months_after_closure: int = 3
    # A closed request's requester contact details are erased this many months after closure.
    erase_requester_months_after_closure: int = 3
    # The case officer is reminded when a request is due within this many working days.
    remind_working_days: int = 5

    @property
    def cost_limit(self) -> int:
        return self.cost_limit_central if self.sector == "central" else self.cost_limit_other

    @property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar.with_proclaimed(self.proclaimed_days)


class _DisclosureFile(ConfigModel):
    """config/disclosure.toml."""

    sector: Literal["central", "other"] = "other"
    cost_limit_central: int = Field(default=DisclosureConfig.cost_limit_central, ge=0)
    cost_limit_other: int = Field(default=DisclosureConfig.cost_limit_other, ge=0)
    hourly_rate: int = Field(default=DisclosureConfig.hourly_rate, ge=1)
    aggregation_working_days: int = Field(default=60, ge=0, le=260)
    proclaimed_days: list[date] = Field(default_factory=list)
    hold_months_after_closure: int = Field(default=3, ge=0, le=120)
    erase_requester_months_after_closure: int = Field(default=3, ge=0, le=120)
    remind_working_days: int = Field(default=5, ge=0, le=60)


def load_config(settings: Settings) -> DisclosureConfig:
    path = settings.config_path("disclosure.toml")
    if not path.is_file():
        return DisclosureConfig()
    data = load_toml(path, _DisclosureFile).model_dump()
    data["proclaimed_days"] = tuple(sorted(data["proclaimed_days"]))
    return DisclosureConfig(**data)
