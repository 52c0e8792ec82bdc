"""The events page: the retention trigger events recorded (a contract ended, someone left) and
recording one for a folder or class, or for one record."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from edrm.errors import EdrmError
from edrm.web.auth import principal
from edrm.web.runtime import db
from retention import events as retention_events
from retention.web.forms import EventForm, document_number


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/events", view_func=events_page, methods=["GET", "POST"])


def events_page() -> Any:
    session = db()
    form = EventForm()
    status = 200
    if form.validate_on_submit():
        try:
            with session.begin_nested():
                event = retention_events.record_event(
                    session,
                    form.name.data.strip(),
                    occurred_on=form.occurred_on.data,
                    folder_code=(form.folder_code.data or "").strip() or None,
                    document_id=document_number(form.document_id.data),
                    actor=principal(),
                    note=(form.note.data or "").strip(),
                )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            flash(
                f"Recorded '{event.name}' on {event.occurred_on:%-d %B %Y}: the due dates it "
                "sets are worked out at the next check.",
                "success",
            )
            return redirect(url_for("retention.events_page"))
    elif form.is_submitted():
        status = 400
    return (
        render_template(
            "retention/events.html", events=retention_events.list_events(session), form=form
        ),
        status,
    )
