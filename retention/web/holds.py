"""The legal hold pages: the holds (active, or all) and placing one on a record, a folder or a
search; one hold with what it covers, lifting it, and deleting one placed by mistake (offered
only when the service would allow it; otherwise the page says why not).

A records manager sees every hold (holds are theirs to manage), but a record or file-plan place
they may not see is shown only as withheld: no title, number or code, counted all the same."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from edrm.access import Principal, may_see_node, visible_document_ids, visible_node_codes
from edrm.documents.models import Document
from edrm.errors import EdrmError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.web.auth import principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt
from retention import holds
from retention.models import LegalHold, LegalHoldItem
from retention.web.forms import HoldForm, ReasonForm, document_number
from retention.web.labels import count_words

SHOWN_DOCUMENTS = 200
MAX_VISIBLE_QUERY = 900  # ids per IN (…) list, under every engine's bound-parameter limit


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/holds", view_func=holds_page, methods=["GET", "POST"])
    bp.add_url_rule("/holds/<int:hold_id>", view_func=hold, methods=["GET", "POST"])
    bp.add_url_rule("/holds/<int:hold_id>/delete", view_func=delete_hold, methods=["POST"])


def holds_page() -> Any:
    session = db()
    form = HoldForm()
    status = 200
    if form.validate_on_submit():
        try:
            with session.begin_nested():
                placed = holds.place_hold(
                    session,
                    reason=form.reason.data.strip(),
                    authority=form.authority.data.strip(),
                    actor=principal(),
                    document_id=document_number(form.document_id.data),
                    folder_code=(form.folder_code.data or "").strip() or None,
                    query=(form.query.data or "").strip() or None,
                    search=rt(),
                )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            flash(f"Hold {placed.id} placed: {_covered(session, placed)}.", "success")
            return redirect(url_for("retention.hold", hold_id=placed.id))
    elif form.is_submitted():
        status = 400
    show_all = request.args.get("all") == "1"
    listed = holds.list_holds(session, active_only=not show_all)
    return (
        render_template(
            "retention/holds.html",
            holds=listed,
            coverage={h.id: {"documents": holds.covered_count(session, h.id)} for h in listed},
            target_visible=_targets_visible(session, principal(), listed),
            show_all=show_all,
            form=form,
        ),
        status,
    )


def _targets_visible(session: Session, who: Principal, listed: list[LegalHold]) -> dict[int, bool]:
    """Whether the person may see what each hold is placed on (a query is theirs to read)."""
    doc_ids = {int(h.target) for h in listed if h.scope == "doc" and h.target.isdigit()}
    docs = visible_document_ids(session, who, doc_ids)
    codes = visible_node_codes(session, who) if any(h.scope == "folder" for h in listed) else set()
    return {
        h.id: (h.target.isdigit() and int(h.target) in docs)
        if h.scope == "doc"
        else (h.target in codes if h.scope == "folder" else True)
        for h in listed
    }


def _covered(session: Session, placed: LegalHold) -> str:
    n = holds.covered_count(session, placed.id)
    return f"it covers {count_words(n).replace('item', 'record')}"


def hold(hold_id: int) -> Any:
    session = db()
    found = session.get(LegalHold, hold_id)
    if found is None:
        raise NotFoundError(f"hold {hold_id} not found")
    form = ReasonForm()
    status = 200
    if form.validate_on_submit():
        try:
            with session.begin_nested():
                holds.lift_hold(
                    session, hold_id, reason=form.reason.data.strip(), actor=principal()
                )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            flash(f"Hold {hold_id} lifted.", "success")
            return redirect(url_for("retention.holds_page"))
    elif form.is_submitted():
        status = 400
    who = principal()
    covered = _covered_records(session, who, hold_id)
    return (
        render_template(
            "retention/hold.html",
            hold=found,
            target_visible=_targets_visible(session, who, [found])[found.id],
            docs=covered.shown,
            doc_count=covered.total,
            hidden_count=covered.hidden,
            nodes=[(n, may_see_node(who, n)) for n in _held_nodes(session, hold_id)],
            deletion_refusal=holds.deletion_refusal(session, found),
            form=form,
            action_form=ActionForm(),
        ),
        status,
    )


@dataclass(frozen=True)
class CoveredRecords:
    """What a hold covers, as one person may be shown it: the first records they may see,
    how many it covers in all, and how many of those they may not see."""

    shown: list[Document]
    total: int
    hidden: int


def _covered_records(session: Session, who: Principal, hold_id: int) -> CoveredRecords:
    """Every record the hold covers (named directly, or filed under a place it holds), of
    which only those the person may see are listed, by title."""
    ids = list(session.scalars(holds.hold_document_ids(session, hold_id)))
    visible = visible_document_ids(session, who, ids)
    shown = (
        list(
            session.scalars(
                select(Document)
                .where(Document.id.in_(sorted(visible)[:MAX_VISIBLE_QUERY]))
                .order_by(Document.title, Document.id)
                .limit(SHOWN_DOCUMENTS)
            )
        )
        if visible
        else []
    )
    return CoveredRecords(shown=shown, total=len(ids), hidden=len(ids) - len(visible))


def _held_nodes(session: Session, hold_id: int) -> list[FilePlanNode]:
    """The file-plan places a hold names (it covers everything under each)."""
    node_ids = list(
        session.scalars(
            select(LegalHoldItem.node_id).where(
                LegalHoldItem.hold_id == hold_id, LegalHoldItem.node_id.is_not(None)
            )
        )
    )
    if not node_ids:
        return []
    return list(
        session.scalars(
            select(FilePlanNode).where(FilePlanNode.id.in_(node_ids)).order_by(FilePlanNode.code)
        )
    )


def delete_hold(hold_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db()
    try:
        with session.begin_nested():
            holds.delete_hold(session, hold_id, actor=principal())
    except RefusedError as exc:
        flash(str(exc), "error")
        return redirect(url_for("retention.hold", hold_id=hold_id))
    flash(f"Hold {hold_id} deleted.", "success")
    return redirect(url_for("retention.holds_page", all="1"))
