"""The records management overview page: the queue by status, active holds, transfers awaiting
the archive's receipt and disposal batches not yet complete."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from edrm.web.forms import ActionForm
from edrm.web.runtime import db
from retention.models import DisposalBatch, DisposalItem, LegalHold, Transfer


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=index, methods=["GET"])


def index() -> str:
    session = db()
    by_status = dict(
        session.execute(
            select(DisposalItem.status, func.count()).group_by(DisposalItem.status)
        ).all()
    )
    active_holds = session.scalar(
        select(func.count()).select_from(LegalHold).where(LegalHold.lifted_at.is_(None))
    )
    awaiting_receipt = session.scalar(
        select(func.count()).select_from(Transfer).where(Transfer.status == "exported")
    )
    incomplete = session.scalar(
        select(func.count()).select_from(DisposalBatch).where(DisposalBatch.status != "complete")
    )
    return render_template(
        "retention/index.html",
        by_status=by_status,
        active_holds=active_holds or 0,
        awaiting_receipt=awaiting_receipt or 0,
        incomplete=incomplete or 0,
        form=ActionForm(),
    )
