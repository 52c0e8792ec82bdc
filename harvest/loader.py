"""The knowledge-harvest settings from config/harvest.toml: risk window, threshold and bands,
vital classes, where write-ups are filed, and when HR is reminded (read when asked, never at
import time)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edrm.configfile import ConfigModel, load_toml, validate
from edrm.errors import InvalidInputError
from edrm.markings import Marking

FILE_IN_CHOICES = ("top-class", "knowledge-class")


@dataclass(frozen=True)
class HarvestConfig:
    window_years: int = 3
    threshold: int = 16
    leaving_soon_months: tuple[int, int, int, int] = (1, 3, 6, 12)
    default_criticality: int = 4
    vital_criticality: int = 5
    vital_classes: frozenset[str] = field(default_factory=frozenset)
    file_in: str = "top-class"
    knowledge_class: str = "INFO-IM-KH"
    retention_rule: str = "REVIEW-10Y"
    default_marking: str = "OFFICIAL-SENSITIVE"
    doc_type: str = "Knowledge harvest write-up"
    reminder_days: int = 30

    def is_vital(self, class_code: str) -> bool:
        """Listed itself, or under a listed class (codes nest: LEG-LIT covers LEG-LIT-CIV)."""
        return any(
            class_code == code or class_code.startswith(f"{code}-") for code in self.vital_classes
        )


def _int(where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInputError(f"{where}: give a whole number from {low} to {high}")
    return value


class _RiskTable(ConfigModel):
    window_years: int = HarvestConfig.window_years
    threshold: int = HarvestConfig.threshold
    leaving_soon_months: list[int] = list(HarvestConfig.leaving_soon_months)
    default_criticality: int = HarvestConfig.default_criticality
    vital_criticality: int = HarvestConfig.vital_criticality


class _FilingTable(ConfigModel):
    file_in: str = HarvestConfig.file_in
    knowledge_class: str = HarvestConfig.knowledge_class
    retention_rule: str = HarvestConfig.retention_rule
    default_marking: str = HarvestConfig.default_marking
    doc_type: str = HarvestConfig.doc_type


class _RemindersTable(ConfigModel):
    days_before_leaving: int = HarvestConfig.reminder_days


class _ClassTable(ConfigModel):
    vital: bool = False


class _HarvestFile(ConfigModel):
    """config/harvest.toml."""

    risk: _RiskTable = _RiskTable()
    filing: _FilingTable = _FilingTable()
    reminders: _RemindersTable = _RemindersTable()
    classes: dict[str, _ClassTable] = {}


def parse_harvest_config(data: dict[str, Any], *, source: str = "harvest.toml") -> HarvestConfig:
    return _harvest_config(validate(source, data, _HarvestFile), source)


def _harvest_config(file: _HarvestFile, source: str) -> HarvestConfig:
    risk, filing = file.risk, file.filing
    months = risk.leaving_soon_months
    if len(months) != 4 or not all(m >= 0 for m in months) or months != sorted(months):
        raise InvalidInputError(
            f"{source}: risk.leaving_soon_months: give four whole numbers of months, ascending"
        )
    if filing.file_in not in FILE_IN_CHOICES:
        raise InvalidInputError(
            f"{source}: filing.file_in: use one of {', '.join(FILE_IN_CHOICES)}"
        )
    try:
        marking = Marking.parse(filing.default_marking)
    except ValueError as exc:
        raise InvalidInputError(f"{source}: filing.default_marking: {exc}") from None
    return HarvestConfig(
        window_years=_int(f"{source}: risk.window_years", risk.window_years, 1, 50),
        threshold=_int(f"{source}: risk.threshold", risk.threshold, 1, 25),
        leaving_soon_months=(months[0], months[1], months[2], months[3]),
        default_criticality=_int(
            f"{source}: risk.default_criticality", risk.default_criticality, 1, 5
        ),
        vital_criticality=_int(f"{source}: risk.vital_criticality", risk.vital_criticality, 1, 5),
        vital_classes=frozenset(code for code, entry in file.classes.items() if entry.vital),
        file_in=filing.file_in,
        knowledge_class=filing.knowledge_class,
        retention_rule=filing.retention_rule,
        default_marking=marking.value,
        doc_type=filing.doc_type,
        reminder_days=_int(
            f"{source}: reminders.days_before_leaving", file.reminders.days_before_leaving, 0, 365
        ),
    )


def load_harvest_config(config_dir: Path) -> HarvestConfig:
    """config/harvest.toml in `config_dir`; the defaults when the file is absent."""
    path = config_dir / "harvest.toml"
    try:
        file = load_toml(path, _HarvestFile)
    except FileNotFoundError:
        return HarvestConfig()
    return _harvest_config(file, str(path))
