"""Pages for filing: the upload page (several files, progress per file) and the triage list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from edrm.errors import EdrmError
from edrm.fileplan.service import tree
from edrm.ingest.triage import confirm, triage_items
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db

bp = Blueprint("ingest", __name__)


@bp.get("/upload")
@login_required
def upload() -> str:
    return render_template("ingest/upload.html", form=ActionForm())


def _class_choices() -> list[tuple[str, str]]:
    choices: list[tuple[str, str]] = []

    def walk(nodes: list[Any], trail: str) -> None:
        for n in nodes:
            label = f"{trail} › {n.title}" if trail else n.title
            if n.kind in ("transaction", "folder") and not n.closed:
                choices.append((n.code, f"{n.code} – {label}"))
            walk(n.children, label)

    walk(tree(db(), principal()), "")
    return choices


@bp.get("/triage")
@login_required
def triage() -> str:
    items = triage_items(db(), principal())
    return render_template(
        "ingest/triage.html", items=items, choices=_class_choices(), form=ActionForm()
    )


@bp.post("/triage/<int:document_id>")
@login_required
def file_item(document_id: int) -> Any:
    form = ActionForm()
    code = (request.form.get("class_code") or "").strip()
    if form.validate_on_submit() and code:
        try:
            document = confirm(db(), document_id, code, actor=principal())
        except EdrmError as exc:
            db().rollback()
            flash(str(exc), "error")
        else:
            flash(f"Filed '{document.title}' in {code}.", "success")
    return redirect(url_for("ingest.triage"))
