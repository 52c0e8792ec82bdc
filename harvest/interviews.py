"""Harvest interviews: question banks and templates from config/interviews.toml, a plan per
leaver pre-filled with the template's questions and the leaver's top three at-risk classes,
sessions recording answers, attendees and follow-ups, approval by the leaver and the line
manager, and filing the approved write-up as a record.

Drafts (a plan and its sessions until filed) are seen only by HR, the leaver, the line manager
and the successor, and every view of one is audited. Answers are kept as plain text (paragraphs
separated by blank lines; no HTML is ever stored or rendered from them).

The filed record: in the top at-risk class (or the configured knowledge class), marked as HR
chose (default OFFICIAL-SENSITIVE), creator the leaver, owner (filer) the successor, related to
the leaver's sole-created records, declared a record with its own retention rule, and indexed
through the outbox like any document. It never contains the leaving reason or the risk scores.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, may_file_into
from edrm.documents.models import Document, DocumentText
from edrm.documents.service import NewDocument, create_document, declare_record
from edrm.errors import AuditNote, InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking
from edrm.storage import BlobStore
from harvest.harvest_config import HarvestConfig
from harvest.leavers import (
    approvals_of,
    find_user,
    involvement,
    is_hr,
    leaver_by_username,
    name_of,
    plan_of,
    username_of,
)
from harvest.models import HarvestApproval, HarvestPlan, HarvestSession, Leaver, Profile
from harvest.risk import (
    assess_leaver,
    leaver_user,
    sole_created_document_ids,
    today_date,
    top_at_risk,
    window_start,
)

MAX_ANSWER = 20_000
MAX_ITEM = 500
MAX_ITEMS = 50
APPROVERS = ("leaver", "line_manager")
APPROVER_LABELS = {"leaver": "the leaver", "line_manager": "the line manager"}
PARTICIPANTS = {"hr", "leaver", "line_manager", "successor"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- question banks -------------------------------------------------------------------------


@dataclass(frozen=True)
class BankQuestion:
    id: str
    text: str


@dataclass(frozen=True)
class Bank:
    id: str
    title: str
    questions: tuple[BankQuestion, ...]


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    banks: tuple[str, ...]
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionBanks:
    banks: dict[str, Bank]
    templates: dict[str, Template]
    focus: Bank

    def template_for_role(self, role_title: str) -> str:
        """The first template whose role words appear in the job title; else "default"."""
        title = role_title.lower()
        for template in self.templates.values():
            if any(word in title for word in template.roles):
                return template.id
        return "default"


def _questions(where: str, raw: Any) -> tuple[BankQuestion, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInputError(f"{where}: questions: give a list of {{ id, text }}")
    seen: set[str] = set()
    out = []
    for n, q in enumerate(raw, start=1):
        if not isinstance(q, dict) or not str(q.get("id", "")).strip() or not q.get("text"):
            raise InvalidInputError(f"{where}: question {n}: needs an id and a text")
        qid = str(q["id"]).strip()
        if qid in seen:
            raise InvalidInputError(f"{where}: question {n}: duplicate id {qid!r}")
        seen.add(qid)
        out.append(BankQuestion(qid, str(q["text"]).strip()))
    return tuple(out)


def parse_question_banks(data: dict[str, Any], *, source: str = "interviews.toml") -> QuestionBanks:
    banks = {
        bid: Bank(
            bid,
            str(raw.get("title", bid)),
            _questions(f"{source}: banks.{bid}", raw.get("questions")),
        )
        for bid, raw in (data.get("banks") or {}).items()
    }
    templates: dict[str, Template] = {}
    for tid, raw in (data.get("templates") or {}).items():
        chosen = tuple(str(b) for b in raw.get("banks", []))
        unknown = [b for b in chosen if b not in banks]
        if not chosen or unknown:
            raise InvalidInputError(
                f"{source}: templates.{tid}: "
                + (f"unknown bank(s) {', '.join(unknown)}" if unknown else "name its banks")
            )
        roles = tuple(str(r).lower() for r in raw.get("roles", []))
        templates[tid] = Template(tid, str(raw.get("title", tid)), chosen, roles)
    if "default" not in templates:
        raise InvalidInputError(f"{source}: a template named 'default' is required")
    focus_raw = data.get("focus") or {}
    focus = Bank(
        "focus",
        str(focus_raw.get("title", "Knowledge at risk")),
        _questions(f"{source}: focus", focus_raw.get("questions")),
    )
    return QuestionBanks(banks, templates, focus)


def load_question_banks(config_dir: Path) -> QuestionBanks:
    path = config_dir / "interviews.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: the question banks are missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path}: {exc}") from None
    return parse_question_banks(data, source=str(path))


def plan_questions(
    banks: QuestionBanks, template_id: str, focus: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The template's questions, bank by bank, then the focus questions for each (code, title)
    at-risk class. Each: id (unique in the plan), bank, bank_title, text, class_code."""
    template = banks.templates.get(template_id)
    if template is None:
        raise InvalidInputError(
            f"template {template_id!r}: use one of {', '.join(sorted(banks.templates))}"
        )
    out: list[dict[str, Any]] = []
    for bank_id in template.banks:
        bank = banks.banks[bank_id]
        for q in bank.questions:
            out.append(
                {
                    "id": f"{bank.id}.{q.id}",
                    "bank": bank.id,
                    "bank_title": bank.title,
                    "text": q.text,
                    "class_code": None,
                }
            )
    for code, title in focus:
        for q in banks.focus.questions:
            out.append(
                {
                    "id": f"focus.{code}.{q.id}",
                    "bank": "focus",
                    "bank_title": f"{banks.focus.title}: {code} {title}",
                    "text": q.text.replace("{code}", code).replace("{title}", title),
                    "class_code": code,
                }
            )
    return out


# --- plans ------------------------------------------------------------------------------------


def _refuse(actor: Principal, action: str, username: str, message: str) -> RefusedError:
    return RefusedError(
        message, audit=AuditNote(actor.username, action, "leaver", username, {"reason": message})
    )


def start_plan(
    session: Session,
    username: str,
    *,
    actor: Principal,
    config: HarvestConfig,
    banks: QuestionBanks,
    template: str | None = None,
) -> HarvestPlan:
    """HR starts the leaver's harvest from a template (chosen by their job title when not
    given), pre-filled with its question banks and the top three at-risk classes."""
    leaver = leaver_by_username(session, username)
    if not is_hr(actor):
        raise NotFoundError(f"leaver {username!r}: not found")
    if plan_of(session, leaver) is not None:
        raise InvalidInputError(f"{username} already has a harvest plan")
    profile, user = leaver_user(session, leaver)
    template_id = template or banks.template_for_role(profile.role_title or "")
    risk = assess_leaver(session, leaver, config)
    focus = top_at_risk(risk.classes, 3)
    plan = HarvestPlan(
        leaver_id=leaver.id,
        template=template_id,
        questions=plan_questions(
            banks, template_id, [(c.class_code, c.class_title) for c in focus]
        ),
        focus_classes=[c.class_code for c in focus],
        status="draft",
        marking=config.default_marking,
        target_class=None,
        record_document_id=None,
        created_at=clock.now(),
        created_by=actor.username,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor.username,
        "harvest.plan",
        "harvest_plan",
        plan.id,
        {"leaver": user.username, "template": template_id, "focus": plan.focus_classes},
    )
    return plan


@dataclass(frozen=True)
class PlanView:
    """A plan as one participant sees it."""

    leaver: Leaver
    plan: HarvestPlan
    roles: frozenset[str]  # how the viewer takes part: hr, leaver, line_manager, successor
    sessions: tuple[HarvestSession, ...]
    approvals: dict[str, HarvestApproval]

    @property
    def missing_approvals(self) -> list[str]:
        return [r for r in APPROVERS if r not in self.approvals]

    @property
    def may_edit(self) -> bool:
        return "hr" in self.roles and self.plan.status != "filed"

    @property
    def may_file(self) -> bool:
        return "hr" in self.roles and self.plan.status == "approved"

    @property
    def approver_role(self) -> str | None:
        """The approval this viewer may give, if any (and has not given yet)."""
        if self.plan.status == "filed":
            return None
        for role in APPROVERS:
            if role in self.roles and role not in self.approvals:
                return role
        return None


def _participant(session: Session, leaver: Leaver, actor: Principal, username: str) -> set[str]:
    roles = involvement(session, leaver, actor)
    if not roles & PARTICIPANTS:
        raise NotFoundError(f"harvest plan for {username!r}: not found")
    return roles


def open_plan(
    session: Session, username: str, actor: Principal, *, audited: bool = True
) -> PlanView:
    """The leaver's plan for a participant (not found for anyone else). A view of a draft is
    audited."""
    leaver = leaver_by_username(session, username)
    roles = _participant(session, leaver, actor, username)
    plan = plan_of(session, leaver)
    if plan is None:
        raise NotFoundError(f"{username} has no harvest plan yet")
    if audited and plan.status != "filed":
        audit.record(
            session,
            actor.username,
            "harvest.draft.view",
            "harvest_plan",
            plan.id,
            {"leaver": username, "as": sorted(roles)},
        )
    sessions = tuple(
        session.scalars(
            select(HarvestSession)
            .where(HarvestSession.plan_id == plan.id)
            .order_by(HarvestSession.id)
        )
    )
    return PlanView(leaver, plan, frozenset(roles), sessions, approvals_of(session, plan))


def plans_for(session: Session, actor: Principal) -> list[tuple[str, str, HarvestPlan, set[str]]]:
    """The harvest plans this person takes part in as leaver, line manager or successor:
    (leaver username, leaver name, plan, roles)."""
    if actor.user_id is None:
        return []
    profile = session.scalar(select(Profile).where(Profile.user_id == actor.user_id))
    if profile is None:
        return []
    leavers = session.scalars(
        select(Leaver).where(
            (Leaver.profile_id == profile.id)
            | (Leaver.line_manager_id == profile.id)
            | (Leaver.successor_id == profile.id)
        )
    )
    out = []
    for leaver in leavers:
        plan = plan_of(session, leaver)
        if plan is None:
            continue
        roles = involvement(session, leaver, actor) - {"hr"}
        out.append(
            (
                username_of(session, leaver.profile_id) or "",
                name_of(session, leaver.profile_id) or "",
                plan,
                roles,
            )
        )
    return out


# --- sessions ---------------------------------------------------------------------------------


def clean_text(value: str, *, limit: int = MAX_ANSWER, what: str = "answer") -> str:
    """Plain text: control characters dropped, line ends normalised, trimmed, bounded."""
    text = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) > limit:
        raise InvalidInputError(f"{what}: at most {limit} characters")
    return text


def _items(values: Iterable[str], what: str) -> list[str]:
    out = [clean_text(v, limit=MAX_ITEM, what=what) for v in values]
    out = [v for v in out if v]
    if len(out) > MAX_ITEMS:
        raise InvalidInputError(f"{what}: at most {MAX_ITEMS}")
    return out


def _reset_approvals(session: Session, plan: HarvestPlan, actor: Principal) -> None:
    """A change to the write-up after approval needs approving again."""
    approvals = approvals_of(session, plan)
    if not approvals:
        return
    for approval in approvals.values():
        session.delete(approval)
    plan.status = "draft"
    session.flush()
    audit.record(
        session,
        actor.username,
        "harvest.approvals_reset",
        "harvest_plan",
        plan.id,
        {"was_approved_by": sorted(approvals)},
    )


def record_session(
    session: Session,
    username: str,
    *,
    actor: Principal,
    session_id: int | None = None,
    scheduled_for: date | None = None,
    held_on: date | None = None,
    attendees: Iterable[str] = (),
    answers: Mapping[str, str] | None = None,
    follow_ups: Iterable[str] = (),
) -> HarvestSession:
    """HR records (or updates) an interview session: answers keyed by question id (blank
    answers are dropped), attendees and follow-ups. Any change after approval resets it."""
    view = open_plan(session, username, actor, audited=False)
    plan = view.plan
    if "hr" not in view.roles:
        raise NotFoundError(f"harvest plan for {username!r}: not found")
    if plan.status == "filed":
        raise RefusedError(
            f"the harvest for {username} is filed; its sessions can no longer change"
        )
    known = {q["id"] for q in plan.questions}
    cleaned: dict[str, str] = {}
    for qid, text in (answers or {}).items():
        if qid not in known:
            raise InvalidInputError(f"answer for unknown question {qid!r}")
        value = clean_text(text or "")
        if value:
            cleaned[qid] = value
    if held_on is not None and held_on > today_date():
        raise InvalidInputError("held on: a session cannot be held in the future")
    if session_id is None:
        row = HarvestSession(plan_id=plan.id)
        session.add(row)
        action = "harvest.session.add"
    else:
        found = session.get(HarvestSession, session_id)
        if found is None or found.plan_id != plan.id:
            raise NotFoundError(f"session {session_id} not found")
        row = found
        action = "harvest.session.update"
    row.scheduled_for = scheduled_for
    row.held_on = held_on
    row.attendees = _items(attendees, "attendees")
    row.answers = cleaned
    row.follow_ups = _items(follow_ups, "follow-ups")
    row.updated_at = clock.now()
    row.updated_by = actor.username
    session.flush()
    _reset_approvals(session, plan, actor)
    audit.record(
        session,
        actor.username,
        action,
        "harvest_plan",
        plan.id,
        {"session": row.id, "answers": len(cleaned), "held_on": held_on and held_on.isoformat()},
    )
    return row


def answers_by_question(view: PlanView) -> dict[str, list[tuple[HarvestSession, str]]]:
    """Every session's answer to each question, in session order."""
    out: dict[str, list[tuple[HarvestSession, str]]] = {}
    for row in view.sessions:
        for qid, text in (row.answers or {}).items():
            out.setdefault(qid, []).append((row, text))
    return out


# --- approval and filing ------------------------------------------------------------------------


def approve(session: Session, username: str, *, actor: Principal) -> HarvestApproval:
    """The leaver or the line manager approves the write-up; with both, the plan is approved."""
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
    role = next((r for r in mine if r not in view.approvals), mine[0])
    approval = view.approvals.get(role)
    if approval is None:
        approval = HarvestApproval(
            plan_id=plan.id, role=role, approved_by=actor.username, approved_at=clock.now()
        )
        session.add(approval)
        session.flush()
        audit.record(
            session, actor.username, "harvest.approve", "harvest_plan", plan.id, {"as": role}
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
    plan, leaver = view.plan, view.leaver
    if "hr" not in view.roles:
        raise NotFoundError(f"harvest plan for {username!r}: not found")
    if plan.status == "filed":
        raise RefusedError(f"the harvest for {username} is already filed")
    missing = view.missing_approvals
    if missing:
        if "line_manager" in missing and leaver.line_manager_id is None:
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
    successor = username_of(session, leaver.successor_id)
    if successor is None:
        raise InvalidInputError(f"register a successor for {username} before filing")
    successor_user = find_user(session, successor)
    profile, user = leaver_user(session, leaver)
    node = _target_node(session, plan, actor, config, class_code)
    requested = Marking.parse(marking) if marking else Marking.parse(config.default_marking)
    if not marking:
        requested = Marking.highest(requested, *(n.marking for n in node.path()))
    leaver_name = profile.name or user.full_name or user.username
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
    document.filed_by_id = successor_user.id  # the successor owns it from now on
    plan.status = "filed"
    plan.record_document_id = document.id
    plan.target_class = node.class_node().code
    plan.marking = document.marking_value
    plan.filed_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor.username,
        "harvest.file",
        "harvest_plan",
        plan.id,
        {
            "leaver": user.username,
            "document": document.id,
            "class": node.code,
            "marking": document.marking_value,
            "owner": successor,
            "linked": len(document.relations),
        },
    )
    return document


def paragraphs(text: str) -> list[str]:
    """Plain-text answer → paragraphs for display (split on blank lines)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
