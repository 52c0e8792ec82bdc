"""What importing a schedule would change, worked out without changing anything: the rules it
adds, changes (each with what it was and what it becomes) and removes, and how many records
would get new due dates. The import is run for real inside a savepoint that is then rolled
back (retention.schedule.import_schedule, with its refusals: a rule in use cannot be removed),
so the figures are exactly what confirming would do now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from edrm.access import Principal
from retention.loader import Schedule
from retention.rules import Rule
from retention.schedule import ImportResult, import_schedule
from retention.stored_rules import rules_by_code


@dataclass(frozen=True)
class RuleChange:
    code: str
    title: str
    before: str  # "" for a rule added
    after: str  # "" for a rule removed


@dataclass(frozen=True)
class SchedulePreview:
    result: ImportResult
    added: list[RuleChange] = field(default_factory=list)
    changed: list[RuleChange] = field(default_factory=list)
    removed: list[RuleChange] = field(default_factory=list)

    @property
    def redated(self) -> int:
        """How many records would get a new computed retention (new due dates)."""
        return self.result.recomputed

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.redated)


def preview_import(
    session: Session, schedule: Schedule, *, actor: Principal, source: str = ""
) -> SchedulePreview:
    """The import's effect, rolled back: nothing is changed (nor audited)."""
    before = rules_by_code(session)
    wanted = schedule.by_code()
    savepoint = session.begin_nested()
    try:
        result = import_schedule(session, schedule, actor=actor, source=source)
    finally:
        savepoint.rollback()
    session.expire_all()

    return SchedulePreview(
        result=result,
        added=[RuleChange(c, wanted[c].title, "", _words(wanted[c])) for c in result.added],
        changed=[_change(before[c], wanted[c]) for c in result.updated if c in before],
        removed=[RuleChange(c, before[c].title, _words(before[c]), "") for c in result.removed],
    )


def _change(was: Rule, becomes: Rule) -> RuleChange:
    """What a changed rule was and becomes; the authority only when it changed too."""
    if was.authority == becomes.authority:
        return RuleChange(becomes.code, becomes.title, was.describe(), becomes.describe())
    return RuleChange(becomes.code, becomes.title, _words(was), _words(becomes))


def _words(rule: Rule) -> str:
    """e.g. "destroy 2 years after the end of the year it was created (authority: …)"."""
    return f"{rule.describe()} (authority: {rule.authority})" if rule.authority else rule.describe()
