"""How far a harvest has got: its questions in groups (one question bank, or one at-risk class,
each) with a status, how many questions are still unanswered, and the approvals waiting for
someone.

A question counts as answered when any session has an answer to it: the write-up is every
session's answers together. Pure over a PlanView except `waiting_for`, which reads the plans
the person takes part in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from edrm.access import Principal
from harvest.interviews.plans import APPROVERS, PlanView, open_plan, plans_for
from harvest.interviews.sessions import answers_by_question

NOT_STARTED, IN_PROGRESS, COMPLETED = "not started", "in progress", "completed"


@dataclass(frozen=True)
class QuestionGroup:
    """One page of the interview: a bank's questions, or the focus questions of one class."""

    number: int  # 1-based, in the plan's order
    title: str
    questions: tuple[dict[str, Any], ...]
    answered: int

    @property
    def status(self) -> str:
        if self.answered == 0:
            return NOT_STARTED
        return COMPLETED if self.answered == len(self.questions) else IN_PROGRESS


def question_groups(view: PlanView) -> list[QuestionGroup]:
    """The plan's questions grouped as they were planned (bank by bank, then each class)."""
    answered = set(answers_by_question(view))
    runs: list[tuple[str, list[dict[str, Any]]]] = []
    for q in view.plan.questions:
        if not runs or runs[-1][0] != q["bank_title"]:
            runs.append((q["bank_title"], []))
        runs[-1][1].append(q)
    return [
        QuestionGroup(n, title, tuple(qs), sum(1 for q in qs if q["id"] in answered))
        for n, (title, qs) in enumerate(runs, start=1)
    ]


def unanswered(view: PlanView) -> int:
    """How many of the plan's questions no session has answered."""
    answered = set(answers_by_question(view))
    return sum(1 for q in view.plan.questions if q["id"] not in answered)


@dataclass(frozen=True)
class Task:
    """Something waiting for the person: approving a leaver's write-up."""

    username: str  # the leaver's
    leaver_name: str
    role: str  # leaver or line_manager

    @property
    def text(self) -> str:
        if self.role == "leaver":
            return "Approve the write-up of your knowledge harvest"
        return f"Approve the knowledge harvest write-up for {self.leaver_name}"


def waiting_for(session: Session, actor: Principal) -> list[Task]:
    """The write-ups this person should approve: as the leaver or their line manager, on a
    plan not yet filed that has answers and lacks their approval."""
    tasks = []
    for username, name, plan, roles in plans_for(session, actor):
        mine = [r for r in APPROVERS if r in roles]
        if not mine or plan.status == "filed":
            continue
        view = open_plan(session, username, actor, audited=False)
        if not answers_by_question(view):
            continue
        tasks += [Task(username, name, r) for r in mine if r not in view.approvals]
    return tasks
