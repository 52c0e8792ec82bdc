"""The history of the retention schedule: a version of a rule is kept each time an import adds,
changes or removes it, with who did it, why, from which file, and how many records the import
re-dated. Nothing here rewrites a version once written.

Written in the import's own transaction (retention.schedule.import_schedule): a crash leaves
either the new schedule with its versions or the old one without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retention.models import RuleVersion

ADDED, UPDATED, REMOVED = "added", "updated", "removed"


def note_versions(
    session: Session,
    changes: Iterable[tuple[str, str, dict[str, Any] | None]],
    *,
    by: str,
    reason: str,
    source: str,
    at: datetime,
) -> list[RuleVersion]:
    """A new version for each (code, change, rule as a dict or None once removed)."""
    made: list[RuleVersion] = []
    for code, change, rule in changes:
        last = session.scalar(select(func.max(RuleVersion.version)).where(RuleVersion.code == code))
        version = RuleVersion(
            code=code,
            version=(last or 0) + 1,
            change=change,
            rule=rule,
            changed_at=at,
            changed_by=by,
            reason=reason.strip(),
            source=source,
            records_redated=0,
        )
        session.add(version)
        made.append(version)
    session.flush()
    return made


def note_redated(versions: Iterable[RuleVersion], redated: int, *, retimed: set[str]) -> None:
    """The import's records re-dated, on its versions that could re-date: rules added or
    removed, and rules whose timing changed (`retimed`); a change of wording re-dates none."""
    for version in versions:
        if version.change != UPDATED or version.code in retimed:
            version.records_redated = redated


def history(session: Session, code: str) -> list[dict[str, Any]]:
    """Every version of the rule `code`, newest first (the JSON of `edrm retention history`)."""
    rows = session.scalars(
        select(RuleVersion).where(RuleVersion.code == code).order_by(RuleVersion.version.desc())
    )
    return [
        {
            "code": v.code,
            "version": v.version,
            "change": v.change,
            "changed_at": v.changed_at.isoformat(),
            "changed_by": v.changed_by,
            "reason": v.reason,
            "source": v.source,
            "records_redated": v.records_redated,
            "rule": v.rule,
        }
        for v in rows
    ]
