"""The redaction pages of a request, and the disclosure log.

- /requests/ID/redactions: the request's records, every proposal with approve and reject (a
  second person), the bundle export, and the response (letter, publish or not);
- /requests/ID/records/DOC/redact: the record's pages, where an area is drawn on the page
  image (redaction.js; without script, the box is typed in) or a term is proposed;
- /disclosure-log (and .csv): the answered FOI and EIR requests, with published bundles.

Every view turns the request into one service call; the services ask the access module
(requests do not exist — 404 — for people who do not handle them; the log is for everyone
signed in). The request's unit of work commits.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from disclosure.bundle_export import bundle_for
from disclosure.bundles import bundle_document_ids
from disclosure.disclosure_log import log_csv, log_entries, published_bundle
from disclosure.record_pages import page_png, page_sizes, record_content
from disclosure.redaction_config import load_redaction_config
from disclosure.redaction_models import LETTERS, RequestResponse
from disclosure.redactions import (
    Area,
    approve,
    box_of,
    get_redaction,
    propose,
    redactions_for,
    reject,
    request_for,
)
from disclosure.responses import respond
from edrm.access import get_visible_document
from edrm.errors import EdrmError, InvalidInputError, NotFoundError
from edrm.web.auth import principal
from edrm.web.runtime import db, rt

bp = Blueprint("redaction", __name__)

LETTER_LABELS = {
    "granted": "Granted: all the information is released",
    "part": "Partly granted: some information is withheld",
    "refused": "Refused: exemptions apply",
    "not-held": "Information not held",
    "vexatious": "Vexatious (or manifestly unreasonable)",
}


@bp.before_request
def _signed_in() -> Any:
    if g.get("user") is None:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return None


def _config() -> Any:
    return load_redaction_config(rt().settings)


@bp.get("/requests/<int:request_id>/redactions")
def request_redactions(request_id: int) -> Any:
    session, who = db(), principal()
    info = request_for(session, who, request_id)
    config = _config()
    records = []
    for document_id in bundle_document_ids(session, info.id):
        try:
            records.append(get_visible_document(session, who, document_id))
        except NotFoundError:
            continue
    found = redactions_for(session, who, info.id)
    return render_template(
        "redaction/request.html",
        info=info,
        records=records,
        redactions=found,
        titles={d.id: d.title for d in records},
        exemptions={e.code: e for e in config.exemptions},
        choices=config.for_regime(info.kind) or list(config.exemptions),
        pending=sum(1 for r in found if r.status == "proposed"),
        response=session.get(RequestResponse, info.id),
        letters=[(letter, LETTER_LABELS[letter]) for letter in LETTERS],
        me=who.username,
    )


@bp.route("/requests/<int:request_id>/records/<int:document_id>/redact", methods=["GET", "POST"])
def record_redaction(request_id: int, document_id: int) -> Any:
    session, who = db(), principal()
    info = request_for(session, who, request_id)
    document = get_visible_document(session, who, document_id)
    config = _config()
    record = record_content(session, rt().blobs, who, document.id)
    sizes = page_sizes(record)
    problem = ""
    if request.method == "POST":
        form = request.form
        try:
            with session.begin_nested():
                term = (form.get("term") or "").strip() if form.get("kind") == "term" else None
                box = None
                if term is None:
                    area = Area.parse(int(form.get("page") or 0), form.get("box") or "")
                    box = area.box(sizes)
                redaction = propose(
                    session,
                    config,
                    actor=who,
                    request_id=info.id,
                    document_id=document.id,
                    exemption=form.get("exemption") or "",
                    term=term,
                    box=box,
                    note=form.get("note") or "",
                )
        except (EdrmError, ValueError) as exc:
            problem = str(exc) if isinstance(exc, EdrmError) else "the page must be a number"
        else:
            flash(f"Redaction {redaction.id} proposed: a second person must approve it.", "success")
            return redirect(
                url_for(".record_redaction", request_id=info.id, document_id=document.id)
            )
    found = redactions_for(session, who, info.id, document_id=document.id)
    pages = [
        {
            "number": n,
            "ratio": height / width if width else 1.4142,
            "boxes": [(r, b) for r in found if (b := box_of(r)) is not None and b.page == n],
        }
        for n, (width, height) in enumerate(sizes, start=1)
    ]
    return (
        render_template(
            "redaction/record.html",
            info=info,
            document=document,
            pages=pages,
            terms=[r for r in found if r.kind == "term"],
            redactions=found,
            choices=config.for_regime(info.kind) or list(config.exemptions),
            problem=problem,
            form=request.form,
        ),
        400 if problem else 200,
    )


@bp.get("/requests/<int:request_id>/records/<int:document_id>/pages/<int:number>.png")
def page_image(request_id: int, document_id: int, number: int) -> Any:
    session, who = db(), principal()
    info = request_for(session, who, request_id)
    if document_id not in bundle_document_ids(session, info.id):
        raise NotFoundError(f"document {document_id} not found")
    record = record_content(session, rt().blobs, who, document_id)
    try:
        data = page_png(record, number)
    except IndexError:
        raise NotFoundError(f"page {number} not found") from None
    return Response(data, mimetype="image/png", headers={"Cache-Control": "private, no-store"})


def _back(redaction_id: int) -> Any:
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    found = get_redaction(db(), principal(), redaction_id)
    return redirect(url_for(".request_redactions", request_id=found.request_id))


@bp.post("/redactions/<int:redaction_id>/approve")
def approve_redaction(redaction_id: int) -> Any:
    approve(db(), principal(), redaction_id)
    flash(f"Redaction {redaction_id} approved.", "success")
    return _back(redaction_id)


@bp.post("/redactions/<int:redaction_id>/reject")
def reject_redaction(redaction_id: int) -> Any:
    reject(db(), principal(), redaction_id, request.form.get("reason") or "")
    flash(f"Redaction {redaction_id} rejected.", "success")
    return _back(redaction_id)


@bp.post("/requests/<int:request_id>/export")
def export_bundle(request_id: int) -> Any:
    session, who = db(), principal()
    info = request_for(session, who, request_id)
    data, _report = bundle_for(session, rt().blobs, _config(), actor=who, request_id=info.id)
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{info.reference}-bundle.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/requests/<int:request_id>/respond")
def send_response(request_id: int) -> Any:
    session, who = db(), principal()
    info = request_for(session, who, request_id)
    form = request.form
    try:
        with session.begin_nested():
            sent = respond(
                session,
                rt().blobs,
                _config(),
                actor=who,
                request_id=info.id,
                letter=form.get("letter") or "",
                exemptions=[c for c in form.getlist("exemption") if c],
                public_interest=form.get("public_interest") or "",
                publish=form.get("publish") == "yes",
            )
    except InvalidInputError as exc:
        flash(f"The response was not sent: {exc}.", "error")
        return redirect(url_for(".request_redactions", request_id=info.id))
    flash(f"Response sent: the letter is filed as {sent.letter.identifier}.", "success")
    return redirect(url_for(".request_redactions", request_id=info.id))


@bp.get("/disclosure-log")
def disclosure_log() -> Any:
    page = max(1, request.args.get("page", 1, type=int) or 1)
    per_page = 50
    entries = log_entries(db(), limit=per_page + 1, offset=(page - 1) * per_page)
    return render_template(
        "redaction/log.html",
        entries=entries[:per_page],
        page=page,
        more=len(entries) > per_page,
    )


@bp.get("/disclosure-log.csv")
def disclosure_log_csv() -> Any:
    url = url_for(".published", reference="REF", _external=True).replace("REF", "{reference}")
    return Response(
        log_csv(log_entries(db(), limit=100_000), url),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="disclosure-log.csv"'},
    )


@bp.get("/disclosure-log/<reference>.pdf")
def published(reference: str) -> Any:
    data = published_bundle(db(), rt().blobs, reference)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{reference.upper()}-bundle.pdf"'},
    )
