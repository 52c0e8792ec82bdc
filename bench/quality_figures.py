"""What every part of bench/quality.py reports: a figure beside the baseline it must beat.

Each part (bench/quality_experts.py, bench/quality_ocr.py, bench/quality_classify.py) exposes
``measure(data: Path, quick: bool) -> list[Figure]``; bench/quality.py runs them and prints the
table. Nothing here asserts: the figures are for people to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Figure:
    """One measured figure of the product, and the same measure of a plain baseline."""

    part: str  # "experts", "ocr", "classify"
    name: str  # e.g. "MAP (paragraph queries)"
    value: float
    baseline_name: str  # e.g. "TF-IDF profile"
    baseline: float
    better: Literal["higher", "lower"] = "higher"
    note: str = ""

    @property
    def ahead(self) -> bool:
        return (
            self.value >= self.baseline if self.better == "higher" else self.value <= self.baseline
        )


def table(figures: list[Figure]) -> str:
    """The figures as aligned lines: part, name, product, baseline, difference."""
    rows = [("part", "figure", "edrm", "baseline", "", "diff")]
    for f in figures:
        diff = f.value - f.baseline
        rows.append(
            (
                f.part,
                f.name,
                f"{f.value:.3f}",
                f"{f.baseline:.3f}",
                f"({f.baseline_name})",
                f"{diff:+.3f}"
                + ("" if f.ahead else "  behind")
                + (f"  {f.note}" if f.note else ""),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:5])) + "  " + r[5] for r in rows
    )
