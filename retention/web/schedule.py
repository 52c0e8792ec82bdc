"""The retention schedule page: every class with its own or inherited rule, the folders that set
one, the rules and how often each is used; downloading the schedule as CSV, and importing it
in two steps: the CSV is checked (each problem listed with its line) and previewed (the rules
it adds, changes and removes, how many records would be re-dated), then imported only when the
person confirms the preview."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.errors import EdrmError
from edrm.fileplan.models import FilePlanNode
from edrm.web.auth import principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db
from retention import loader, schedule, stored_rules
from retention.schedule_preview import preview_import
from retention.web.forms import ScheduleImportForm


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/schedule", view_func=schedule_page, methods=["GET", "POST"])
    bp.add_url_rule("/schedule.csv", view_func=schedule_csv, methods=["GET"])
    bp.add_url_rule("/schedule/import", view_func=apply_schedule, methods=["POST"])


def schedule_page() -> Any:
    """The schedule; a CSV posted here is checked and previewed, never applied (that is
    `apply_schedule`, after the person confirms the preview)."""
    session = db()
    form = ScheduleImportForm()
    problems: list[tuple[int | None, str]] = []
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "schedule.csv"
        try:
            text = upload.read().decode("utf-8-sig")
            parsed = loader.parse_schedule_csv(text, name)
            preview = preview_import(session, parsed, actor=principal(), source=name)
        except UnicodeDecodeError:
            form.file.errors.append("The file must be a CSV saved as UTF-8")
        except loader.ScheduleProblems as exc:
            form.file.errors.append(
                f"{name} has {len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}:"
                " nothing was imported. Correct the lines listed and choose the file again"
            )
            problems = exc.problems
        except EdrmError as exc:
            session.rollback()
            form.file.errors.append(str(exc))
        else:
            return render_template(
                "retention/schedule_preview.html",
                preview=preview,
                name=name,
                csv_text=text,
                form=ActionForm(),
            )
    return _render_schedule(session, form, problems), 400 if form.is_submitted() else 200


def apply_schedule() -> Any:
    """Import the previewed schedule, once confirmed (the preview's form: `confirm` and the
    CSV it showed). Without the confirmation nothing changes."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("retention.schedule_page"))
    session = db()
    name = request.form.get("name", "") or "schedule.csv"
    try:
        parsed = loader.parse_schedule_csv(request.form.get("csv", ""), name)
        result = schedule.import_schedule(
            session,
            parsed,
            actor=principal(),
            source=name,
            reason=request.form.get("reason", ""),
        )
    except EdrmError as exc:
        session.rollback()
        form = ScheduleImportForm()
        form.file.errors.append(str(exc))
        return _render_schedule(session, form, []), 400
    flash(f"Schedule imported: {_summary(result)}.", "success")
    return redirect(url_for("retention.schedule_page"))


def _render_schedule(
    session: Session, form: ScheduleImportForm, problems: list[tuple[int | None, str]]
) -> str:
    rules = stored_rules.rules_by_code(session)
    nodes = list(session.scalars(select(FilePlanNode).order_by(FilePlanNode.code)))
    used: dict[str, int] = defaultdict(int)
    for node in nodes:
        if node.retention_rule:
            used[node.retention_rule] += 1
    return render_template(
        "retention/schedule.html",
        rows=_class_rows(session, nodes),
        folders=[n for n in nodes if n.is_folder and n.retention_rule],
        rules=sorted(rules.values(), key=lambda r: r.code),
        used=used,
        form=form,
        csv_problems=problems,
    )


def _class_rows(session: Session, nodes: list[FilePlanNode]) -> list[dict[str, Any]]:
    """Each class with the rule that reaches it: its own, or the one it inherits and from where."""
    rows = []
    for node in nodes:
        if node.is_folder:
            continue
        rule, source = schedule.class_rule(session, node)
        rows.append(
            {
                "node": node,
                "depth": len(node.path()) - 1,
                "rule": rule,
                "own": node.retention_rule,
                "inherited_from": source if source and source != node.code else None,
            }
        )
    return rows


def schedule_csv() -> Response:
    session = db()
    rules = sorted(stored_rules.rules_by_code(session).values(), key=lambda r: r.code)
    text = loader.schedule_to_csv(loader.Schedule(rules, schedule.fy_start_month(session)))
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="retention-schedule.csv"'},
    )


def _summary(result: schedule.ImportResult) -> str:
    """e.g. "1 rule added, 2 changed, 7 unchanged, none removed; 40 records' dates recomputed"."""
    added = len(result.added)
    removed = len(result.removed)
    return (
        f"{added} rule{'s' if added != 1 else ''} added, {len(result.updated)} changed, "
        f"{len(result.unchanged)} unchanged, {removed or 'none'} removed; "
        f"{result.recomputed} records' dates recomputed"
    )
