"""The disposal forecast page: for the next twelve months, how many records fall due, by class
and action."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask import Blueprint, render_template

from edrm import clock
from edrm.web.runtime import db
from retention import forecast


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/forecast", view_func=forecast_page, methods=["GET"])


def forecast_page() -> str:
    today = clock.now().date()
    rows = forecast.forecast(db(), today=today, months=12)
    months = _months(today, 12)
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        table[(row.class_code, row.action)][row.month] += row.count
        totals[row.month] += row.count
    lines = [
        {"class_code": key[0], "action": key[1], "counts": counts, "total": sum(counts.values())}
        for key, counts in sorted(table.items())
    ]
    return render_template(
        "retention/forecast.html",
        months=months,
        lines=lines,
        totals=totals,
        grand_total=sum(totals.values()),
        today=today,
    )


def _months(start: date, count: int) -> list[str]:
    out, year, month = [], start.year, start.month
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out
