"""What filing asks the retention schedule (the core's `edrm.documents.filing.RetentionFacts`):
which rule reaches a class or folder, and which classes need a folder.

A class or folder reaches a rule when it, or the nearest node above it naming one, names a rule
the schedule has. Until the schedule is first loaded (`ensure_schedule` loads the configured
file on first use) the named code is taken on trust: the schedule cannot yet say otherwise.

Classes whose rule counts from the day a folder is closed need a folder: a record filed in
such a class outside any folder would never fall due for disposal ("not yet known" for ever),
so filing and moving ask for a folder there.

`SCHEDULE_FACTS` is what the composition root registers with the core's filing, which cannot
read the schedule itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.documents.filing import Destiny
from edrm.fileplan.models import FilePlanNode
from retention.models import RetentionRule
from retention.rules import Trigger
from retention.stored_rules import rule_from_row


def _named(node: FilePlanNode) -> str | None:
    """The rule code named on the node's path, nearest first."""
    return next((n.retention_rule for n in reversed(node.path()) if n.retention_rule), None)


class ScheduleFacts:
    """The retention schedule's answers to filing: one query for each filing."""

    def destiny(self, session: Session, node: FilePlanNode) -> Destiny:
        code = _named(node)
        if code is None:
            return Destiny(None)
        # The named rule's row first, else any row (the schedule is loaded but lacks it),
        # else none (the schedule is not loaded yet).
        row = session.scalar(
            select(RetentionRule).order_by((RetentionRule.code == code).desc()).limit(1)
        )
        if row is None:
            return Destiny(code)
        if row.code != code:
            return Destiny(None)
        return Destiny(code, None if node.is_folder else _why_folder(row))


SCHEDULE_FACTS = ScheduleFacts()


def _why_folder(row: RetentionRule) -> str | None:
    rule = rule_from_row(row)
    if rule.trigger_kind is not Trigger.FOLDER_CLOSED:
        return None
    return (
        f"its retention rule ({rule.title}) counts from the day its folder is closed, so a "
        "record outside a folder would never fall due for disposal"
    )
