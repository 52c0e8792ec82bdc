"""For everyone signed in: the consequence of filing in a class or folder (as JSON, and as a
template global for the triage page), and a record's retention as rows of its page."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, jsonify, request, url_for
from markupsafe import Markup

from edrm.access import get_visible_node
from edrm.documents.models import Document
from edrm.errors import EdrmError, NotFoundError
from edrm.web.auth import login_required, principal
from edrm.web.runtime import db, rt
from retention import schedule
from retention.web.labels import ACTION_LABELS, STATUS_LABELS


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/consequence", view_func=consequence, methods=["GET"])
    bp.add_app_template_global(filing_consequence, "filing_consequence")
    bp.add_app_template_global(retention_rows, "retention_rows")


@login_required
def consequence() -> Any:
    """What filing in a class or folder means for a record, as one sentence (JSON)."""
    code = request.args.get("code", "").strip()
    if not code:
        return jsonify({"error": "name a class or folder code"}), 400
    try:
        node = get_visible_node(db(), principal(), code)
        text = schedule.consequence(db(), node.code)
    except NotFoundError:
        return jsonify({"error": f"there is no class or folder {code!r}"}), 404
    return jsonify({"code": node.code, "title": node.title, "consequence": text})


def filing_consequence(code: str) -> str:
    """The consequence of filing in `code` (for the triage page's suggestions)."""
    try:
        schedule.ensure_schedule(db(), rt().settings)
        return schedule.consequence(db(), code)
    except EdrmError:
        return ""


def retention_rows(document: Document) -> list[dict[str, Any]]:
    """A record's retention as rows of its page's details (the e-GMS disposal element): the
    rule and where it comes from, when it falls due and what happens then, any legal hold and,
    for records managers, its place in the disposal queue. No rows for documents not filed
    (triage) or destroyed (their page shows the stub)."""
    if document.status != "filed" or document.node is None:
        return []
    schedule.ensure_schedule(db(), rt().settings)
    info = schedule.retention_of(db(), document)
    if not info.get("rule"):
        return [_row("Retention rule", "None reaches this record")]
    source = info.get("inherited_from")
    if source == "record":
        where = "set on this record"
    elif source == document.node.code:
        where = f"set on {source}"
    else:
        where = f"inherited from {source}"
    rows = [
        _row("Retention rule", f"{info['rule']} – {info['title']} ({where})"),
        _row("Due for disposal", _due_words(info)),
    ]
    if info.get("authority"):
        rows.append(_row("Authority", str(info["authority"])))
    if info.get("holds"):
        rows.append(
            _row(
                "Legal hold",
                Markup(
                    '<strong class="govuk-tag govuk-tag--red">Under legal hold</strong> '
                    "Nothing may destroy, move or change it until the hold is lifted."
                ),
            )
        )
    queued = info.get("queue")
    if queued and principal().manages_records:
        rows.append(_row("Disposal queue", _queue_link(queued)))
    return rows


def _queue_link(queued: dict[str, Any]) -> Markup:
    return Markup('<a class="govuk-link" href="{}">{}, stage {} of {}</a>').format(
        url_for("retention.item", item_id=queued["id"]),
        STATUS_LABELS.get(queued["status"], queued["status"]),
        queued["stage"],
        queued["stages"],
    )


def _row(key: str, value: str) -> dict[str, Any]:
    kind = "html" if isinstance(value, Markup) else "text"
    return {"key": {"text": key}, "value": {kind: value}}


def _due_words(info: dict[str, Any]) -> str:
    """e.g. "22 November 2033, then destroy. The rule: destroy 7 years after it was created."."""
    describe = str(info.get("describe") or "")
    if info.get("state") == "permanent":
        return "Never: kept permanently"
    if not info.get("due"):
        return f"Not yet known: the rule says {describe}"
    due = date.fromisoformat(str(info["due"]))
    action = ACTION_LABELS.get(str(info.get("action")), str(info.get("action"))).lower()
    set_by = " (a reviewer's new date)" if info.get("review_on") else ""
    return f"{due:%-d %B %Y}, then {action}{set_by}. The rule: {describe}."
