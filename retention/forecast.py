"""What falls due in the coming months, by class and action (from `record_retention`, as the
last sweep or recompute left it)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm.documents.models import Document
from retention.models import RecordRetention
from retention.node_facts import node_facts
from retention.recompute import PERMANENT
from retention.rules import add_months


@dataclass(frozen=True)
class ForecastRow:
    class_code: str
    month: str  # "2027-03"
    action: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "class_code": self.class_code,
            "month": self.month,
            "action": self.action,
            "count": self.count,
        }


def forecast(session: Session, *, today: date, months: int = 12) -> list[ForecastRow]:
    """Records falling due (their computed date, or a reviewer's new date) from the start of
    this month through the next `months` months, counted by class, month and action. Records
    kept permanently never fall due."""
    start = today.replace(day=1)
    end = add_months(start, max(months, 1))
    rr = RecordRetention
    effective = func.coalesce(rr.review_on, rr.due_on)
    rows = session.execute(
        select(Document.node_id, effective, rr.action, func.count())
        .join(Document, Document.id == rr.document_id)
        .where(
            Document.status == "filed",
            rr.action != PERMANENT,
            effective.is_not(None),
            effective >= start,
            effective < end,
        )
        .group_by(Document.node_id, effective, rr.action)
    ).all()
    facts = node_facts(session)
    counts: Counter[tuple[str, str, str]] = Counter()
    for node_id, due, action, count in rows:
        if isinstance(due, str):  # SQLite hands back COALESCE of dates as text
            due = date.fromisoformat(due)
        fact = facts.get(node_id) if node_id is not None else None
        class_code = fact.class_code if fact is not None else "?"
        counts[(due.strftime("%Y-%m"), class_code, action)] += count
    return [
        ForecastRow(class_code, month, action, n)
        for (month, class_code, action), n in sorted(counts.items())
    ]


def forecast_totals(rows: list[ForecastRow]) -> dict[str, int]:
    """Records falling due per month (all classes)."""
    totals: Counter[str] = Counter()
    for row in rows:
        totals[row.month] += row.count
    return dict(sorted(totals.items()))
