"""The file plan as the sweep sees it: for every node, the rule it inherits, its class, the date
its folder was closed and the events recorded for it or above it.

The file plan is small, so this is one pass over its table in Python; the recomputation
(retention.recompute) turns it into `tmp_ret_node` rows, the queueing (retention.sweep) takes
each node's class from it, and the forecast its rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm.fileplan.models import FilePlanNode
from retention.models import RetentionEvent
from retention.rules import Rule, Trigger

# Trigger kinds whose date comes from the record itself; any other trigger's date is the same
# for every record in a node ("fixed": its folder's closing date or an event above it).
RECORD_KINDS = (Trigger.CREATED.value, Trigger.DECLARED.value, Trigger.LAST_MODIFIED.value)
FIXED = "fixed"


@dataclass
class NodeFacts:
    id: int
    code: str
    class_code: str
    rule_code: str | None  # the nearest rule code on its path (may be missing from the schedule)
    folder_closed: date | None
    events: dict[str, date]  # latest date of each event recorded for it or a node above it


def node_facts(session: Session) -> dict[int, NodeFacts]:
    """Every node with its inherited rule, class, folder closing date and events (one pass
    over the small file-plan table)."""
    rows = {
        r.id: r
        for r in session.execute(
            select(
                FilePlanNode.id,
                FilePlanNode.parent_id,
                FilePlanNode.code,
                FilePlanNode.kind_value,
                FilePlanNode.retention_rule,
                FilePlanNode.closed,
                FilePlanNode.closed_at,
            )
        )
    }
    own_events: dict[int, dict[str, date]] = defaultdict(dict)
    for node_id, name, day in session.execute(
        select(RetentionEvent.node_id, RetentionEvent.name, func.max(RetentionEvent.occurred_on))
        .where(RetentionEvent.node_id.is_not(None))
        .group_by(RetentionEvent.node_id, RetentionEvent.name)
    ):
        if node_id is not None:  # always: the query leaves out records' events
            own_events[node_id][name] = day
    facts: dict[int, NodeFacts] = {}

    def build(node_id: int) -> NodeFacts:
        if node_id in facts:
            return facts[node_id]
        row = rows[node_id]
        parent = build(row.parent_id) if row.parent_id in rows else None
        is_folder = row.kind_value == "folder"
        events = dict(parent.events) if parent else {}
        for name, day in own_events.get(node_id, {}).items():
            if name not in events or day > events[name]:
                events[name] = day
        closed: date | None = None
        if is_folder:
            if row.closed and row.closed_at is not None:
                closed = row.closed_at.date()
            elif parent is not None:
                closed = parent.folder_closed
        fact = NodeFacts(
            id=node_id,
            code=row.code,
            class_code=parent.class_code if is_folder and parent else row.code,
            rule_code=row.retention_rule or (parent.rule_code if parent else None),
            folder_closed=closed,
            events=events,
        )
        facts[node_id] = fact
        return fact

    for node_id in rows:
        build(node_id)
    return facts


def fixed_trigger(rule: Rule, fact: NodeFacts) -> date | None:
    """The trigger date a rule of a fixed kind gets in this node (folder closed, or event)."""
    if rule.trigger_kind is Trigger.FOLDER_CLOSED:
        return fact.folder_closed
    return fact.events.get(rule.event_name or "")


def node_rows(
    facts: dict[int, NodeFacts], rules: dict[str, Rule], forced: Collection[str]
) -> Iterator[tuple[Any, ...]]:
    """`tmp_ret_node` rows: each node whose rule is in the schedule, with its trigger kind (and
    the fixed trigger date), its cutoff, and whether its rule's definition changed."""
    for fact in facts.values():
        rule = rules.get(fact.rule_code or "")
        if rule is None:
            continue
        kind = rule.trigger if rule.trigger in RECORD_KINDS else FIXED
        yield (
            fact.id,
            rule.code,
            rule.action.value,
            kind,
            fixed_trigger(rule, fact) if kind == FIXED else None,
            rule.cutoff.value if rule.cutoff else None,
            int(rule.code in forced),
        )
