"""The schedule's rules as stored in `retention_rules`: read back as pure `retention.rules.Rule`s
and written from them.

The bottom of the schedule: the schedule module (import, usage, which rule reaches a record)
and the sweep's recomputation both read the rules through here, so neither imports the other
for them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from retention.models import RetentionRule
from retention.rules import Action, Cutoff, Period, Rule


def rule_from_row(row: RetentionRule) -> Rule:
    return Rule(
        code=row.code,
        title=row.title,
        trigger=row.trigger,
        period=Period(row.period_years, row.period_months, row.period_days),
        action=Action(row.action),
        authority=row.authority,
        cutoff=Cutoff(row.cutoff) if row.cutoff else None,
        review_stages=row.review_stages,
        description=row.description,
    )


def write_row(row: RetentionRule, rule: Rule) -> None:
    row.title = rule.title
    row.trigger = rule.trigger
    row.cutoff = rule.cutoff.value if rule.cutoff else None
    row.period_years = rule.period.years
    row.period_months = rule.period.months
    row.period_days = rule.period.days
    row.action = rule.action.value
    row.authority = rule.authority
    row.review_stages = rule.review_stages
    row.description = rule.description


def rules_by_code(session: Session) -> dict[str, Rule]:
    """Every rule of the schedule, by code."""
    rows = session.scalars(select(RetentionRule).order_by(RetentionRule.code))
    return {row.code: rule_from_row(row) for row in rows}
