"""The disposal queue pages: the queue with its batches and filters, one item and its decisions,
a decision on the items ticked (or every item matching the filters) and checking what is due
(the sweep). Carrying out the approved decisions is retention.web.execution.

A records manager not cleared to see an item's record sees the item without its title, marked
"needs a cleared reviewer", and cannot decide on it (retention.review refuses). The item's page
answers (the queue has shown that the item exists; it is the record that is withheld), with no
title, stub, reasons or decision form; a class the person may not see is not named.

A bulk decision is `retention.review.decide_items`, as from the CLI: all or nothing; the page
only presents what it did and what it refused.
"""

from __future__ import annotations

from collections import Counter
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
from edrm.web.runtime import db
from retention import review, stored_rules, sweep
from retention.holds import blocking_holds
from retention.models import DisposalDecision, DisposalItem, ResidualStub
from retention.web.closure_form import ClosureForm, prefilled
from retention.web.forms import DecisionForm
from retention.web.labels import DECISION_DONE, STATUS_LABELS, count_words, item_status, ordinal

QUEUE_PAGE_SIZE = 200
SHOWN_PROBLEMS = 5  # refusals named in the banner
CLOSABLE = ("pending", "approved")  # a transfer's closure may change until it is carried out


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/queue", view_func=queue, methods=["GET"])
    bp.add_url_rule("/queue/decide", view_func=decide, methods=["POST"])
    bp.add_url_rule("/queue/<int:item_id>", view_func=item, methods=["GET"])
    bp.add_url_rule("/sweep", view_func=run_sweep, methods=["POST"])


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
        decidable=_count_decidable(session, filters, who),
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
    return int(session.scalar(_filtered(stmt, filters)) or 0)


def _filtered(stmt: Any, filters: dict[str, Any]) -> Any:
    """`stmt` narrowed to the items the queue filters select (as review.list_queue does)."""
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
    return stmt


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
    ids = [i.id for i in items]
    mine = _decided_by(session, ids, principal())
    last = _last_decisions(session, [i.id for i in items if i.stage > 1])
    blocks = blocking_holds(session, docs)
    return [
        {
            "item": found,
            "document": docs.get(found.document_id),
            "visible": found.document_id in docs,
            "class_visible": found.class_code in codes,
            "mine": found.id in mine,  # the person reviewed it already: another must decide
            "blocked_by": blocks.get(found.document_id, []),  # the holds that keep it
            "status_words": item_status(
                found.status, found.stage, found.stages, last.get(found.id)
            ),
        }
        for found in items
    ]


# --- one item ---------------------------------------------------------------------------------


def item(item_id: int) -> Any:
    return render_item(item_id)


def render_item(
    item_id: int,
    form: DecisionForm | None = None,
    *,
    closure_form: ClosureForm | None = None,
    status_code: int = 200,
) -> Any:
    """The item's page; for a transfer whose record the person sees, with the "Closure for
    transfer" form (as posted, with its errors, or prefilled from the record's closure)."""
    session = db()
    form = DecisionForm() if form is None else form
    found = session.get(DisposalItem, item_id)
    if found is None:
        raise NotFoundError(f"queue item {item_id} not found")
    decisions = review.decisions_for(session, item_id)
    row = _item_rows(session, [found], visible_node_codes(session, principal()))[0]
    rules = stored_rules.rules_by_code(session)
    stub = session.get(ResidualStub, found.document_id) if row["visible"] else None
    closable = row["visible"] and found.action == "transfer" and found.status in CLOSABLE
    if closable and closure_form is None:
        closure_form = prefilled(session, found.document_id)
    html = render_template(
        "retention/item.html",
        row=row,
        found=found,
        rule=rules.get(found.rule_code),
        decisions=decisions,
        status_words=item_status(
            found.status,
            found.stage,
            found.stages,
            decisions[-1].decision if decisions else None,
        ),
        decision_words=DECISION_DONE,
        mine=bool(_decided_by(session, [found.id], principal())),
        stub=stub,
        form=form,
        closure_form=closure_form if closable else None,
    )
    return html, status_code


# --- decisions --------------------------------------------------------------------------------


def decide() -> Any:
    form = DecisionForm()
    session = db()
    scope = request.form.get("scope", "ticked")
    if scope == "matching":  # every pending match the person may decide on
        ids = [i.id for i in _decidable(session, _queue_filters(), principal())]
    else:
        ids = ids_from(request.form.getlist("item"))
    back = id_or_none(request.form.get("back"))
    valid = form.validate_on_submit()
    if not valid or not ids:
        if not ids:
            form.form_errors.append("Choose at least one item in the queue")
        if back is not None:
            return render_item(back, form, status_code=400)
        return _render_queue(form, status_code=400)
    result = review.decide_items(
        session,
        ids,
        form.decision.data or "",
        reason=(form.reason.data or "").strip(),
        actor=principal(),
        new_date=form.new_date.data,
    )
    if result.refused:
        _flash_decision(result)
        if back is not None:
            return redirect(url_for("retention.item", item_id=back))
        return redirect(url_for("retention.queue", **_filter_args()))
    return _after_decision(session, result, back)


def _after_decision(session: Session, result: review.BulkDecision, back: int | None) -> Response:
    """Where a person goes after deciding: from an item's page, the next item they may decide;
    from the queue, the same view while it has work left for them, else the whole queue
    (which says when nothing is left)."""
    who = principal()
    filters = {**_queue_filters(), "status": "pending"}
    if back is not None:
        following = _decidable(session, {**filters, "class_code": None, "action": None,
                                         "stage": None}, who, limit=1)  # fmt: skip
        if following:
            _flash_decision(result, note=f" Next: item {following[0].id}.")
            return redirect(url_for("retention.item", item_id=following[0].id))
        _flash_decision(result)
        return redirect(url_for("retention.queue"))
    narrowed = any(filters[k] is not None for k in ("class_code", "action", "stage"))
    if narrowed and not _decidable(session, filters, who, limit=1):
        _flash_decision(result, note=" Nothing is left for you to decide in that batch.")
        return redirect(url_for("retention.queue"))
    _flash_decision(result)
    return redirect(url_for("retention.queue", **_filter_args()))


def _decidable_stmt(session: Session, filters: dict[str, Any], who: Principal) -> Any:
    """Pending items matching the filters that `who` may decide: cleared for the record, and
    not already one of its reviewers (each stage needs another person)."""
    mine = select(DisposalDecision.id).where(
        DisposalDecision.item_id == DisposalItem.id, DisposalDecision.decided_by == who.username
    )
    stmt = (
        select(DisposalItem)
        .join(Document, Document.id == DisposalItem.document_id)
        .where(document_filter(session, who), ~mine.exists())
    )
    return _filtered(stmt, {**filters, "status": "pending"})


def _decidable(
    session: Session, filters: dict[str, Any], who: Principal, *, limit: int | None = None
) -> list[DisposalItem]:
    """`_decidable_stmt`'s items, oldest due first."""
    stmt = _decidable_stmt(session, filters, who).order_by(DisposalItem.due_on, DisposalItem.id)
    return list(session.scalars(stmt if limit is None else stmt.limit(limit)))


def _count_decidable(session: Session, filters: dict[str, Any], who: Principal) -> int:
    stmt = select(func.count()).select_from(_decidable_stmt(session, filters, who).subquery())
    return int(session.scalar(stmt) or 0)


def _decided_by(session: Session, item_ids: list[int], who: Principal) -> set[int]:
    """The items among these that `who` has already decided at some stage."""
    if not item_ids:
        return set()
    return set(
        session.scalars(
            select(DisposalDecision.item_id).where(
                DisposalDecision.item_id.in_(item_ids),
                DisposalDecision.decided_by == who.username,
            )
        )
    )


def _last_decisions(session: Session, item_ids: list[int]) -> dict[int, str]:
    """Each item's latest decision (for the words of its status)."""
    last: dict[int, str] = {}
    if item_ids:
        for item_id, decision in session.execute(
            select(DisposalDecision.item_id, DisposalDecision.decision)
            .where(DisposalDecision.item_id.in_(item_ids))
            .order_by(DisposalDecision.id)
        ):
            last[item_id] = decision
    return last


def _flash_decision(result: review.BulkDecision, *, note: str = "") -> None:
    """One banner for the whole decision: how many decisions were recorded and what each
    came to ("3 decisions recorded: 2 approved, ready to carry out; 1 approved at first
    review, waiting for second review"), or which items were refused and why (then nothing
    was decided)."""
    if result.decided:
        n = len(result.decided)
        outcomes = Counter(_outcome(result.decision, i) for i in result.decided)
        parts = "; ".join(f"{count} {words}" for words, count in outcomes.items())
        flash(f"{n} decision{'s' if n != 1 else ''} recorded: {parts}.{note}", "success")
    refused = result.refused
    if refused:
        shown = "; ".join(f"Item {r.item_id}: {r.why}" for r in refused[:SHOWN_PROBLEMS])
        more = len(refused) - SHOWN_PROBLEMS
        flash(
            f"None of the {count_words(result.asked)} was decided: a decision on several items "
            f"is all or nothing. Refused: {shown}"
            + (f"; and {more} more" if more > 0 else "")
            + ". Untick the items refused and decide again.",
            "error",
        )


def _outcome(decision: str, item: DisposalItem) -> str:
    """What one decision came to, in words."""
    if decision == "approve" and item.status == "pending":
        return (
            f"approved at {ordinal(item.stage - 1)} review, waiting for "
            f"{ordinal(item.stage)} review"
        )
    if decision == "approve":
        return "approved, ready to carry out"
    if decision == "refer":
        return f"referred to a further reviewer ({ordinal(item.stage)} review)"
    return DECISION_DONE[decision].lower()


# --- the sweep ------------------------------------------------------------------


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
