"""The transfer pages: transfers to the archive, exporting the approved transfers as a bag, one
transfer with its records, where the archive's receipt is confirmed, and the download of its
package (retention.transfer_package). A record the person
may not see is listed as withheld (no title or identifier), so the count still adds up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from sqlalchemy import func, select

from edrm.access import visible_document_ids
from edrm.documents.models import Document
from edrm.errors import EdrmError
from edrm.web.auth import principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt
from retention import transfer, transfer_confirmation, transfer_package
from retention.disposal_config import load_config
from retention.models import DisposalItem, TransferItem
from retention.web.forms import ConfirmTransferForm

SHOWN_DOCUMENTS = 500


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/transfers", view_func=transfers, methods=["GET"])
    bp.add_url_rule("/transfers/export", view_func=export_transfer, methods=["POST"])
    bp.add_url_rule("/transfers/<bag_id>", view_func=transfer_page, methods=["GET", "POST"])
    bp.add_url_rule("/transfers/<bag_id>/package", view_func=package, methods=["GET"])


def package(bag_id: str) -> Response:
    """The transfer package (the bag, as .tar.gz), streamed from where it is stored."""
    session = db()
    found = transfer.get_transfer(session, bag_id)
    folder = transfer_package.open_package(session, found, actor=principal())
    session.commit()  # the download is audited before the first byte goes
    name = transfer_package.package_name(found)
    return Response(
        stream_with_context(transfer_package.stream_package(folder, found.bag_id)),
        mimetype="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )


def _archive() -> str:
    return load_config(rt().settings).archive_name


def transfers() -> str:
    session = db()
    listed = [transfer.transfer_as_dict(session, t) for t in transfer.list_transfers(session)]
    waiting = session.scalar(
        select(func.count())
        .select_from(DisposalItem)
        .where(DisposalItem.action == "transfer", DisposalItem.status == "approved")
    )
    return render_template(
        "retention/transfers.html",
        transfers=listed,
        waiting=waiting or 0,
        form=ActionForm(),
        archive=_archive(),
    )


def export_transfer() -> Any:
    if not ActionForm().validate_on_submit():
        abort(400)
    db().commit()
    try:
        made = transfer.export_transfer(rt(), actor=principal())
    except EdrmError as exc:
        flash(str(exc), "error")
        return redirect(url_for("retention.transfers"))
    flash(
        f"Transfer package {made.bag_id} written: download it and send it to {_archive()}.",
        "success",
    )
    return redirect(url_for("retention.transfer_page", bag_id=made.bag_id))


def transfer_page(bag_id: str) -> Any:
    session = db()
    found = transfer.get_transfer(session, bag_id)
    form = ConfirmTransferForm()
    status = 200
    # A confirmed transfer that stopped part-way (e.g. a record held after export) can be
    # finished by confirming again.
    if found.status in ("exported", "confirmed") and form.validate_on_submit():
        session.commit()
        try:
            finished = transfer_confirmation.confirm_transfer(
                rt(), bag_id, actor=principal(), receipt=form.receipt.data.strip()
            )
        except EdrmError as exc:
            form.form_errors.append(str(exc))
            status = 400
        else:
            n = len(finished)
            flash(
                f"Receipt recorded: {n} record{'s' if n != 1 else ''} transferred to "
                f"{_archive()}; the local copies are removed.",
                "success",
            )
            return redirect(url_for("retention.transfer_page", bag_id=bag_id))
    elif form.is_submitted():
        status = 400
    docs = list(
        session.scalars(
            select(Document)
            .join(TransferItem, TransferItem.document_id == Document.id)
            .where(TransferItem.transfer_id == found.id)
            .order_by(Document.id)
            .limit(SHOWN_DOCUMENTS)
        )
    )
    visible = visible_document_ids(session, principal(), [d.id for d in docs])
    return (
        render_template(
            "retention/transfer.html",
            transfer=found,
            docs=[(d, d.id in visible) for d in docs],
            form=form,
            archive=_archive(),
            downloadable=Path(found.path).is_dir() and len(visible) == len(docs),
        ),
        status,
    )
