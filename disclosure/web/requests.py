"""The requests pages: the dashboard (due today, this week, overdue, by officer), the form that
opens a request, and the request page with its actions (clarify, extend, status, close, time,
take the case), its searches run as the case officer (with "add all hits") and its records.

Every action posts to its own route, calls one service and goes back to the request page with a
message; a refusal or bad input rolls the request's unit of work back and says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from disclosure.bundles import add_records, bundle_rows
from disclosure.costs import cost_summary, log_time
from disclosure.loader import DisclosureConfig, load_config
from disclosure.models import KINDS, LIVE_STATUSES, OUTCOMES, InformationRequest
from disclosure.request_events import event_as_dict, events_of
from disclosure.request_searches import (
    add_all_hits,
    rerun,
    run_search,
    search_as_dict,
    searches_of,
)
from disclosure.requests import (
    SETTABLE,
    STATUS_LABELS,
    assign,
    clarifications_of,
    clarify,
    close,
    extend,
    get_request,
    list_requests,
    officer_names,
    open_request,
    request_as_dict,
    set_status,
)
from edrm import clock
from edrm.errors import EdrmError, InvalidInputError
from edrm.ids import id_from_text
from edrm.search_service import catch_up
from edrm.web.auth import principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt

KIND_LABELS = {
    "foi": "Freedom of information",
    "eir": "Environmental information",
    "sar": "Subject access",
}
OUTCOME_LABELS = {
    "granted": "Granted in full",
    "part": "Granted in part",
    "refused": "Refused",
    "not-held": "Information not held",
}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("", view_func=dashboard, methods=["GET"])
    bp.add_url_rule("/new", view_func=new_request, methods=["GET", "POST"])
    bp.add_url_rule("/<int:request_id>", view_func=show, methods=["GET"])
    for name, view in ACTIONS.items():
        bp.add_url_rule(
            f"/<int:request_id>/{name}",
            endpoint=f"action_{name.replace('-', '_')}",
            view_func=view,
            methods=["POST"],
        )


def _config() -> DisclosureConfig:
    return load_config(rt().settings)


def _day(name: str, label: str, *, required: bool = True) -> date | None:
    value = request.form.get(name, "").strip()
    if not value:
        if required:
            raise InvalidInputError(f"Enter the {label}")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"The {label} must be a real date, as YYYY-MM-DD") from None


# --- the dashboard ----------------------------------------------------------------------------


def _week_end(today: date) -> date:
    return today + timedelta(days=6 - today.weekday())


def dashboard() -> str:
    config = _config()
    found = list_requests(db(), principal(), live_only=request.args.get("show") != "all")
    names = officer_names(db(), found)
    rows = [request_as_dict(r, config, officer=names.get(r.case_officer_id or 0)) for r in found]
    today = clock.now().date()
    week_end = _week_end(today)
    live = [r for r in rows if r["status"] in LIVE_STATUSES]
    groups = {
        "overdue": [r for r in live if r["due"] and date.fromisoformat(r["due"]) < today],
        "today": [r for r in live if r["due"] == today.isoformat()],
        "week": [r for r in live if r["due"] and today < date.fromisoformat(r["due"]) <= week_end],
        "stopped": [r for r in live if r["due"] is None],
    }
    by_officer = Counter(r["case_officer"] or "No case officer" for r in live)
    overdue_by_officer = Counter(r["case_officer"] or "No case officer" for r in groups["overdue"])
    officers = [
        {"name": name, "live": count, "overdue": overdue_by_officer.get(name, 0)}
        for name, count in sorted(by_officer.items())
    ]
    return render_template(
        "disclosure/dashboard.html",
        rows=rows,
        groups=groups,
        officers=officers,
        show=request.args.get("show", "live"),
        status_labels=STATUS_LABELS,
        today=today,
    )


# --- opening a request ------------------------------------------------------------------------


def new_request() -> Any:
    form = ActionForm()
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            received = _day("received", "date the request was received")
            assert received is not None
            made = open_request(
                db(),
                principal(),
                kind=request.form.get("kind", ""),
                received=received,
                requester=request.form.get("requester", ""),
                summary=request.form.get("summary", ""),
                email=request.form.get("email", ""),
                address=request.form.get("address", ""),
                case_officer=request.form.get("officer", "").strip() or None,
                config=_config(),
            )
        except EdrmError as exc:
            db().rollback()
            error = str(exc)
        else:
            due = f"{made.due_on:%-d %B %Y}" if made.due_on else "not yet set"
            flash(f"{made.reference} opened: due {due}.", "success")
            return redirect(url_for("requests.show", request_id=made.id))
    return render_template(
        "disclosure/new.html",
        form=form,
        error=error,
        values=request.form,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        today=clock.now().date(),
    ), (400 if error else 200)


# --- the request page -------------------------------------------------------------------------


def show(request_id: int) -> str:
    viewer = principal()
    found = get_request(db(), viewer, request_id)
    config = _config()
    data = request_as_dict(
        found, config, officer=officer_names(db(), [found]).get(found.case_officer_id or 0)
    )
    is_officer = viewer.user_id is not None and viewer.user_id == found.case_officer_id
    hits = None
    shown_search = id_from_text(request.args.get("search", ""))
    if shown_search is not None and is_officer:
        try:
            saved, result = rerun(db(), rt(), viewer, found.id, shown_search, per_page=50)
            hits = {"search": search_as_dict(saved), "total": result.total, "hits": result.hits}
        except EdrmError as exc:
            flash(str(exc), "error")
    return render_template(
        "disclosure/request.html",
        r=data,
        kind_label=KIND_LABELS[found.kind],
        status_labels=STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS,
        outcomes=OUTCOMES,
        settable=SETTABLE,
        clarifications=clarifications_of(db(), found.id),
        records=bundle_rows(db(), viewer, found.id),
        searches=[search_as_dict(s) for s in searches_of(db(), found.id)],
        events=[event_as_dict(e) for e in reversed(events_of(db(), found.id))],
        cost=cost_summary(db(), found, config),
        is_officer=is_officer,
        hits=hits,
        form=ActionForm(),
        today=clock.now().date(),
    )


# --- actions ----------------------------------------------------------------------------------


def _act(request_id: int, do: Callable[[InformationRequest], str], **extra: Any) -> Response:
    """Run one action on the request (after its CSRF check) and go back to its page."""
    found = get_request(db(), principal(), request_id)  # 404 before anything else
    form = ActionForm()
    if not form.validate_on_submit():
        flash("The form had expired: try again.", "error")
        return redirect(url_for("requests.show", request_id=found.id))
    try:
        message = do(found)
    except EdrmError as exc:
        db().rollback()
        flash(str(exc), "error")
    else:
        flash(message, "success")
    return redirect(url_for("requests.show", request_id=request_id, **extra))


def _clarify(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        which = request.form.get("which", "asked")
        day = _day("on", "date")
        if which == "answered":
            clarify(db(), principal(), found.id, answered=day, config=_config())
            due = f"{found.due_on:%-d %B %Y}" if found.due_on else "not set"
            return f"Clarification answered: the clock runs again, due {due}."
        clarify(db(), principal(), found.id, asked=day, config=_config())
        return "Clarification asked for: the clock has stopped."

    return _act(request_id, do)


def _extend(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        day = _day("to", "new due date")
        assert day is not None
        extend(
            db(),
            principal(),
            found.id,
            to=day,
            reason=request.form.get("reason", ""),
            config=_config(),
        )
        return f"Extended to {day:%-d %B %Y}."

    return _act(request_id, do)


def _status(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        status = request.form.get("status", "")
        set_status(db(), principal(), found.id, status, note=request.form.get("note", ""))
        return f"Status set to {STATUS_LABELS[found.status].lower()}."

    return _act(request_id, do)


def _close(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        close(db(), principal(), found.id, outcome=request.form.get("outcome", ""))
        return f"{found.reference} closed."

    return _act(request_id, do)


def _records(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        raw = request.form.get("documents", "").replace(",", " ").split()
        ids = [id_from_text(x) for x in raw]
        if not raw or any(i is None for i in ids):
            raise InvalidInputError("Enter record numbers, separated by spaces or commas")
        added = add_records(db(), principal(), found.id, [i for i in ids if i is not None])
        return f"{len(added.added)} record(s) added to the bundle and held." + (
            f" {len(added.already)} already in it." if added.already else ""
        )

    return _act(request_id, do)


def _search(request_id: int) -> Response:
    shown: dict[str, int] = {}

    # Search what the database holds now: index the outbox first, before this request's own
    # transaction takes the write lock (SQLite) that the indexer's session would wait for.
    catch_up(rt())

    def do(found: InformationRequest) -> str:
        name = request.form.get("name", "").strip()
        identifiers = request.form.get("identifiers", "").strip()
        mode = "person" if (name or identifiers) else "words"
        saved, result = run_search(
            db(),
            rt(),
            principal(),
            found.id,
            mode=mode,
            query=request.form.get("query", ""),
            name=name,
            identifiers=identifiers,
        )
        shown["search"] = saved.id
        return f"The search found {result.total} record(s); it is saved on the request."

    response = _act(request_id, do)
    if "search" in shown:
        return redirect(url_for("requests.show", request_id=request_id, search=shown["search"]))
    return response


def _add_hits(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        search_id = id_from_text(request.form.get("search_id", ""))
        if search_id is None:
            raise InvalidInputError("Choose a saved search")
        added = add_all_hits(db(), rt(), principal(), found.id, search_id)
        return f"{len(added.added)} record(s) added to the bundle and held." + (
            f" {len(added.already)} already in it." if added.already else ""
        )

    return _act(request_id, do)


def _time(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        raw = request.form.get("minutes", "").strip()
        if not raw.isdigit():
            raise InvalidInputError("Enter the time in whole minutes")
        log_time(
            db(),
            principal(),
            found.id,
            minutes=int(raw),
            activity=request.form.get("activity", ""),
        )
        return f"{raw} minutes logged."

    return _act(request_id, do)


def _take(request_id: int) -> Response:
    def do(found: InformationRequest) -> str:
        assign(db(), principal(), found.id, principal().username)
        return "You are now the case officer."

    return _act(request_id, do)


ACTIONS: dict[str, Callable[[int], Response]] = {
    "clarify": _clarify,
    "extend": _extend,
    "status": _status,
    "close": _close,
    "records": _records,
    "search": _search,
    "add-hits": _add_hits,
    "time": _time,
    "take": _take,
}
