"""The disposal queue pages: the queue with its batches and filters, one item and its decisions,
a decision on the items ticked (or every item matching the filters), checking what is due (the
sweep) and carrying out the approved decisions.

A records manager not cleared to see an item's record sees the item without its title, marked
"needs a cleared reviewer", and cannot decide on it (retention.review refuses). The item's page
answers (the queue has shown that the item exists; it is the record that is withheld), with no
title, stub, reasons or decision form; a class the person may not see is not named.

A bulk decision is `retention.review.decide_items`, as from the CLI: all or nothing; the page
only presents what it did and what it refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from edrm import clock
from edrm.access import (
    Principal,
    document_filter,
    visible_document_ids,
    visible_node_codes,
)
from edrm.documents.models import Document
from edrm.errors import NotFoundError
from edrm.web.auth import principal
from edrm.web.forms import ActionForm
from edrm.web.params import id_or_none, ids_from
from edrm.web.runtime import db, rt
from retention import execution, review, stored_rules, sweep
from retention.models import DisposalItem, ResidualStub
from retention.web.forms import DecisionForm
from retention.web.labels import DECISION_DONE, STATUS_LABELS, count_words

QUEUE_PAGE_SIZE = 200
SHOWN_PROBLEMS = 20


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/queue", view_func=queue, methods=["GET"])
    bp.add_url_rule("/queue/decide", view_func=decide, methods=["POST"])
    bp.add_url_rule("/queue/<int:item_id>", view_func=item, methods=["GET"])
    bp.add_url_rule("/sweep", view_func=run_sweep, methods=["POST"])
    bp.add_url_rule("/execute", view_func=execute, methods=["POST"])


# --- the queue --------------------------------------------------------------------------------


def _queue_filters() -> dict[str, Any]:
    """The queue page's filters from the query string (or the decision form's hidden fields).
    Status defaults to `pending`; `all` means every item, history included."""
    status = request.values.get("status", "pending")
    stage = request.values.get("stage", "")
    return {
        "status": status if status in STATUS_LABELS or status == "all" else "pending",
        "class_code": request.values.get("class_code", "").strip() or None,
        "action": request.values.get("action", "") or None,
        "stage": id_or_none(stage),
    }


def _filter_args() -> dict[str, Any]:
    return {
        k: v
        for k in ("status", "class_code", "action", "stage")
        if (v := request.values.get(k, ""))
    }


def queue() -> Any:
    return _render_queue(DecisionForm())


def _render_queue(form: DecisionForm, *, status_code: int = 200) -> Any:
    session = db()
    filters = _queue_filters()
    items = review.list_queue(session, **filters, limit=QUEUE_PAGE_SIZE + 1)
    more = len(items) > QUEUE_PAGE_SIZE
    items = items[:QUEUE_PAGE_SIZE]
    counts = dict(
        session.execute(
            select(DisposalItem.status, func.count()).group_by(DisposalItem.status)
        ).all()
    )
    statuses = list(STATUS_LABELS) if filters["status"] == "all" else [filters["status"]]
    who = principal()
    codes = visible_node_codes(session, who)
    batches = [
        {**b, "visible": b["class_code"] in codes}
        for b in review.queue_summary(session, status=statuses)
    ]
    class_codes = sorted(
        c for c in session.scalars(select(DisposalItem.class_code).distinct()) if c in codes
    )
    rows = _item_rows(session, items, codes)
    html = render_template(
        "retention/queue.html",
        items=rows,
        more=more,
        matching=_count_queue(session, filters) if more else len(items),
        decidable=_count_queue(session, filters, who) if more else sum(r["visible"] for r in rows),
        filters=filters,
        batches=batches,
        by_status=counts,
        class_codes=class_codes,
        form=form,
        action_form=ActionForm(),
        selected=set(ids_from(request.form.getlist("item"))),
    )
    return html, status_code


def _count_queue(
    session: Session, filters: dict[str, Any], cleared: Principal | None = None
) -> int:
    """How many items the filters match (as review.list_queue selects them); with `cleared`,
    only those whose record that person may see (the ones they may decide on)."""
    stmt = select(func.count()).select_from(DisposalItem)
    if cleared is not None:
        stmt = stmt.join(Document, Document.id == DisposalItem.document_id).where(
            document_filter(session, cleared)
        )
    if filters["status"] != "all":
        stmt = stmt.where(DisposalItem.status == filters["status"])
    if code := filters["class_code"]:
        stmt = stmt.where(
            (DisposalItem.class_code == code)
            | DisposalItem.class_code.startswith(f"{code}-", autoescape=True)
        )
    if filters["action"]:
        stmt = stmt.where(DisposalItem.action == filters["action"])
    if filters["stage"] is not None:
        stmt = stmt.where(DisposalItem.stage == filters["stage"])
    return int(session.scalar(stmt) or 0)


def _item_rows(
    session: Session, items: Iterable[DisposalItem], codes: set[str]
) -> list[dict[str, Any]]:
    """Each item with its record when the person may see it (`visible`; else `document` is
    None: the row needs a cleared reviewer) and whether its class may be named (`codes`: the
    file-plan codes the person may see)."""
    items = list(items)
    visible = visible_document_ids(session, principal(), {i.document_id for i in items})
    docs = (
        {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(visible)))}
        if visible
        else {}
    )
    return [
        {
            "item": found,
            "document": docs.get(found.document_id),
            "visible": found.document_id in docs,
            "class_visible": found.class_code in codes,
        }
        for found in items
    ]


# --- one item ---------------------------------------------------------------------------------


def item(item_id: int) -> Any:
    return _render_item(item_id, DecisionForm())


def _render_item(item_id: int, form: DecisionForm, *, status_code: int = 200) -> Any:
    session = db()
    found = session.get(DisposalItem, item_id)
    if found is None:
        raise NotFoundError(f"queue item {item_id} not found")
    decisions = review.decisions_for(session, item_id)
    row = _item_rows(session, [found], visible_node_codes(session, principal()))[0]
    rules = stored_rules.rules_by_code(session)
    stub = session.get(ResidualStub, found.document_id) if row["visible"] else None
    html = render_template(
        "retention/item.html",
        row=row,
        found=found,
        rule=rules.get(found.rule_code),
        decisions=decisions,
        stub=stub,
        form=form,
    )
    return html, status_code


# --- decisions --------------------------------------------------------------------------------


def decide() -> Any:
    form = DecisionForm()
    session = db()
    scope = request.form.get("scope", "ticked")
    if scope == "matching":  # every pending match the person may decide on
        filters = {**_queue_filters(), "status": "pending"}
        matching = review.list_queue(session, **filters)
        ids = [i.id for i in review.cleared_items(session, matching, principal())]
    else:
        ids = ids_from(request.form.getlist("item"))
    back = id_or_none(request.form.get("back"))
    valid = form.validate_on_submit()
    if not valid or not ids:
        if not ids:
            form.form_errors.append("Choose at least one item in the queue")
        if back is not None:
            return _render_item(back, form, status_code=400)
        return _render_queue(form, status_code=400)
    result = review.decide_items(
        session,
        ids,
        form.decision.data or "",
        reason=(form.reason.data or "").strip(),
        actor=principal(),
        new_date=form.new_date.data,
    )
    _flash_decision(result)
    if back is not None:
        return redirect(url_for("retention.item", item_id=back))
    return redirect(url_for("retention.queue", **_filter_args()))


def _flash_decision(result: review.BulkDecision) -> None:
    """What the decision did, or which items it refused and why (then nothing was decided)."""
    if result.decided:
        word = DECISION_DONE[result.decision]
        flash(f"{word}: {count_words(len(result.decided))}.", "success")
    refused = result.refused
    for refusal in refused[:SHOWN_PROBLEMS]:
        flash(f"Item {refusal.item_id}: {refusal.why}", "error")
    if len(refused) > SHOWN_PROBLEMS:
        flash(f"…and {len(refused) - SHOWN_PROBLEMS} more items were not decided.", "error")
    if result.held_back:
        flash(
            f"None of the {count_words(result.asked)} was decided: a decision on several items "
            "is all or nothing. Untick the items refused and decide again.",
            "error",
        )


# --- the sweep and execution ------------------------------------------------------------------


def run_sweep() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    result = sweep.sweep(db(), as_of=clock.now().date(), actor=principal())
    flash(
        f"Checked what is due: {count_words(len(result.queued))} added to the queue, "
        f"{result.held} held back by legal holds.",
        "success",
    )
    return redirect(url_for("retention.queue"))


def execute() -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    db().commit()  # execution runs its own transactions
    result = execution.execute_approved(rt(), actor=principal())
    if result.finished:
        certified = len(result.certificates)
        flash(
            f"Carried out {count_words(len(result.finished))}"
            + (f"; {certified} certificate{'s' if certified != 1 else ''} of destruction filed."
               if certified else "."),
            "success",
        )  # fmt: skip
    if result.reviewed:
        flash(f"{count_words(len(result.reviewed))} given a new review date.", "success")
    if not (result.finished or result.reviewed or result.failed or result.held or result.uncleared):
        flash("There were no approved decisions to carry out.", "success")
    if result.uncleared:
        flash(
            f"{count_words(len(result.uncleared))} not carried out: they need a records manager "
            "cleared to see their records.",
            "error",
        )
    if result.held:
        flash(f"{count_words(len(result.held))} not carried out: under a legal hold now.", "error")
    for item_id, error in result.failed[:SHOWN_PROBLEMS]:
        flash(f"Item {item_id} is not finished: {error}. Carry it out again to retry.", "error")
    for problem in result.problems[:SHOWN_PROBLEMS]:
        flash(problem, "error")
    if result.certificates:
        return redirect(url_for("retention.certificates"))
    return redirect(url_for("retention.queue"))
