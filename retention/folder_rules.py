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

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from edrm.fileplan.models import FilePlanNode
from retention.models import RetentionRule
from retention.rules import Trigger
from retention.stored_rules import rule_from_row


def _named(node: FilePlanNode) -> str | None:
    """The rule code named on the node's path, nearest first."""
    return next((n.retention_rule for n in reversed(node.path()) if n.retention_rule), None)


def _row(session: Session, code: str) -> RetentionRule | None:
    return session.scalar(select(RetentionRule).where(RetentionRule.code == code))


class ScheduleFacts:
    """The retention schedule's answers to filing (one query for each answer)."""

    def rule_reaching(self, session: Session, node: FilePlanNode) -> str | None:
        """The code of the rule records filed in `node` get (own or inherited), or None when
        no node on its path names one, or the one named is not in the (loaded) schedule."""
        code = _named(node)
        if code is None or _row(session, code) is not None:
            return code
        loaded = session.scalar(select(exists().select_from(RetentionRule)))
        return None if loaded else code

    def folder_needed(self, session: Session, node: FilePlanNode) -> str | None:
        return needs_folder(session, node)


SCHEDULE_FACTS = ScheduleFacts()


def needs_folder(session: Session, node: FilePlanNode) -> str | None:
    """Why a record filed in this class itself must go in one of its folders (its rule, own
    or inherited, counts from a folder's closing), or None."""
    if node.is_folder:
        return None
    code = _named(node)
    if code is None:
        return None
    row = _row(session, code)
    if row is None:
        return None
    rule = rule_from_row(row)
    if rule.trigger_kind is not Trigger.FOLDER_CLOSED:
        return None
    return (
        f"its retention rule ({rule.title}) counts from the day its folder is closed, so a "
        "record outside a folder would never fall due for disposal"
    )
