"""Which classes need a folder: those whose retention rule counts from the day a folder is
closed. A record filed in such a class outside any folder would never fall due for disposal
("not yet known" for ever), so filing and moving ask for a folder there.

`needs_folder` is the folder rule the composition root registers with the core's filing
(`edrm.documents.filing`), which cannot read the schedule itself.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.fileplan.models import FilePlanNode
from retention.models import RetentionRule
from retention.rules import Trigger
from retention.stored_rules import rule_from_row


def needs_folder(session: Session, node: FilePlanNode) -> str | None:
    """Why a record filed in this class itself must go in one of its folders (its rule, own
    or inherited, counts from a folder's closing), or None."""
    if node.is_folder:
        return None
    code = next((n.retention_rule for n in reversed(node.path()) if n.retention_rule), None)
    if code is None:
        return None
    row = session.scalar(select(RetentionRule).where(RetentionRule.code == code))
    if row is None:
        return None
    rule = rule_from_row(row)
    if rule.trigger_kind is not Trigger.FOLDER_CLOSED:
        return None
    return (
        f"its retention rule ({rule.title}) counts from the day its folder is closed, so a "
        "record outside a folder would never fall due for disposal"
    )
