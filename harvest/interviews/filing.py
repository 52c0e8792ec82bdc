"""Approving and filing a harvest: the leaver and the line manager approve the write-up, then
HR files it as a record.

The filed record: in the top at-risk class (or the configured knowledge class), marked as HR
chose (default OFFICIAL-SENSITIVE), creator the leaver, owner (filer) the successor, related to
the leaver's sole-created records, declared a record with its own retention rule, and indexed
through the outbox like any document. It never contains the leaving reason or the risk scores.

Crash story: everything happens in the caller's transaction except storing the write-up's
bytes, which comes first; if the transaction then rolls back, the blob is left unreferenced
and filing again stores the same bytes under the same hash (the store keeps them once).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, may_file_into
from edrm.documents.models import Document, DocumentText
from edrm.documents.service import NewDocument, create_document, declare_record
from edrm.errors import AuditNote, InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking
from edrm.people.models import User
from edrm.storage import BlobStore
from harvest.interviews.plans import APPROVER_LABELS, APPROVERS, PlanView, open_plan
from harvest.interviews.progress import unanswered
from harvest.interviews.sessions import answers_by_question
from harvest.leavers import approvals_of, find_user, name_of, username_of
from harvest.loader import HarvestConfig
from harvest.models import HarvestApproval, HarvestPlan, Leaver
from harvest.risk import leaver_user, sole_created_document_ids, today_date, window_start


def _refuse(actor: Principal, action: str, username: str, message: str) -> RefusedError:
    return RefusedError(
        message, audit=AuditNote(actor.username, action, "leaver", username, {"reason": message})
    )


def approve(
    session: Session, username: str, *, actor: Principal, accept_unanswered: bool = True
) -> HarvestApproval:
    """The leaver or the line manager approves the write-up; with both, the plan is approved.
    With `accept_unanswered` false, a write-up with questions still unanswered is refused
    (the pages ask the person to confirm "approve anyway" first)."""
    view = open_plan(session, username, actor, audited=False)
    plan = view.plan
    if plan.status == "filed":
        raise RefusedError(f"the harvest for {username} is already filed")
    mine = [r for r in APPROVERS if r in view.roles]
    if not mine:
        raise _refuse(
            actor,
            "harvest.approve.refused",
            username,
            "only the leaver and their line manager approve a harvest write-up",
        )
    if not any(row.answers for row in view.sessions):
        raise InvalidInputError("there is nothing to approve yet: no session has any answers")
    missing = unanswered(view)
    if missing and not accept_unanswered:
        raise InvalidInputError(
            f"{missing} of {len(plan.questions)} questions have no answer: "
            "confirm that you approve the write-up anyway"
        )
    role = next((r for r in mine if r not in view.approvals), mine[0])
    approval = view.approvals.get(role)
    if approval is None:
        approval = HarvestApproval(
            plan_id=plan.id, role=role, approved_by=actor.username, approved_at=clock.now()
        )
        session.add(approval)
        session.flush()
        audit.record(
            session,
            actor.username,
            "harvest.approve",
            "harvest_plan",
            plan.id,
            {"as": role, "unanswered": missing},
        )
    if all(r in approvals_of(session, plan) for r in APPROVERS):
        plan.status = "approved"
        session.flush()
    return approval


def _target_node(
    session: Session,
    plan: HarvestPlan,
    actor: Principal,
    config: HarvestConfig,
    chosen: str | None,
) -> FilePlanNode:
    if chosen:
        candidates = [chosen]
    else:
        candidates = [c for c in (plan.target_class,) if c]
        if config.file_in == "top-class":
            candidates += plan.focus_classes[:1]
        candidates.append(config.knowledge_class)
    for code in candidates:
        node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))
        if (
            node is not None
            and node.kind_value in ("activity", "transaction", "folder")
            and not node.closed
            and may_file_into(actor, node)
        ):
            return node
    raise InvalidInputError(
        f"no class to file the harvest in (tried {', '.join(candidates)}); choose one"
    )


def write_up(session: Session, view: PlanView, leaver_name: str) -> str:
    """The record's text: what was asked and answered, with attendees and follow-ups. Never
    the leaving reason or the risk scores."""
    plan, leaver = view.plan, view.leaver
    lines = [
        f"Knowledge harvest: {leaver_name}",
        "",
        f"Leaving date: {leaver.leaving_date.isoformat()}",
        f"Successor: {name_of(session, leaver.successor_id) or 'not named'}",
        f"Line manager: {name_of(session, leaver.line_manager_id) or 'not named'}",
    ]
    if plan.focus_classes:
        lines.append(f"Areas covered: {', '.join(plan.focus_classes)}")
    for role in APPROVERS:
        approval = view.approvals.get(role)
        if approval is not None:
            lines.append(
                f"Approved by {APPROVER_LABELS[role]} ({approval.approved_by}) on "
                f"{approval.approved_at.date().isoformat()}"
            )
    answers = answers_by_question(view)
    current_bank = None
    for q in plan.questions:
        given = answers.get(q["id"])
        if not given:
            continue
        if q["bank_title"] != current_bank:
            current_bank = q["bank_title"]
            lines += ["", f"## {current_bank}"]
        lines += ["", f"### {q['text']}"]
        for _row, text in given:
            lines += ["", text]
    held = [row for row in view.sessions if row.held_on or row.attendees or row.follow_ups]
    if held:
        lines += ["", "## Sessions"]
        for n, row in enumerate(view.sessions, start=1):
            when = row.held_on.isoformat() if row.held_on else "not held"
            lines += ["", f"Session {n} ({when}): {', '.join(row.attendees) or 'no attendees'}"]
            lines += [f"- Follow-up: {item}" for item in row.follow_ups]
    return "\n".join(lines).strip() + "\n"


def file_harvest(
    session: Session,
    blobs: BlobStore,
    username: str,
    *,
    actor: Principal,
    config: HarvestConfig,
    marking: str | None = None,
    class_code: str | None = None,
) -> Document:
    """HR files the approved write-up as a record (refused until the leaver and the line
    manager both approved it)."""
    view = open_plan(session, username, actor, audited=False)
    _check_ready_to_file(view, username, actor)
    successor = _successor(session, view.leaver, username)
    profile, user = leaver_user(session, view.leaver)
    node = _target_node(session, view.plan, actor, config, class_code)
    requested = _record_marking(node, marking, config)
    leaver_name = profile.name or user.full_name or user.username
    document = _create_record(
        session,
        blobs,
        view,
        user,
        leaver_name,
        node,
        requested,
        successor.username,
        actor=actor,
        config=config,
    )
    _mark_filed(session, view.plan, document, node, successor)
    audit.record(
        session,
        actor.username,
        "harvest.file",
        "harvest_plan",
        view.plan.id,
        {
            "leaver": user.username,
            "document": document.id,
            "class": node.code,
            "marking": document.marking_value,
            "owner": successor.username,
            "linked": len(document.relations),
        },
    )
    return document


def _check_ready_to_file(view: PlanView, username: str, actor: Principal) -> None:
    """Only HR files; a filed harvest is not filed again; both approvals must be given."""
    if "hr" not in view.roles:
        raise NotFoundError(f"harvest plan for {username!r}: not found")
    if view.plan.status == "filed":
        raise RefusedError(f"the harvest for {username} is already filed")
    missing = view.missing_approvals
    if missing:
        if "line_manager" in missing and view.leaver.line_manager_id is None:
            hint = " (no line manager is registered for this leaver)"
        else:
            hint = ""
        raise _refuse(
            actor,
            "harvest.file.refused",
            username,
            "the write-up cannot be filed until it is approved by "
            + " and ".join(APPROVER_LABELS[r] for r in missing)
            + hint,
        )


def _successor(session: Session, leaver: Leaver, username: str) -> User:
    """The successor's account: they own the record once it is filed."""
    successor = username_of(session, leaver.successor_id)
    if successor is None:
        raise InvalidInputError(f"register a successor for {username} before filing")
    return find_user(session, successor)


def _record_marking(node: FilePlanNode, marking: str | None, config: HarvestConfig) -> Marking:
    """The marking HR chose; else the default, raised to the highest marking on the class's
    path."""
    requested = Marking.parse(marking) if marking else Marking.parse(config.default_marking)
    if not marking:
        requested = Marking.highest(requested, *(n.marking for n in node.path()))
    return requested


def _create_record(
    session: Session,
    blobs: BlobStore,
    view: PlanView,
    user: User,
    leaver_name: str,
    node: FilePlanNode,
    requested: Marking,
    successor: str,
    *,
    actor: Principal,
    config: HarvestConfig,
) -> Document:
    """The write-up stored, made a document by the leaver, related to their sole-created
    records, given its text and declared a record."""
    plan, leaver = view.plan, view.leaver
    text = write_up(session, view, leaver_name)
    stored = blobs.put_bytes(text.encode("utf-8"))
    document = create_document(
        session,
        stored.sha256,
        stored.size,
        "text/plain",
        NewDocument(
            filename=f"knowledge-harvest-{user.username}.txt",
            into_code=node.code,
            title=f"Knowledge harvest: {leaver_name}",
            marking=requested.value,
            creator=leaver_name,
            description=f"Knowledge harvested from {leaver_name} before leaving, "
            f"for their successor {name_of(session, leaver.successor_id)}.",
            subject="; ".join(plan.focus_classes),
            doc_type=config.doc_type,
        ),
        actor=actor,
        extra={"harvest": {"plan_id": plan.id, "leaver": user.username, "successor": successor}},
    )
    document.versions[0].created_by = user.username  # the leaver is its author
    document.retention_rule = config.retention_rule
    today = today_date()
    linked = sole_created_document_ids(
        session, user, since=window_start(today, config.window_years), today=today
    )
    document.relations = [
        {"type": "references", "document_id": i} for i in linked if i != document.id
    ]
    session.add(
        DocumentText(document_id=document.id, text=text, pages=[], extracted_at=clock.now())
    )
    session.flush()
    declare_record(session, document.id, actor=actor)
    return document


def _mark_filed(
    session: Session, plan: HarvestPlan, document: Document, node: FilePlanNode, successor: User
) -> None:
    """The successor owns the record from now on; the plan is filed with it."""
    document.filed_by_id = successor.id
    plan.status = "filed"
    plan.record_document_id = document.id
    plan.target_class = node.class_node().code
    plan.marking = document.marking_value
    plan.filed_at = clock.now()
    session.flush()
