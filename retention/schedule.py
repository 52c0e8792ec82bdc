"""The retention schedule in the database: importing and deleting rules, which rule reaches a
class or a record, and what that means for a record ("kept until March 2032, then destroyed").

`retention_rules` is the loaded copy of config/retention.toml (or of an imported CSV), read and
written through retention.stored_rules. When it is empty, `ensure_schedule` loads the
configured file; the sweep job, the `edrm retention …` and `edrm doc show` commands call it, and
so should the retention pages. An import recomputes the records under the rules it changed
(retention.recompute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import SYSTEM, Principal, require_records_manager
from edrm.documents.models import Document
from edrm.errors import AuditNote, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.settings import Settings
from edrm.system_state import get_state, set_state
from retention.holds import holds_covering
from retention.loader import Schedule, load_schedule
from retention.models import (
    OPEN_STATUSES,
    DisposalItem,
    RecordRetention,
    RetentionEvent,
    RetentionRule,
)
from retention.recompute import recompute
from retention.rule_history import ADDED, REMOVED, UPDATED, note_redated, note_versions
from retention.rules import (
    Action,
    Cutoff,
    Disposal,
    RecordDates,
    Rule,
    Trigger,
    decide,
    due_date,
    longest,
)
from retention.stored_rules import rule_from_row, rules_by_code, write_row

SCHEDULE_FILE = "retention.toml"
FY_STATE_KEY = "retention.fy_start_month"
DEFAULT_FY_START_MONTH = 4
ACTION_OUTCOME = {
    Action.DESTROY: "destroyed",
    Action.TRANSFER: "transferred to The National Archives",
    Action.REVIEW: "reviewed",
    Action.RETAIN_PERMANENTLY: "kept permanently",
}


# --- rules in the database --------------------------------------------------------------------


def get_rule(session: Session, code: str) -> Rule:
    row = session.scalar(select(RetentionRule).where(RetentionRule.code == code))
    if row is None:
        raise NotFoundError(f"no retention rule {code!r} in the schedule")
    return rule_from_row(row)


def fy_start_month(source: Session | Settings) -> int:
    """The month the financial year starts in: as last imported (from a session), or as the
    configured schedule file says (from settings). Default 4 (April)."""
    if isinstance(source, Settings):
        path = source.config_path(SCHEDULE_FILE)
        if not path.exists():
            return DEFAULT_FY_START_MONTH
        return load_schedule(path).fy_start_month
    value = get_state(source, FY_STATE_KEY)
    return int(value) if value and value.isdigit() else DEFAULT_FY_START_MONTH


def current_schedule(session: Session) -> Schedule:
    """The schedule in the database (for export)."""
    rules = list(rules_by_code(session).values())
    return Schedule(rules, fy_start_month(session))


def ensure_schedule(session: Session, settings: Settings) -> bool:
    """Load config/retention.toml when the database holds no rules yet; True if loaded."""
    if session.scalar(select(func.count()).select_from(RetentionRule)):
        return False
    path = settings.config_path(SCHEDULE_FILE)
    if not path.exists():
        return False
    # The file's name, as the CLI gives it: the audit's object id, not a path of any length.
    import_schedule(session, load_schedule(path), actor=SYSTEM, source=path.name)
    return True


# --- usage: a rule in use cannot be removed ---------------------------------------------------


@dataclass(frozen=True)
class RuleUsage:
    code: str
    nodes: list[str] = field(default_factory=list)  # classes and folders naming it
    documents: int = 0  # records naming it as their own rule
    open_items: int = 0  # disposal queue items still open under it

    @property
    def in_use(self) -> bool:
        return bool(self.nodes or self.documents or self.open_items)

    def describe(self) -> str:
        parts = []
        if self.nodes:
            shown = ", ".join(self.nodes[:5])
            more = f" and {len(self.nodes) - 5} more" if len(self.nodes) > 5 else ""
            parts.append(f"file-plan node{'s' if len(self.nodes) > 1 else ''} {shown}{more}")
        if self.documents:
            parts.append(f"{self.documents} record{'s' if self.documents > 1 else ''}")
        if self.open_items:
            n = self.open_items
            parts.append(f"{n} disposal queue item{'s' if n > 1 else ''}")
        return " and ".join(parts)


def rule_usage(session: Session, code: str) -> RuleUsage:
    nodes = list(
        session.scalars(
            select(FilePlanNode.code)
            .where(FilePlanNode.retention_rule == code)
            .order_by(FilePlanNode.code)
        )
    )
    documents = session.scalar(
        select(func.count())
        .select_from(Document)
        .where(Document.retention_rule == code, Document.status != "destroyed")
    )
    open_items = session.scalar(
        select(func.count())
        .select_from(DisposalItem)
        .where(DisposalItem.rule_code == code, DisposalItem.status.in_(OPEN_STATUSES))
    )
    return RuleUsage(code, nodes, documents or 0, open_items or 0)


def _refuse_in_use(usage: RuleUsage, actor: Principal, doing: str) -> None:
    raise RefusedError(
        f"retention rule {usage.code} is in use by {usage.describe()}: it cannot be {doing}",
        audit=AuditNote(
            actor.username,
            "retention.rule.refused",
            "retention_rule",
            usage.code,
            {
                "change": doing,
                "nodes": usage.nodes,
                "documents": usage.documents,
                "open_items": usage.open_items,
            },
        ),
    )


# --- import and delete --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    fy_start_month: int
    recomputed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "fy_start_month": self.fy_start_month,
            "recomputed": self.recomputed,
        }


def import_schedule(
    session: Session,
    schedule: Schedule,
    *,
    actor: Principal,
    source: str = "",
    remove_missing: bool = True,
    recompute_records: bool = True,
    reason: str = "",
) -> ImportResult:
    """Make the database schedule equal to `schedule`: add and update rules by code and (with
    `remove_missing`) remove the rules it no longer lists. A rule still in use cannot be
    removed: the whole import is refused, naming it. Records not yet queued get their due
    dates recomputed under the new rules. Each rule added, changed or removed gets a new version
    in its history (retention.rule_history), with `reason`. Audited.

    Long: one pass over the rules, then the versions, the recomputation and the audit entry,
    all in the caller's transaction; split, the steps would pass half a schedule between them."""
    require_records_manager(actor, "change the retention schedule")
    wanted = schedule.by_code()
    existing = {row.code: row for row in session.scalars(select(RetentionRule))}
    removed = sorted(set(existing) - set(wanted)) if remove_missing else []
    for code in removed:
        usage = rule_usage(session, code)
        if usage.in_use:
            _refuse_in_use(usage, actor, "removed from the schedule")
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    recalculate: set[str] = set()  # rules whose due dates may come out differently
    fy_before = fy_start_month(session)
    now = clock.now()
    for code, rule in wanted.items():
        row = existing.get(code)
        if row is None:
            row = RetentionRule(code=code, updated_at=now)
            write_row(row, rule)
            session.add(row)
            added.append(code)
            continue
        before = rule_from_row(row)
        if before != rule:
            write_row(row, rule)
            row.updated_at = now
            updated.append(code)
        else:
            unchanged.append(code)
        if _timing(before) != _timing(rule) or (
            fy_before != schedule.fy_start_month and rule.cutoff is Cutoff.FINANCIAL_YEAR_END
        ):
            recalculate.add(code)
    changes = [
        *((code, ADDED, rule_as_dict(wanted[code])) for code in added),
        *((code, UPDATED, rule_as_dict(wanted[code])) for code in updated),
        *((code, REMOVED, None) for code in removed),
    ]
    versions = note_versions(
        session, changes, by=actor.username, reason=reason, source=source, at=now
    )
    if removed:
        session.execute(delete(RetentionRule).where(RetentionRule.code.in_(removed)))
    set_state(session, FY_STATE_KEY, str(schedule.fy_start_month))
    session.flush()
    recomputed = 0
    if recompute_records and (added or recalculate or removed):
        recomputed = recompute(
            session, fy_start_month=schedule.fy_start_month, rules_changed=recalculate
        )
        note_redated(versions, recomputed, retimed=recalculate)
    result = ImportResult(
        sorted(added),
        sorted(updated),
        sorted(unchanged),
        removed,
        schedule.fy_start_month,
        recomputed,
    )
    audit.record(
        session,
        actor.username,
        "retention.schedule.import",
        "retention_schedule",
        source or "schedule",
        {k: v for k, v in result.as_dict().items() if k != "unchanged"},
    )
    return result


def _timing(rule: Rule) -> tuple[Any, ...]:
    """What a rule's due dates depend on."""
    return (rule.trigger, rule.cutoff, rule.period, rule.action)


def delete_rule(session: Session, code: str, *, actor: Principal) -> None:
    """Remove one rule from the schedule; refused while a node, record or open queue item
    uses it. Audited."""
    require_records_manager(actor, "change the retention schedule")
    row = session.scalar(select(RetentionRule).where(RetentionRule.code == code))
    if row is None:
        raise NotFoundError(f"no retention rule {code!r} in the schedule")
    usage = rule_usage(session, code)
    if usage.in_use:
        _refuse_in_use(usage, actor, "deleted")
    note_versions(
        session, [(code, REMOVED, None)], by=actor.username, reason="", source="", at=clock.now()
    )
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor.username,
        "retention.rule.delete",
        "retention_rule",
        code,
        {"title": row.title},
    )


# --- which rule reaches a node or a record ------------------------------------------------------


def class_rule(session: Session, node: FilePlanNode) -> tuple[Rule | None, str | None]:
    """The rule a class or folder carries or inherits, and the code of the node it is set on.
    (None, None) when no node on its path names a rule; (None, code) when the named rule is
    not in the schedule."""
    for candidate in reversed(node.path()):
        if candidate.retention_rule:
            rules = rules_by_code(session)
            return rules.get(candidate.retention_rule), candidate.code
    return None, None


def effective_rules(
    session: Session, document: Document, place: FilePlanNode | None = None
) -> list[Rule]:
    """The rules that reach a record in one of its locations (`place`, its own node unless
    given): that location's class's (nearest on its path) and its own."""
    place = place if place is not None else document.node
    if place is None:
        return []
    rules = rules_by_code(session)
    found: list[Rule] = []
    for candidate in reversed(place.path()):
        if candidate.retention_rule:
            if candidate.retention_rule in rules:
                found.append(rules[candidate.retention_rule])
            break
    own = rules.get(document.retention_rule or "")
    if own is not None and own not in found:
        found.append(own)
    return found


def folder_closed_on(node: FilePlanNode | None) -> date | None:
    """When the folder a record sits in was closed (the nearest closed folder on its path)."""
    while node is not None and node.is_folder:
        if node.closed and node.closed_at is not None:
            return node.closed_at.date()
        node = node.parent
    return None


def record_dates(
    session: Session, document: Document, place: FilePlanNode | None = None
) -> RecordDates:
    """What the rules need to know about one record in one of its locations (`place`, its own
    node unless given), including events recorded for it, its folder or any node above it."""
    place = place if place is not None else document.node
    path_ids = [n.id for n in place.path()] if place is not None else []
    condition = RetentionEvent.document_id == document.id
    if path_ids:
        condition = or_(condition, RetentionEvent.node_id.in_(path_ids))
    events = tuple(
        (name, day)
        for name, day in session.execute(
            select(RetentionEvent.name, RetentionEvent.occurred_on).where(condition)
        )
    )
    return RecordDates(
        created=document.created_at.date(),
        declared=document.declared_at.date() if document.declared_at else None,
        last_modified=document.modified_at.date(),
        folder_closed=folder_closed_on(place),
        events=events,
    )


def disposal_of(
    session: Session, document: Document, *, fy_start: int | None = None
) -> Disposal | None:
    """The deciding rule and dates for one record, computed now; None if no rule reaches it.
    A record linked into further classes or folders is decided in each of its locations and
    the longest retention wins (as retention.recompute does)."""
    fy = fy_start if fy_start is not None else fy_start_month(session)
    outcomes = [
        decide(rules, record_dates(session, document, place), fy)
        for place in document.locations
        if (rules := effective_rules(session, document, place))
    ]
    return longest(outcomes) if outcomes else None


def _open_item(session: Session, document_id: int) -> DisposalItem | None:
    return session.scalar(
        select(DisposalItem)
        .where(DisposalItem.document_id == document_id, DisposalItem.status.in_(OPEN_STATUSES))
        .order_by(DisposalItem.id.desc())
        .limit(1)
    )


def retention_of(session: Session, document: Document) -> dict[str, Any]:
    """A record's retention for `doc show --json` and the pages: keys `rule`, `due` (ISO date
    or None), `action`, `state` (pending | scheduled | permanent | none | destroyed), `holds`
    (ids of active holds), and more detail (`title`, `authority`, `describe`, `trigger_on`,
    `review_on`, `inherited_from`, `queue`)."""
    holds = [h.id for h in holds_covering(session, document)]
    base: dict[str, Any] = {
        "rule": None,
        "title": None,
        "authority": None,
        "describe": None,
        "inherited_from": None,
        "trigger_on": None,
        "due": None,
        "review_on": None,
        "action": None,
        "state": "none",
        "holds": holds,
        "queue": None,
    }
    if document.status == "destroyed":
        return {**base, "state": "destroyed"}
    disposal = disposal_of(session, document)
    if disposal is None:
        return base
    rule = disposal.rule
    inherited_from: str | None
    if document.retention_rule == rule.code:
        inherited_from = "record"
    else:  # the location whose rule won (its own node first)
        inherited_from = next(
            (
                code
                for place in document.locations
                for found, code in (class_rule(session, place),)
                if found is not None and found.code == rule.code
            ),
            None,
        )
    stored = session.get(RecordRetention, document.id)
    review_on = stored.review_on if stored is not None else None
    due = review_on or disposal.due_on
    item = _open_item(session, document.id)
    return {
        **base,
        "rule": rule.code,
        "title": rule.title,
        "authority": rule.authority,
        "describe": rule.describe(),
        "inherited_from": inherited_from,
        "trigger_on": disposal.trigger_on.isoformat() if disposal.trigger_on else None,
        "due": due.isoformat() if due else None,
        "review_on": review_on.isoformat() if review_on else None,
        "action": rule.action.value,
        "state": disposal.state,
        "queue": (
            {"id": item.id, "status": item.status, "stage": item.stage, "stages": item.stages}
            if item is not None
            else None
        ),
    }


# --- plain-words consequences -----------------------------------------------------------------


def month_year(day: date) -> str:
    return day.strftime("%B %Y")


def _pending_phrase(rule: Rule) -> str:
    kind = rule.trigger_kind
    what = {
        Trigger.DECLARED: "it is declared a record",
        Trigger.FOLDER_CLOSED: "its folder is closed",
        Trigger.EVENT: f"the event {rule.event_name}",
        Trigger.CREATED: "it was created",
        Trigger.LAST_MODIFIED: "it was last changed",
    }[kind]
    cut = {
        None: "",
        Cutoff.MONTH_END: "the end of the month in which ",
        Cutoff.YEAR_END: "the end of the year in which ",
        Cutoff.FINANCIAL_YEAR_END: "the end of the financial year in which ",
    }[rule.cutoff]
    return f"{rule.period} after {cut}{what}"


def consequence_of(rule: Rule | None, *, filed_on: date, fy_start: int) -> str:
    """What filing a record under `rule` on `filed_on` means, in plain words."""
    if rule is None:
        return "no retention rule reaches it, so nothing can be filed here"
    if rule.permanent:
        return "kept permanently"
    outcome = ACTION_OUTCOME[rule.action]
    if rule.trigger_kind in (Trigger.CREATED, Trigger.LAST_MODIFIED):
        due = due_date(rule, filed_on, fy_start)
        assert due is not None
        return f"kept until {month_year(due)}, then {outcome}"
    return f"{outcome} {_pending_phrase(rule)}"


def consequence(session: Session, node_code: str) -> str:
    """The consequence of filing a record in a class or folder today, e.g. "kept until March
    2032, then destroyed" or "destroyed 6 years after the event employee_left"."""
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == node_code))
    if node is None:
        raise NotFoundError(f"file-plan node {node_code!r} not found")
    rule, _where = class_rule(session, node)
    today = clock.now().date()
    if (
        rule is not None
        and rule.trigger_kind is Trigger.FOLDER_CLOSED
        and (closed := folder_closed_on(node)) is not None
    ):
        due = due_date(rule, closed, fy_start_month(session))
        assert due is not None
        return f"kept until {month_year(due)}, then {ACTION_OUTCOME[rule.action]}"
    return consequence_of(rule, filed_on=today, fy_start=fy_start_month(session))


def rule_as_dict(rule: Rule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "title": rule.title,
        "trigger": rule.trigger,
        "cutoff": rule.cutoff.value if rule.cutoff else None,
        "period": {
            "years": rule.period.years,
            "months": rule.period.months,
            "days": rule.period.days,
        },
        "action": rule.action.value,
        "review_stages": rule.review_stages,
        "authority": rule.authority,
        "description": rule.description,
        "describe": rule.describe(),
    }


def show(session: Session, code: str) -> dict[str, Any]:
    """`edrm retention show CODE`: a rule (with the nodes using it) or a class/folder (with the
    rule that applies to it and where it is inherited from)."""
    row = session.scalar(select(RetentionRule).where(RetentionRule.code == code))
    if row is not None:
        rule = rule_from_row(row)
        usage = rule_usage(session, code)
        return {
            "kind": "rule",
            "rule": rule_as_dict(rule),
            "used_by": {"nodes": usage.nodes, "documents": usage.documents},
            "example": consequence_of(
                rule, filed_on=clock.now().date(), fy_start=fy_start_month(session)
            ),
        }
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))
    if node is None:
        raise NotFoundError(f"{code!r} is neither a retention rule nor a file-plan node")
    applied, where = class_rule(session, node)
    named = next((n.retention_rule for n in reversed(node.path()) if n.retention_rule), None)
    return {
        "kind": "node",
        "node": {"code": node.code, "title": node.title, "kind": node.kind_value},
        "rule_code": named,
        "rule": rule_as_dict(applied) if applied is not None else None,
        "inherited_from": where if where != node.code else None,
        "set_here": where == node.code,
        "unknown_rule": named is not None and applied is None,
        "consequence": consequence(session, node.code),
        "fy_start_month": fy_start_month(session),
    }
