"""The document page (metadata, versions, history) and downloads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response

from edrm import audit
from edrm.access import get_visible_document, may_change_document, may_see_audit_history
from edrm.documents.service import declare_record, note_view, open_content
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.route("/<int:document_id>")
@login_required
def show(document_id: int) -> str:
    who = principal()
    session = db()
    document = get_visible_document(session, who, document_id)
    note_view(session, document, who)
    history = (
        audit.history(session, "document", document.id) if may_see_audit_history(who) else None
    )
    return render_template(
        "documents/show.html",
        document=document,
        breadcrumbs=document.node.path(),
        history=history,
        can_change=may_change_document(who, document),
        form=ActionForm(),
    )


@bp.route("/<int:document_id>/download")
@bp.route("/<int:document_id>/versions/<int:version>/download")
@login_required
def download(document_id: int, version: int | None = None) -> Any:
    runtime = rt()
    _doc, chosen = open_content(
        db(), runtime.blobs, document_id, actor=principal(), version=version
    )
    response = send_file(
        runtime.blobs.path(chosen.sha256),
        mimetype=chosen.mime or "application/octet-stream",
        as_attachment=True,
        download_name=chosen.filename,
        etag=chosen.sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<int:document_id>/declare", methods=["POST"])
@login_required
def declare(document_id: int) -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        declare_record(db(), document_id, actor=principal())
        flash("Declared as a record: its content can no longer change.", "success")
    return redirect(url_for("documents.show", document_id=document_id))
