"""Closure for transfer on the pages (issue 17 part 5): the disposal review of a transfer item
carries a "Closure for transfer" form (retention.web.closure_form) whose save is
retention.closure's `set_closure`, and the record page shows records managers the record's
closure with a link to that form.

Saving is one row and one audit entry in the request's unit of work (set_closure): a crash
before the commit keeps nothing, after it the closure is kept once; saving again replaces it.
A closure with problems is shown again with its errors beside the fields, and nothing is saved.
Only records managers reach these routes (the blueprint's guard, then set_closure's), and only
for a record they may see (others: not found, as for any record withheld).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import get_visible_document
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError
from edrm.web.auth import principal
from edrm.web.runtime import db
from retention.closure import CLOSED, Closure, closure_of, set_closure
from retention.models import DisposalItem, RecordClosure
from retention.web.closure_form import ClosureForm
from retention.web.queue import CLOSABLE, render_item

#: Items whose closure may still change: not yet carried out (as the item page offers it).
OPEN_STATUSES = CLOSABLE


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/queue/<int:item_id>/closure", view_func=save_closure, methods=["POST"])
    bp.add_app_template_global(record_closure, "record_closure")


def save_closure(item_id: int) -> Any:
    session, who = db(), principal()
    found = session.get(DisposalItem, item_id)
    if found is None:
        raise NotFoundError(f"queue item {item_id} not found")
    get_visible_document(session, who, found.document_id)  # withheld: not found
    if found.action != "transfer" or found.status not in OPEN_STATUSES:
        raise InvalidInputError(
            f"queue item {item_id} is not a transfer awaiting review or export: "
            "its closure is set only before the record is transferred"
        )
    form = ClosureForm()
    if not form.check():
        return render_item(item_id, closure_form=form, status_code=400)
    closure = form.closure()
    set_closure(session, found.document_id, closure, actor=who)
    flash(_saved_words(closure), "success")
    return redirect(url_for("retention.item", item_id=item_id) + "#closure")


def record_closure(document: Document) -> dict[str, Any] | None:
    """The record page's closure panel, for records managers: the record's closure and the
    transfer item whose review page sets it (None when no transfer is under way)."""
    who = g.get("principal")
    if who is None or not who.manages_records or document.status == "destroyed":
        return None
    session = db()
    return {
        "closure": closure_of(session, document.id),
        "set": session.get(RecordClosure, document.id) is not None,
        "item_id": _transfer_item(session, document.id),
        "document_id": document.id,
    }


def _transfer_item(session: Session, document_id: int) -> int | None:
    return session.scalar(
        select(DisposalItem.id)
        .where(
            DisposalItem.document_id == document_id,
            DisposalItem.action == "transfer",
            DisposalItem.status.in_(OPEN_STATUSES),
        )
        .order_by(DisposalItem.id.desc())
        .limit(1)
    )


def _saved_words(closure: Closure) -> str:
    if closure.closure_type != CLOSED:
        return "Closure saved: the record is open and transfers as Open."
    return (
        f"Closure saved: closed for {closure.closure_period} years from "
        f"{closure.closure_start_date:%-d %B %Y} under FOI {closure.foi_exemption_code}."
    )
