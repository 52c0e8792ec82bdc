"""Correcting a record from its page: its details (with a reason, checked before they are
saved), where it is filed (a class by name, then a folder where the class has or needs one;
"File this" for a document still on a triage list), and a new version of its content.

Each page is not found for someone who may not see the record, and refused, saying why, while
a legal hold covers it (naming the hold) or to anyone but its filer and records managers. The
services make the changes and audit them; a change refused by a hold is audited too.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from edrm.access import get_visible_document, may_change_document
from edrm.documents import guards
from edrm.documents.filing import (
    NEW_FOLDER,
    PlaceError,
    chosen_class,
    chosen_place,
    filing_classes,
    folder_needed,
    open_folders,
)
from edrm.documents.models import Document
from edrm.documents.service import add_version, allowed_markings, move_document, update_metadata
from edrm.errors import EdrmError, GoneError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.ingest.triage import confirm
from edrm.people.models import User
from edrm.web.auth import login_required, principal
from edrm.web.document_forms import (
    DETAIL_FIELDS,
    DETAIL_LABELS,
    ClassForm,
    DetailsForm,
    PlaceForm,
    VersionForm,
    error_list,
)
from edrm.web.record_holds import holds_on
from edrm.web.runtime import db, keep_refused_change_audit, rt

#: What each page does to a record, as its refusal says it ("You cannot move this record").
DOING = {
    "metadata": "edit the details of",
    "move": "move",
    "file": "file",
    "content": "upload a new version of",
    "declare": "declare",
    "link": "file in further places",
    "unlink": "take out of a place it is filed in",
}


def register(bp: Blueprint) -> None:
    rules = (
        ("/<int:document_id>/edit", "edit", edit),
        ("/<int:document_id>/move", "move", move),
        ("/<int:document_id>/move/folder", "move_place", move_place),
        ("/<int:document_id>/versions/new", "new_version", new_version),
    )
    for rule, endpoint, view in rules:
        bp.add_url_rule(rule, endpoint, login_required(view), methods=["GET", "POST"])


# --- who may change it, and why not -------------------------------------------------------------


def filer_name(session: Session, document: Document) -> str:
    """Who filed the document, as people know them."""
    user = session.get(User, document.filed_by_id) if document.filed_by_id else None
    return (user.full_name or user.username) if user is not None else "the person who filed it"


def refusal_page(
    document: Document, change: str, *, also: list[str] | None = None, fallback: str = ""
) -> Any:
    """Why the person cannot make this change to the record: the holds on it (named, with
    their reasons), and whether only its filer or a records manager may (403). `fallback`
    is the refusal's own words, shown when neither explains it."""
    session, who = db(), principal()
    reasons = list(also or [])
    if not may_change_document(who, document):
        reasons.append(
            f"Only {filer_name(session, document)}, who filed it, or a records manager may "
            f"{DOING.get(change, 'change')} it."
        )
    holds = holds_on(session, document)
    if not reasons and not holds and fallback:
        reasons.append(fallback[:1].upper() + fallback[1:] + ".")
    page = render_template(
        "documents/refused.html",
        document=document,
        doing=DOING.get(change, "change"),
        holds=holds,
        reasons=reasons,
        breadcrumbs=document.node.path() if document.node else [],
    )
    return page, 403


def _refused(document: Document, change: str) -> Any | None:
    """The refusal page if a hold covers the record, it is a declared record (for new
    content), or the person may not change it; None when they may. A refused POST is audited
    as the hold's refusal of a change."""
    who = principal()
    also = []
    if change == "content" and document.is_record:
        also.append(
            "It is a declared record: its content can no longer change. To keep the changed "
            "file, add it as a new document."
        )
    held = bool(holds_on(db(), document))
    if held and request.method == "POST":
        try:
            guards.check(db(), document, change, who)
        except RefusedError as exc:
            keep_refused_change_audit(exc)
    if also or held or not may_change_document(who, document):
        return refusal_page(document, change, also=also)
    return None


def _document(document_id: int) -> Document:
    document = get_visible_document(db(), principal(), document_id)
    if document.status == "destroyed":
        raise GoneError(f"document {document_id} has been destroyed", document_id=document_id)
    return document


# --- details ------------------------------------------------------------------------------------


def _current(document: Document) -> dict[str, str]:
    return {
        "title": document.title,
        "doc_type": document.doc_type or "",
        "subject": document.subject or "",
        "description": (document.description or "").replace("\r\n", "\n").strip(),
        "marking": document.marking_value,
    }


def edit(document_id: int) -> Any:
    """Edit the details: the form, then "check your changes", then saved (and audited)."""
    document = _document(document_id)
    refused = _refused(document, "metadata")
    if refused is not None:
        return refused
    who, current = principal(), _current(document)
    form = DetailsForm(data=current) if request.method == "GET" else DetailsForm()
    form.marking.choices = [(m.value, m.value) for m in allowed_markings(who, document)]
    if request.method == "GET" or "change" in request.form:
        return _details_page(document, form, 200)
    if not form.validate_on_submit():
        return _details_page(document, form, 400)
    changes = {k: v for k, v in form.values().items() if v != current[k]}
    if not changes:
        form.title.errors = ["Change at least one detail, or go back to the record"]
        return _details_page(document, form, 400)
    reason = (form.reason.data or "").strip()
    if "confirm" not in request.form:
        rows = [(DETAIL_LABELS[k], current[k], changes[k]) for k in DETAIL_FIELDS if k in changes]
        page = render_template(
            "documents/edit_check.html",
            document=document,
            form=form,
            rows=rows,
            reason=reason,
            breadcrumbs=document.node.path() if document.node else [],
        )
        return page, 200
    try:
        update_metadata(db(), document.id, changes, actor=who, reason=reason)
    except RefusedError:
        raise  # a hold placed meanwhile: the error page says which (and it is audited)
    except EdrmError as exc:  # e.g. a marking below its class's
        field = form.marking if "marking" in changes else form.title
        field.errors = [str(exc)]
        return _details_page(document, form, 400)
    names = [DETAIL_LABELS[k].lower() for k in DETAIL_FIELDS if k in changes]
    flash(
        f"Details saved: {_and(names)} changed. The change is in the record's history.", "success"
    )
    return redirect(url_for("documents.show", document_id=document.id))


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _details_page(document: Document, form: DetailsForm, status: int) -> Any:
    page = render_template(
        "documents/edit.html",
        document=document,
        form=form,
        errors=error_list(form, extra=list(form.form_errors)),
        breadcrumbs=document.node.path() if document.node else [],
    )
    return page, status


# --- where it is filed --------------------------------------------------------------------------


def _change(document: Document) -> str:
    return "file" if document.in_triage else "move"


def move(document_id: int) -> Any:
    """Step one of moving (or filing, from the triage list): the class, by name."""
    document = _document(document_id)
    refused = _refused(document, _change(document))
    if refused is not None:
        return refused
    session, who = db(), principal()
    form = ClassForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _class_page(document, form, 400)
        code = (form.class_code.data or "").strip()
        try:
            node = chosen_class(session, who, code)
            target = chosen_place(session, who, code, None)
        except PlaceError as exc:
            if exc.field == "class_code":
                form.class_code.errors = [str(exc)]
                return _class_page(document, form, 400)
        else:
            if document.in_triage and not open_folders(session, who, node):
                return _file(document, target)
        step_two: dict[str, Any] = {"document_id": document.id, "class": code}
        return redirect(url_for("documents.move_place", **step_two))
    return _class_page(document, form, 200)


def _class_page(document: Document, form: ClassForm, status: int) -> Any:
    page = render_template(
        "documents/move.html",
        document=document,
        form=form,
        classes=filing_classes(db(), principal()),
        errors=error_list(form),
        breadcrumbs=document.node.path() if document.node else [],
    )
    return page, status


def move_place(document_id: int) -> Any:
    """Step two: the folder in the chosen class (asked for where the class needs one), the
    reason for a move, and what changes, before it is done."""
    document = _document(document_id)
    refused = _refused(document, _change(document))
    if refused is not None:
        return refused
    session, who = db(), principal()
    code = (request.form.get("class_code") or request.args.get("class") or "").strip()
    try:
        node = chosen_class(session, who, code)
    except PlaceError:
        return redirect(url_for("documents.move", document_id=document.id))
    form = PlaceForm(data={"class_code": node.code})
    needs = folder_needed(session, node)
    folders = open_folders(session, who, node)
    form.folder_code.choices = [(f.code, f.title) for f in folders]
    form.folder_code.choices.append((NEW_FOLDER, "A new folder"))
    if not needs:
        form.folder_code.choices.append(("", f"Not in a folder: in {node.title} itself"))
    if request.method == "GET":
        return _place_page(document, node, form, needs, 200)
    if not form.validate_on_submit():
        return _place_page(document, node, form, needs, 400)
    reason_given = document.in_triage or form.require_reason()
    if request.form.get("folder_code") is None:
        form.folder_code.errors = ["Choose a folder" + ("" if needs else ", or not in a folder")]
        return _place_page(document, node, form, needs, 400)
    if not reason_given:
        return _place_page(document, node, form, needs, 400)
    try:
        target = chosen_place(
            session, who, node.code, form.folder_code.data, new_folder=form.new_folder.data or ""
        )
    except PlaceError as exc:
        getattr(form, exc.field).errors = [str(exc)]
        return _place_page(document, node, form, needs, 400)
    if target.id == document.node_id:
        form.folder_code.errors = [f"It is already filed in {target.title}: choose another place"]
        return _place_page(document, node, form, needs, 400)
    if document.in_triage:
        return _file(document, target)
    try:
        move_document(
            session, document.id, target.code, actor=who, reason=(form.reason.data or "").strip()
        )
    except RefusedError as exc:
        if exc.audit is not None:
            raise  # a hold placed meanwhile: the error page names it (and it is audited)
        form.folder_code.errors = [str(exc)]
        return _place_page(document, node, form, needs, 400)
    flash(f"Moved to {_place_words(target)}. The move is in the record's history.", "success")
    return redirect(url_for("documents.show", document_id=document.id))


def _file(document: Document, target: FilePlanNode) -> Any:
    """File a document from its triage list (the choice teaches the classifier)."""
    confirm(db(), document.id, target.code, actor=principal())
    flash(f"Filed in {_place_words(target)}.", "success")
    return redirect(url_for("documents.show", document_id=document.id))


def _place_words(node: FilePlanNode) -> str:
    if node.is_folder:
        return f"the folder {node.title}, in {node.class_node().title}"
    return node.title


def _place_page(
    document: Document, node: FilePlanNode, form: PlaceForm, needs: str | None, status: int
) -> Any:
    page = render_template(
        "documents/move_place.html",
        document=document,
        node=node,
        form=form,
        needs=needs,
        errors=error_list(form),
        breadcrumbs=document.node.path() if document.node else [],
    )
    return page, status


# --- a new version ------------------------------------------------------------------------------


def new_version(document_id: int) -> Any:
    """Upload a new version of the content (not for a declared record)."""
    document = _document(document_id)
    refused = _refused(document, "content")
    if refused is not None:
        return refused
    form = VersionForm()
    if request.method == "POST":
        if form.validate_on_submit():
            upload = form.file.data
            version = add_version(
                db(),
                rt().blobs,
                document.id,
                upload.stream,
                upload.filename or "upload",
                actor=principal(),
            )
            flash(f"Version {version.number} added: {version.filename}.", "success")
            return redirect(url_for("documents.show", document_id=document.id))
        status = 400
    else:
        status = 200
    page = render_template(
        "documents/new_version.html",
        document=document,
        form=form,
        errors=error_list(form),
        breadcrumbs=document.node.path() if document.node else [],
    )
    return page, status
