"""The document page (metadata, versions, renditions, history, the legal holds on it and what
its filer may do with it) and downloads; the pages that correct a record are in
document_changes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response

from edrm import audit
from edrm.access import get_visible_document, may_change_document, may_see_audit_history
from edrm.documents.contributors import names_of
from edrm.documents.filing import filing_classes, folder_needed, open_folders
from edrm.documents.service import declare_record, note_view, open_content
from edrm.errors import GoneError, RefusedError
from edrm.ingest.pipeline import document_ingest_view
from edrm.mailin.view import attached_to, sent_by_email
from edrm.renditions.service import open_rendition, renditions_of
from edrm.web import document_changes, record_links
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.record_holds import WHILE_HELD, holds_on
from edrm.web.runtime import db, keep_refused_change_audit, rt, send_rendition, send_version

bp = Blueprint("documents", __name__, url_prefix="/documents")
document_changes.register(bp)
record_links.register(bp)


@bp.route("/<int:document_id>")
@login_required
def show(document_id: int) -> str:
    who = principal()
    session = db()
    document = get_visible_document(session, who, document_id)
    note_view(session, document, who, every=rt().settings.audit_all_views)
    history = (
        audit.history(session, "document", document.id) if may_see_audit_history(who) else None
    )
    if document.status == "destroyed":
        return _destroyed_page(document, history=history, status=200)[0]
    can_change = may_change_document(who, document)
    needs_folder = folder_needed(session, document.node) if document.node else None
    return render_template(
        "documents/show.html",
        document=document,
        breadcrumbs=document.node.path() if document.node else [],
        history=history,
        ingest=document_ingest_view(session, document, who),
        sent=sent_by_email(session, document, who),
        attached_to=attached_to(session, document, who),
        similar=_similar(document.id),
        can_change=can_change,
        holds=holds_on(session, document),
        while_held=WHILE_HELD,
        filer=document_changes.filer_name(session, document),
        people=names_of(session, document.id),
        needs_folder=needs_folder,
        folders_open=document.node is not None
        and bool(needs_folder)
        and bool(open_folders(session, who, document.node)),
        classes=filing_classes(session, who) if can_change and document.in_triage else [],
        link_choices=record_links.link_choices(session, who, document) if can_change else [],
        renditions=renditions_of(session, document.id),
        rendition_note=(document.extra or {}).get("rendition_note"),
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
    return send_version(chosen)


@bp.route("/<int:document_id>/renditions/<kind>/download")
@login_required
def download_rendition(document_id: int, kind: str) -> Any:
    """A rendition of the latest version (asked of the access module, audited as a download)."""
    runtime = rt()
    document, found = open_rendition(db(), runtime.blobs, document_id, kind, principal())
    return send_rendition(document, found)


@bp.route("/<int:document_id>/declare", methods=["POST"])
@login_required
def declare(document_id: int) -> Response | tuple[str, int]:
    form = ActionForm()
    if form.validate_on_submit():
        try:
            declare_record(db(), document_id, actor=principal())
        except RefusedError as exc:  # a hold on it, or not theirs to declare: say which
            keep_refused_change_audit(exc)
            document = get_visible_document(db(), principal(), document_id)
            return document_changes.refusal_page(document, "declare", fallback=str(exc))
        flash("Declared as a record: its content can no longer change.", "success")
    return redirect(url_for("documents.show", document_id=document_id))


@bp.route("/<int:document_id>/preview.png")
@login_required
def preview(document_id: int) -> Any:
    """The first-page preview made at ingest (same access as the document)."""
    from edrm.access import get_visible_document as visible
    from edrm.errors import NotFoundError

    who = principal()
    document = visible(db(), who, document_id)
    if document.status == "destroyed":
        raise GoneError(f"document {document_id} has been destroyed", document_id=document_id)
    sha = (document.extra or {}).get("preview_sha256")
    if not sha or not rt().blobs.exists(sha):
        raise NotFoundError("no preview")
    note_view(db(), document, who, kind="preview", every=rt().settings.audit_all_views)
    response = send_file(rt().blobs.path(sha), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.errorhandler(GoneError)
def _gone(exc: GoneError) -> tuple[str, int]:
    """410 Gone for the content of a destroyed record, with its residual stub."""
    document = get_visible_document(db(), principal(), exc.document_id or 0)
    return _destroyed_page(document, history=None, status=410)


def _destroyed_page(document: Any, *, history: Any, status: int) -> tuple[str, int]:
    from retention.stubs import stub_for

    page = render_template(
        "documents/destroyed.html",
        document=document,
        stub=stub_for(db(), document.id),
        breadcrumbs=document.node.path() if document.node else [],
        history=history,
        status=status,
    )
    return page, status


def _similar(document_id: int) -> tuple[Any, ...]:
    """More-like-this, as the viewer (never what they may not see); empty if search is down."""
    from edrm.search_service import similar_documents
    from search.base import SearchError

    try:
        return similar_documents(db(), rt(), principal(), document_id, limit=5)
    except SearchError:
        return ()
