"""Interview sessions: HR records each session's answers (plain text, keyed by question),
attendees and follow-ups; a change after approval resets the approvals.

Every change is audited, in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from harvest.interviews.plans import PlanView, open_plan
from harvest.leavers import approvals_of
from harvest.models import HarvestPlan, HarvestSession
from harvest.notices import ask_for_approval
from harvest.risk import today_date

MAX_ANSWER = 20_000
MAX_ITEM = 500
MAX_ITEMS = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
    ask_for_approval(session, plan)
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


def paragraphs(text: str) -> list[str]:
    """Plain-text answer → paragraphs for display (split on blank lines)."""
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


# --- one part at a time: the task-list pages save a session's details, one question group's
# answers, or its follow-ups, leaving the rest of the session as it was -----------------------


def _editable(session: Session, username: str, actor: Principal) -> PlanView:
    view = open_plan(session, username, actor, audited=False)
    if "hr" not in view.roles:
        raise NotFoundError(f"harvest plan for {username!r}: not found")
    if view.plan.status == "filed":
        raise RefusedError(
            f"the harvest for {username} is filed; its sessions can no longer change"
        )
    return view


def _row(session: Session, view: PlanView, session_id: int) -> HarvestSession:
    found = session.get(HarvestSession, session_id)
    if found is None or found.plan_id != view.plan.id:
        raise NotFoundError(f"session {session_id} not found")
    return found


def _saved(
    session: Session,
    view: PlanView,
    row: HarvestSession,
    actor: Principal,
    action: str,
    detail: dict[str, object],
    *,
    changed: bool,
) -> HarvestSession:
    """Note who changed the session; a change to the write-up after approval resets it."""
    row.updated_at = clock.now()
    row.updated_by = actor.username
    session.flush()
    if changed:
        _reset_approvals(session, view.plan, actor)
        ask_for_approval(session, view.plan)
    audit.record(
        session, actor.username, action, "harvest_plan", view.plan.id, {"session": row.id, **detail}
    )
    return row


def save_details(
    session: Session,
    username: str,
    *,
    actor: Principal,
    session_id: int | None = None,
    scheduled_for: date | None = None,
    held_on: date | None = None,
    attendees: Iterable[str] = (),
) -> HarvestSession:
    """HR starts a session (session_id None) or changes when it was planned or held and who
    attended; its answers and follow-ups are left as they are."""
    view = _editable(session, username, actor)
    if held_on is not None and held_on > today_date():
        raise InvalidInputError("held on: a session cannot be held in the future")
    people = _items(attendees, "attendees")
    if session_id is None:
        row = HarvestSession(plan_id=view.plan.id, answers={}, follow_ups=[])
        session.add(row)
        action, changed = "harvest.session.add", False
    else:
        row = _row(session, view, session_id)
        action = "harvest.session.update"
        changed = (row.scheduled_for, row.held_on, row.attendees) != (
            scheduled_for,
            held_on,
            people,
        )
    row.scheduled_for, row.held_on, row.attendees = scheduled_for, held_on, people
    return _saved(
        session,
        view,
        row,
        actor,
        action,
        {"held_on": held_on and held_on.isoformat()},
        changed=changed,
    )


def save_answers(
    session: Session,
    username: str,
    *,
    actor: Principal,
    session_id: int,
    answers: Mapping[str, str],
) -> HarvestSession:
    """HR saves the answers to some of the plan's questions in one session (one question
    group's page): each given question's answer is replaced, a blank one removed; answers to
    other questions stay."""
    view = _editable(session, username, actor)
    row = _row(session, view, session_id)
    known = {q["id"] for q in view.plan.questions}
    merged = dict(row.answers or {})
    for qid, text in answers.items():
        if qid not in known:
            raise InvalidInputError(f"answer for unknown question {qid!r}")
        value = clean_text(text or "")
        if value:
            merged[qid] = value
        else:
            merged.pop(qid, None)
    changed = merged != (row.answers or {})
    row.answers = merged
    return _saved(
        session,
        view,
        row,
        actor,
        "harvest.session.answers",
        {"answers": len(merged), "questions": sorted(answers)},
        changed=changed,
    )


def save_follow_ups(
    session: Session,
    username: str,
    *,
    actor: Principal,
    session_id: int,
    follow_ups: Iterable[str],
) -> HarvestSession:
    """HR records what needs doing after the session, and by whom."""
    view = _editable(session, username, actor)
    row = _row(session, view, session_id)
    items = _items(follow_ups, "follow-ups")
    changed = items != (row.follow_ups or [])
    row.follow_ups = items
    return _saved(
        session,
        view,
        row,
        actor,
        "harvest.session.follow_ups",
        {"follow_ups": len(items)},
        changed=changed,
    )


def plan_as_dict(view: PlanView) -> dict[str, Any]:
    """A plan as the API and `edrm leavers plan show --json` give it: questions with their
    answers, sessions, approvals and the filed record."""
    answers = answers_by_question(view)
    return {
        "status": view.plan.status,
        "template": view.plan.template,
        "focus_classes": view.plan.focus_classes,
        "questions": [
            {**q, "answers": [text for _s, text in answers.get(q["id"], [])]}
            for q in view.plan.questions
        ],
        "sessions": [
            {
                "id": s.id,
                "scheduled_for": s.scheduled_for.isoformat() if s.scheduled_for else None,
                "held_on": s.held_on.isoformat() if s.held_on else None,
                "attendees": s.attendees,
                "follow_ups": s.follow_ups,
            }
            for s in view.sessions
        ],
        "approved_by": {role: a.approved_by for role, a in view.approvals.items()},
        "record_document_id": view.plan.record_document_id,
    }
