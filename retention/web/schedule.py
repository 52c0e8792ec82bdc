"""The retention schedule page: every class with its own or inherited rule, the folders that set
one, the rules and how often each is used; importing the schedule as CSV and downloading it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.errors import EdrmError
from edrm.fileplan.models import FilePlanNode
from edrm.web.auth import principal
from edrm.web.runtime import db
from retention import loader, schedule, stored_rules
from retention.web.forms import ScheduleImportForm


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/schedule", view_func=schedule_page, methods=["GET", "POST"])
    bp.add_url_rule("/schedule.csv", view_func=schedule_csv, methods=["GET"])


def schedule_page() -> Any:
    session = db()
    form = ScheduleImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        name = upload.filename or "schedule.csv"
        try:
            text = upload.read().decode("utf-8-sig")
            parsed = loader.parse_schedule_csv(text, name)
            result = schedule.import_schedule(session, parsed, actor=principal())
        except UnicodeDecodeError:
            form.file.errors.append("The file must be a CSV saved as UTF-8")
        except EdrmError as exc:
            session.rollback()
            form.file.errors.append(str(exc))
        else:
            flash(f"Schedule imported: {_summary(result)}.", "success")
            return redirect(url_for("retention.schedule_page"))
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
