"""Vital records on the pages: the report of every vital record by class, and the record
page's vital-record panel, whose forms set, review or clear the flag (records managers;
retention.vital)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from edrm.documents.models import Document
from edrm.errors import InvalidInputError
from edrm.web.auth import principal
from edrm.web.runtime import db, rt
from retention.models import VitalRecord
from retention.vital import clear_vital, review_vital, set_vital, vital_of, vital_report

ACTIONS = ("set", "reviewed", "clear")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/vital", view_func=vital_page, methods=["GET"])
    bp.add_url_rule("/vital/<int:document_id>", view_func=change_vital, methods=["POST"])
    bp.add_app_template_global(vital_flag, "vital_flag")


def vital_flag(document: Document) -> VitalRecord | None:
    """The record page's question: is it vital (for a record the viewer already sees)?"""
    if document.status == "destroyed":
        return None
    return vital_of(db(), document.id)


def vital_page() -> Any:
    entries = vital_report(db(), principal())
    by_class = [(code, list(rows)) for code, rows in groupby(entries, key=lambda e: e.class_code)]
    return render_template(
        "retention/vital.html",
        by_class=by_class,
        total=len(entries),
        overdue=sum(1 for e in entries if e.overdue),
        months=rt().settings.vital_review_months,
    )


def change_vital(document_id: int) -> Any:
    action = request.form.get("action", "")
    reason = request.form.get("reason", "")
    session, who = db(), principal()
    months = rt().settings.vital_review_months
    if action not in ACTIONS:
        raise InvalidInputError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    try:
        if action == "set":
            flag = set_vital(session, document_id, reason, actor=who, cycle_months=months)
            flash(
                f"Marked as a vital record; its first review is due {flag.review_due:%-d %B %Y}.",
                "success",
            )
        elif action == "reviewed":
            flag = review_vital(session, document_id, reason, actor=who, cycle_months=months)
            flash(f"Review noted; the next is due {flag.review_due:%-d %B %Y}.", "success")
        else:
            clear_vital(session, document_id, reason, actor=who)
            flash("It is no longer a vital record.", "success")
    except InvalidInputError as exc:
        flash(f"Not changed: {exc}.", "error")
    return redirect(url_for("documents.show", document_id=document_id) + "#vital-record")
