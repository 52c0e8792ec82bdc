"""Pages: the harvest plan and its interview sessions, approvals and filing (blueprint
`leavers`, shared with harvest/web/leavers.py).

A session is recorded as a GOV.UK task list: its details (dates, attendees), one page per
question group with "Save and continue", and its follow-ups. The leaver and the line manager
find the write-up waiting for them on their home page and on "Your harvest interviews"; they
are warned, and must confirm, when they approve with questions still unanswered. "File as a
record" is offered only once both have approved.

Who may see what is decided by the services (harvest.interviews): anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select

from edrm.errors import EdrmError, InvalidInputError, NotFoundError
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.home import HOME_TASKS
from edrm.web.runtime import db, rt
from harvest import leavers
from harvest.interviews import filing, plans, progress, sessions
from harvest.web.leavers import _banks, _config, _date_field, _hr_only, _lines, bp

STATUS_TAGS = {
    progress.NOT_STARTED: {"tag": {"text": "Not started", "classes": "govuk-tag--blue"}},
    progress.IN_PROGRESS: {"tag": {"text": "In progress", "classes": "govuk-tag--light-blue"}},
    progress.COMPLETED: {"text": "Completed"},
}


def home_tasks() -> list[dict[str, str]]:
    """The signed-in person's harvest tasks, for the home page: text and link."""
    who = getattr(g, "principal", None)
    if who is None:
        return []
    return [
        {"text": t.text, "href": url_for("leavers.approve", username=t.username)}
        for t in progress.waiting_for(db(), who)
    ]


@bp.record_once
def _offer_home_tasks(state: BlueprintSetupState) -> None:
    state.app.extensions.setdefault(HOME_TASKS, []).append(home_tasks)


@bp.post("/leavers/<username>/plan")
@login_required
def start_plan(username: str) -> Any:
    _hr_only()
    form = ActionForm()
    if form.validate_on_submit():
        try:
            plans.start_plan(
                db(),
                username,
                actor=principal(),
                config=_config(),
                banks=_banks(),
                template=request.form.get("template") or None,
            )
        except InvalidInputError as exc:
            db().rollback()
            flash(str(exc), "error")
            return redirect(url_for("leavers.leaver", username=username))
        flash("Harvest plan started from the question bank.", "success")
    return redirect(url_for("leavers.plan", username=username))


def _plan_context(view: plans.PlanView, username: str) -> dict[str, Any]:
    answers = sessions.answers_by_question(view)
    groups = [
        {
            "number": group.number,
            "title": group.title,
            "status": group.status,
            "questions": [
                {
                    **q,
                    "answers": [
                        {"session": s, "paragraphs": sessions.paragraphs(text)}
                        for s, text in answers.get(q["id"], [])
                    ],
                }
                for q in group.questions
            ],
        }
        for group in progress.question_groups(view)
    ]
    codes = view.plan.focus_classes
    titles = {
        code: title
        for code, title in db().execute(
            select(FilePlanNode.code, FilePlanNode.title).where(FilePlanNode.code.in_(codes))
        )
    }
    return {
        "view": view,
        "username": username,
        "focus_labels": [f"{titles[c]} ({c})" if c in titles else c for c in codes],
        "leaver_name": leavers.name_of(db(), view.leaver.profile_id),
        "successor_name": leavers.name_of(db(), view.leaver.successor_id),
        "manager_name": leavers.name_of(db(), view.leaver.line_manager_id),
        "groups": groups,
        "unanswered": progress.unanswered(view),
        "total": len(view.plan.questions),
        "form": ActionForm(),
    }


@bp.get("/leavers/<username>/plan")
@login_required
def plan(username: str) -> str:
    view = plans.open_plan(db(), username, principal())
    return render_template("harvest/plan.html", **_plan_context(view, username))


# --- approving ----------------------------------------------------------------------------------


@bp.route("/leavers/<username>/plan/approve", methods=["GET", "POST"])
@login_required
def approve(username: str) -> Any:
    """Check, then approve: the count of unanswered questions is shown, and approving with
    any unanswered needs an explicit "approve anyway"."""
    view = plans.open_plan(db(), username, principal(), audited=request.method == "GET")
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            approval = filing.approve(
                db(),
                username,
                actor=principal(),
                accept_unanswered=request.form.get("approve_anyway") == "yes",
            )
        except EdrmError as exc:
            if isinstance(exc, NotFoundError):
                raise
            db().rollback()
            if view.approver_role is None:  # not theirs to approve: say so on the plan
                flash(str(exc), "error")
                return redirect(url_for("leavers.plan", username=username))
            error = str(exc)
        else:
            flash(f"Approved as {approval.role.replace('_', ' ')}.", "success")
            return redirect(url_for("leavers.plan", username=username))
    return render_template(
        "harvest/plan_approve.html", **_plan_context(view, username), error=error
    ), (400 if error else 200)


# --- filing -------------------------------------------------------------------------------------


def _class_choices(view: plans.PlanView) -> tuple[list[tuple[str, str]], str]:
    """The classes offered for filing, (code, label), and the one chosen to start with: the
    configured knowledge class when the file plan has it, else none ("Choose a class")."""
    config = _config()
    codes = list(dict.fromkeys([config.knowledge_class, *view.plan.focus_classes]))
    nodes = {
        n.code: n for n in db().scalars(select(FilePlanNode).where(FilePlanNode.code.in_(codes)))
    }
    choices = []
    for code in codes:
        node = nodes.get(code)
        if node is None:
            continue
        at_risk = code in view.plan.focus_classes and code != config.knowledge_class
        choices.append((code, f"{node.title} ({code}){' – an area at risk' if at_risk else ''}"))
    chosen = config.knowledge_class if config.knowledge_class in nodes else ""
    return choices, chosen


@bp.route("/leavers/<username>/plan/file", methods=["GET", "POST"])
@login_required
def file_plan(username: str) -> Any:
    view = plans.open_plan(db(), username, principal(), audited=request.method == "GET")
    if "hr" not in view.roles:
        raise NotFoundError("not found")
    config = _config()
    form = ActionForm()
    error = None
    chosen_class = request.form.get("class_code", "")
    if request.method == "POST" and form.validate_on_submit():
        try:
            if not chosen_class and view.plan.status == "approved":
                raise InvalidInputError("Choose the class to file the harvest record in")
            document = filing.file_harvest(
                db(),
                rt().blobs,
                username,
                actor=principal(),
                config=config,
                marking=request.form.get("marking") or None,
                class_code=chosen_class or None,
            )
        except EdrmError as exc:
            if isinstance(exc, NotFoundError):
                raise
            db().rollback()
            error = str(exc)
        else:
            flash(
                f"Filed as {document.identifier} in {document.class_code}, owned by the successor.",
                "success",
            )
            return redirect(url_for("leavers.plan", username=username))
    classes, default_class = _class_choices(view)
    return render_template(
        "harvest/plan_file.html",
        **_plan_context(view, username),
        markings=[m.value for m in Marking],
        default_marking=config.default_marking,
        classes=classes,
        chosen_class=chosen_class if request.method == "POST" else default_class,
        error=error,
    ), (400 if error else 200)


@bp.get("/harvests")
@login_required
def my_harvests() -> str:
    """The harvest plans the signed-in person takes part in (as leaver, manager, successor),
    and the write-ups waiting for their approval."""
    rows = plans.plans_for(db(), principal())
    return render_template(
        "harvest/my_harvests.html", rows=rows, tasks=progress.waiting_for(db(), principal())
    )


# --- a session as a task list -------------------------------------------------------------------


def _session_view(username: str, session_id: int | None) -> tuple[plans.PlanView, Any]:
    view = plans.open_plan(db(), username, principal(), audited=request.method == "GET")
    if not view.may_edit:
        raise NotFoundError("not found")
    if session_id is None:
        return view, None
    current = next((s for s in view.sessions if s.id == session_id), None)
    if current is None:
        raise NotFoundError("not found")
    return view, current


def _session_number(view: plans.PlanView, current: Any) -> int:
    return next((n for n, s in enumerate(view.sessions, start=1) if s.id == current.id), 0)


@bp.route("/leavers/<username>/plan/sessions/new", methods=["GET", "POST"])
@bp.route("/leavers/<username>/plan/sessions/<int:session_id>/details", methods=["GET", "POST"])
@login_required
def plan_session(username: str, session_id: int | None = None) -> Any:
    """The session's details: when it is planned or was held, and who attended."""
    view, current = _session_view(username, session_id)
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            row = sessions.save_details(
                db(),
                username,
                actor=principal(),
                session_id=session_id,
                scheduled_for=_date_field("scheduled_for", "Planned date"),
                held_on=_date_field("held_on", "Date held"),
                attendees=_lines("attendees"),
            )
        except EdrmError as exc:
            db().rollback()
            error = str(exc)
        else:
            flash("Session details saved.", "success")
            return redirect(url_for("leavers.session_tasks", username=username, session_id=row.id))
    return render_template(
        "harvest/plan_session.html",
        **_plan_context(view, username),
        current=current,
        number=_session_number(view, current) if current else len(view.sessions) + 1,
        error=error,
        values=request.form if request.method == "POST" else None,
    ), (400 if error else 200)


@bp.get("/leavers/<username>/plan/sessions/<int:session_id>")
@login_required
def session_tasks(username: str, session_id: int) -> str:
    """The session as a task list: details, each question group with its status, follow-ups."""
    view, current = _session_view(username, session_id)
    return render_template(
        "harvest/session_tasks.html",
        **_plan_context(view, username),
        current=current,
        number=_session_number(view, current),
        status_tags=STATUS_TAGS,
    )


@bp.route(
    "/leavers/<username>/plan/sessions/<int:session_id>/questions/<int:group>",
    methods=["GET", "POST"],
)
@login_required
def session_group(username: str, session_id: int, group: int) -> Any:
    """One question group's answers for this session, with "Save and continue"."""
    view, current = _session_view(username, session_id)
    groups = progress.question_groups(view)
    if not 1 <= group <= len(groups):
        raise NotFoundError("not found")
    chosen = groups[group - 1]
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            sessions.save_answers(
                db(),
                username,
                actor=principal(),
                session_id=session_id,
                answers={
                    q["id"]: request.form.get(f"answer-{q['id']}", "") for q in chosen.questions
                },
            )
        except EdrmError as exc:
            db().rollback()
            error = str(exc)
        else:
            if group < len(groups):
                target = url_for(
                    "leavers.session_group",
                    username=username,
                    session_id=session_id,
                    group=group + 1,
                )
            else:
                target = url_for(
                    "leavers.session_follow_ups", username=username, session_id=session_id
                )
            return redirect(target)
    earlier = {
        qid: [(s, text) for s, text in given if s.id != session_id]
        for qid, given in sessions.answers_by_question(view).items()
    }
    return render_template(
        "harvest/session_group.html",
        **_plan_context(view, username),
        current=current,
        number=_session_number(view, current),
        group=chosen,
        groups_total=len(groups),
        earlier=earlier,
        error=error,
        values=request.form if request.method == "POST" else None,
    ), (400 if error else 200)


@bp.route("/leavers/<username>/plan/sessions/<int:session_id>/follow-ups", methods=["GET", "POST"])
@login_required
def session_follow_ups(username: str, session_id: int) -> Any:
    """What needs doing after the session, and by whom; then back to the task list."""
    view, current = _session_view(username, session_id)
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            sessions.save_follow_ups(
                db(),
                username,
                actor=principal(),
                session_id=session_id,
                follow_ups=_lines("follow_ups"),
            )
        except EdrmError as exc:
            db().rollback()
            error = str(exc)
        else:
            flash("Session saved.", "success")
            return redirect(
                url_for("leavers.session_tasks", username=username, session_id=session_id)
            )
    return render_template(
        "harvest/session_follow_ups.html",
        **_plan_context(view, username),
        current=current,
        number=_session_number(view, current),
        error=error,
        values=request.form if request.method == "POST" else None,
    ), (400 if error else 200)
