"""The knowledge-harvest settings from config/harvest.toml: risk window, threshold and bands,
vital classes, where write-ups are filed, and when HR is reminded (read when asked, never at
import time)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def parse_harvest_config(data: dict[str, Any], *, source: str = "harvest.toml") -> HarvestConfig:
    risk = data.get("risk", {})
    filing = data.get("filing", {})
    reminders = data.get("reminders", {})
    defaults = HarvestConfig()
    months = risk.get("leaving_soon_months", list(defaults.leaving_soon_months))
    if (
        not isinstance(months, list)
        or len(months) != 4
        or not all(isinstance(m, int) and m >= 0 for m in months)
        or months != sorted(months)
    ):
        raise InvalidInputError(
            f"{source}: risk.leaving_soon_months: give four whole numbers of months, ascending"
        )
    file_in = str(filing.get("file_in", defaults.file_in))
    if file_in not in FILE_IN_CHOICES:
        raise InvalidInputError(
            f"{source}: filing.file_in: use one of {', '.join(FILE_IN_CHOICES)}"
        )
    marking = str(filing.get("default_marking", defaults.default_marking))
    try:
        Marking.parse(marking)
    except ValueError as exc:
        raise InvalidInputError(f"{source}: filing.default_marking: {exc}") from None
    vital = frozenset(
        code
        for code, entry in (data.get("classes") or {}).items()
        if isinstance(entry, dict) and entry.get("vital") is True
    )
    return HarvestConfig(
        window_years=_int(
            f"{source}: risk.window_years", risk.get("window_years", defaults.window_years), 1, 50
        ),
        threshold=_int(
            f"{source}: risk.threshold", risk.get("threshold", defaults.threshold), 1, 25
        ),
        leaving_soon_months=(months[0], months[1], months[2], months[3]),
        default_criticality=_int(
            f"{source}: risk.default_criticality",
            risk.get("default_criticality", defaults.default_criticality),
            1,
            5,
        ),
        vital_criticality=_int(
            f"{source}: risk.vital_criticality",
            risk.get("vital_criticality", defaults.vital_criticality),
            1,
            5,
        ),
        vital_classes=vital,
        file_in=file_in,
        knowledge_class=str(filing.get("knowledge_class", defaults.knowledge_class)),
        retention_rule=str(filing.get("retention_rule", defaults.retention_rule)),
        default_marking=Marking.parse(marking).value,
        doc_type=str(filing.get("doc_type", defaults.doc_type)),
        reminder_days=_int(
            f"{source}: reminders.days_before_leaving",
            reminders.get("days_before_leaving", defaults.reminder_days),
            0,
            365,
        ),
    )


def load_harvest_config(config_dir: Path) -> HarvestConfig:
    """config/harvest.toml in `config_dir`; the defaults when the file is absent."""
    path = config_dir / "harvest.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return HarvestConfig()
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: {exc}") from None
    return parse_harvest_config(data, source=str(path))
