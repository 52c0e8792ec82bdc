"""Pages for filing: the upload page (several files, progress per file) and the triage list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from edrm.documents.filing import PlaceError, folder_needed
from edrm.errors import EdrmError
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import tree
from edrm.ingest.classify.reasons import plain_reason
from edrm.ingest.triage import confirm, offered_minimum, triage_items
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt

bp = Blueprint("ingest", __name__)
# `reason | plain_reason(model_percent=False)`: a stored suggestion reason in sentences.
bp.add_app_template_filter(plain_reason, "plain_reason")

#: The error shown when "File it here" is pressed with no class chosen.
CHOOSE_A_CLASS = "Choose the class to file it in"


@bp.get("/upload")
@login_required
def upload() -> str:
    return render_template("ingest/upload.html", form=ActionForm())


def _class_choices() -> list[tuple[str, str]]:
    """(code, label) of every class and open folder the person may file into, named by their
    place in the file plan first and their code after, in brackets."""
    choices: list[tuple[str, str]] = []

    def walk(nodes: list[Any], trail: str) -> None:
        for n in nodes:
            label = f"{trail} › {n.title}" if trail else n.title
            if n.kind in ("transaction", "folder") and not n.closed:
                choices.append((n.code, f"{label} ({n.code})"))
            walk(n.children, label)

    walk(tree(db(), principal()), "")
    return choices


def _triage_page(errors: dict[int, str] | None = None) -> str:
    items = triage_items(db(), principal(), min_confidence=offered_minimum(rt().settings))
    return render_template(
        "ingest/triage.html",
        items=items,
        choices=_class_choices(),
        form=ActionForm(),
        errors=errors or {},
    )


@bp.get("/triage")
@login_required
def triage() -> str:
    return _triage_page()


@bp.post("/triage/<int:document_id>")
@login_required
def file_item(document_id: int) -> Any:
    """File the document in the class chosen; with none chosen, the page again with an error
    summary linked to that document's class list (400), as for a class no retention rule
    reaches. Where the class's retention rule needs a folder, the document's folder step asks
    for one instead of filing it outside any."""
    form = ActionForm()
    code = (request.form.get("class_code") or "").strip()
    if not form.validate_on_submit():
        return redirect(url_for("ingest.triage"))
    if not code:
        return _triage_page({document_id: CHOOSE_A_CLASS}), 400
    node = db().scalar(select(FilePlanNode).where(FilePlanNode.code == code))
    if node is not None and folder_needed(db(), node):
        step_two: dict[str, Any] = {"document_id": document_id, "class": code}
        return redirect(url_for("documents.move_place", **step_two))
    try:
        document = confirm(db(), document_id, code, actor=principal())
    except PlaceError as exc:  # no retention rule reaches the class: said beside its list
        db().rollback()
        return _triage_page({document_id: str(exc)}), 400
    except EdrmError as exc:
        db().rollback()
        flash(str(exc), "error")
    else:
        node = document.node
        where = f"{node.title} ({node.code})" if node is not None else code
        flash(f"Filed '{document.title}' in {where}.", "success")
    return redirect(url_for("ingest.triage"))
