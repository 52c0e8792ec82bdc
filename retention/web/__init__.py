"""The records managers' pages: schedule, forecast, disposal queue and decisions, execution,
holds, certificates, transfers, events, audit search, the access report and vital records; plus,
for everyone signed in, each record's rule and due date and the consequence of filing in a class.

This package builds the one blueprint (`retention`, under /records-management) and lets each
page group add its routes: overview, schedule, forecast, queue, closure (a transfer's closure
for the archive), certificates, holds, transfers, events, audit, access, vital, consequence.
Each view turns a request into a service call (the services never commit; the request's unit
of work does). Execution and transfer run their own transactions through the runtime.

The page modules share names with the services (schedule, holds, events …) and a package's
globals are its attributes, so this file takes services' functions by name, never their modules.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, request, url_for

from edrm.errors import RefusedError
from edrm.web.auth import principal
from edrm.web.runtime import db, rt
from retention.schedule import ensure_schedule
from retention.web import (
    access,
    audit,
    certificates,
    closure,
    consequence,
    events,
    execution,
    forecast,
    holds,
    overview,
    queue,
    schedule,
    transfers,
    vital,
)
from retention.web.labels import ACTION_LABELS, STATUS_LABELS
from retention.web.records_api import api

__all__ = ["api", "bp"]

#: Pages anyone signed in may use; the rest are for records managers.
OPEN_ENDPOINTS = {"retention.consequence"}
PAGE_GROUPS = (
    overview,
    schedule,
    forecast,
    queue,
    closure,
    execution,
    certificates,
    holds,
    transfers,
    events,
    audit,
    access,
    vital,
    consequence,
)


def _records_managers_only() -> Any:
    if g.get("user") is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if request.endpoint not in OPEN_ENDPOINTS and not principal().manages_records:
        raise RefusedError("These pages are for records managers.")
    ensure_schedule(db(), rt().settings)  # the configured schedule, on first use
    return None


def _labels(state: Any) -> None:
    """Words for statuses and actions, for every template (macros included)."""
    state.app.jinja_env.globals.update(status_labels=STATUS_LABELS, action_labels=ACTION_LABELS)


def _blueprint() -> Blueprint:
    blueprint = Blueprint("retention", __name__, url_prefix="/records-management")
    blueprint.before_request(_records_managers_only)
    blueprint.record_once(_labels)
    for group in PAGE_GROUPS:
        group.register(blueprint)
    return blueprint


bp = _blueprint()
