"""Pages and JSON endpoints: the leavers side of the knowledge service.

HR's dashboard (every leaver by date, risk and harvest progress), registering a leaver, the
leaver and risk pages; the harvest plan's pages (sessions, approvals, filing) are in
harvest/web/interviews.py, on the same blueprint. Anyone not
entitled to a page gets 404 (the page does not exist for them): HR sees every leaver; the
leaver, the line manager and the successor see that leaver's harvest plan; the line manager
also rates the classes' criticality.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from spectree import Response as Responses

import harvest.web.api_shapes as shapes
from edrm.errors import EdrmError, InvalidInputError, NotFoundError
from edrm.web.api import json_api_blueprint
from edrm.web.api_style import Problem, json_body, page_of, spec
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt
from harvest import leavers
from harvest.interviews import plans, questions, sessions
from harvest.loader import HarvestConfig, load_harvest_config
from harvest.risk import assess_leaver

bp = Blueprint("leavers", __name__)
api = json_api_blueprint("leavers_api", __name__)

CRITICALITY_LABELS = {1: "1 – low", 2: "2", 3: "3 – moderate", 4: "4 – high", 5: "5 – vital"}


def _config() -> HarvestConfig:
    return load_harvest_config(rt().settings.config_dir)


def _banks() -> questions.QuestionBanks:
    return questions.load_question_banks(rt().settings.config_dir)


def _hr_only() -> None:
    if not leavers.is_hr(principal()):
        raise NotFoundError("not found")


def _date_field(name: str, label: str, *, required: bool = False) -> date | None:
    """A GOV.UK date input (NAME-day, NAME-month, NAME-year) or a single ISO field NAME."""
    parts = [request.form.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year")]
    if any(parts):
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            raise InvalidInputError(f"{label} must be a real date") from None
    single = request.form.get(name, "").strip()
    if single:
        try:
            return date.fromisoformat(single)
        except ValueError:
            raise InvalidInputError(f"{label} must be a real date") from None
    if required:
        raise InvalidInputError(f"Enter the {label.lower()}")
    return None


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.form.get(name, "").splitlines() if line.strip()]


# --- dashboard and leavers ----------------------------------------------------------------------


@bp.get("/leavers")
@login_required
def dashboard() -> str:
    _hr_only()
    rows = leavers.list_leavers(db(), principal(), _config())
    show = request.args.get("show", "current")
    if show != "all":
        rows = [r for r in rows if not r.left]
    reminders = [r for r in rows if r.reminder_due]
    return render_template(
        "harvest/leavers_dashboard.html", rows=rows, reminders=reminders, show=show
    )


@bp.route("/leavers/new", methods=["GET", "POST"])
@login_required
def new_leaver() -> Any:
    _hr_only()
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        username = request.form.get("username", "").strip()
        try:
            if not username:
                raise InvalidInputError("Enter the leaver's username")
            leaving = _date_field("leaving_date", "Leaving date", required=True)
            assert leaving is not None
            successor = request.form.get("successor", "").strip()
            if not successor:
                raise InvalidInputError("Enter the successor's username")
            leavers.register_leaver(
                db(),
                username,
                leaving,
                successor=successor,
                manager=request.form.get("manager", "").strip() or None,
                reason=request.form.get("reason", ""),
                actor=principal(),
            )
        except EdrmError as exc:
            db().rollback()
            error = str(exc)
        else:
            flash(f"{username} registered as leaving on {leaving:%-d %B %Y}.", "success")
            return redirect(url_for("leavers.leaver", username=username.lower()))
    return render_template(
        "harvest/leaver_new.html", form=form, error=error, values=request.form
    ), (400 if error else 200)


@bp.get("/leavers/<username>")
@login_required
def leaver(username: str) -> str:
    _hr_only()
    config = _config()
    row = leavers.get_leaver(db(), username, principal())
    summary, risk = leavers.summarise(db(), row, config)
    return render_template(
        "harvest/leaver.html",
        leaver=row,
        summary=summary,
        risk=risk,
        plan=leavers.plan_of(db(), row),
        templates=_banks().templates,
        form=ActionForm(),
    )


@bp.get("/leavers/<username>/risk")
@login_required
def risk(username: str) -> str:
    """HR sees the scores; the line manager sees the classes and rates their criticality."""
    row = leavers.leaver_by_username(db(), username)
    roles = leavers.involvement(db(), row, principal())
    if not roles & {"hr", "line_manager"}:
        raise NotFoundError("not found")
    result = assess_leaver(db(), row, _config())
    return render_template(
        "harvest/leaver_risk.html",
        username=result.username,
        risk=result,
        show_scores="hr" in roles,
        labels=CRITICALITY_LABELS,
        form=ActionForm(),
    )


@bp.post("/leavers/<username>/criticality")
@login_required
def criticality(username: str) -> Any:
    form = ActionForm()
    if form.validate_on_submit():
        class_code = request.form.get("class_code", "")
        try:
            value = int(request.form.get("criticality", "0"))
            leavers.set_criticality(db(), username, class_code, value, actor=principal())
        except ValueError:
            flash("Choose a criticality from 1 to 5.", "error")
        except InvalidInputError as exc:
            db().rollback()
            flash(str(exc), "error")
        else:
            flash(f"{class_code} rated {value}.", "success")
    return redirect(url_for("leavers.risk", username=username))


# --- JSON -------------------------------------------------------------------------------------


@api.get("/leavers")
@spec.validate(
    query=shapes.LeaversQuery,
    resp=Responses(HTTP_200=shapes.LeaverPage, **shapes.ERRORS_404),
    tags=["leavers"],
)
def api_leavers() -> Any:
    """HR: every leaver by leaving date with risk and progress (?current=1: not yet left)"""
    who = g.principal
    if not leavers.is_hr(who):
        raise NotFoundError("not found")
    rows = leavers.list_leavers(
        db(), who, _config(), include_left=request.args.get("current") not in ("1", "true")
    )
    listed = page_of(
        [r.as_dict() for r in rows], shapes.LeaversQuery.model_validate(request.args.to_dict())
    )
    return jsonify({**listed, "leavers": listed["items"]})


@api.post("/leavers")
@spec.validate(
    json=shapes.NewLeaver,
    resp=Responses(HTTP_201=shapes.Leaver, HTTP_422=Problem, **shapes.ERRORS_404),
    tags=["leavers"],
)
def api_register_leaver() -> Any:
    """HR: register (or update) a leaver, with their successor and line manager"""
    _hr_only()  # 404 for anyone but HR, before anything is read
    wanted = json_body(shapes.NewLeaver)
    row = leavers.register_leaver(
        db(),
        wanted.username,
        wanted.leaving_date,
        successor=wanted.successor,
        manager=wanted.manager,
        reason=wanted.reason,
        actor=g.principal,
    )
    db().flush()
    summary, _risk = leavers.summarise(db(), row, _config())
    return {**summary.as_dict(), "reason": row.reason}, 201


@api.get("/leavers/<username>")
@spec.validate(resp=Responses(HTTP_200=shapes.Leaver, **shapes.ERRORS_404), tags=["leavers"])
def api_leaver(username: str) -> Any:
    """HR: one leaver, with the reason."""
    row = leavers.get_leaver(db(), username, g.principal)
    summary, _risk = leavers.summarise(db(), row, _config())
    return jsonify({**summary.as_dict(), "reason": row.reason})


@api.get("/leavers/<username>/risk")
@spec.validate(resp=Responses(HTTP_200=shapes.LeaverRisk, **shapes.ERRORS_404), tags=["leavers"])
def api_leaver_risk(username: str) -> Any:
    """HR: the classes where the leaver's knowledge is at risk, highest first."""
    return jsonify(leavers.leaver_risk(db(), username, g.principal, _config()).as_dict())


@api.get("/leavers/<username>/plan")
@spec.validate(resp=Responses(HTTP_200=shapes.Plan, **shapes.ERRORS_404), tags=["leavers"])
def api_leaver_plan(username: str) -> Any:
    """The harvest plan, for HR, the leaver, the line manager and the successor (audited)."""
    return jsonify(_plan_as_dict(username))


@api.post("/leavers/<username>/plan")
@spec.validate(
    json=shapes.NewPlan,
    resp=Responses(HTTP_201=shapes.Plan, HTTP_422=Problem, **shapes.ERRORS_404),
    tags=["leavers"],
)
def api_start_plan(username: str) -> Any:
    """HR: start the leaver's harvest plan, from a template (by default the one their job
    title chooses), pre-filled with its questions and the top at-risk classes"""
    _hr_only()
    wanted = json_body(shapes.NewPlan) if request.get_data() else shapes.NewPlan(template=None)
    plans.start_plan(
        db(),
        username,
        actor=g.principal,
        config=_config(),
        banks=_banks(),
        template=wanted.template,
    )
    db().flush()
    return _plan_as_dict(username), 201


def _plan_as_dict(username: str) -> dict[str, Any]:
    view = plans.open_plan(db(), username, g.principal)
    return {"leaver": username, **sessions.plan_as_dict(view)}
