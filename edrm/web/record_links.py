"""The record page's "Also filed in" panel (multi-filing, edrm.documents.links): the further
classes and folders a record is linked into, and for whoever may change it the forms that link
it into another place or take it out of one."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from edrm.access import Principal, get_visible_document, may_be_offered, may_change_document
from edrm.documents import guards
from edrm.documents.filing import FILING_KINDS
from edrm.documents.links import link_document, unlink_document
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.web import document_changes
from edrm.web.auth import login_required, principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, keep_refused_change_audit


@dataclass(frozen=True)
class Place:
    """A class or open folder a record may be linked into, offered by name."""

    code: str
    title: str
    group: str  # the class's trail of titles (folders: their class's title)


def link_choices(session: Session, who: Principal, document: Document) -> list[Place]:
    """Where the person may link the record: the classes and open folders they may file into
    that a retention rule reaches and that the record is not filed in yet."""
    here = {node.id for node in document.locations}
    places = []
    for node in session.scalars(select(FilePlanNode).order_by(FilePlanNode.code)):
        if node.id in here or not (node.kind_value in FILING_KINDS or node.is_folder):
            continue
        if not may_be_offered(who, node) or not _rule_named_above(node):
            continue
        owner = node.class_node()
        trail = " › ".join(p.title for p in owner.path()[:-1])
        group = f"{trail} › {owner.title}" if node.is_folder else trail
        places.append(Place(node.code, node.title, group or "Classes"))
    return sorted(places, key=lambda p: (p.group.lower(), p.title.lower(), p.code))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/<int:document_id>/links", "link", login_required(link), methods=["POST"])
    bp.add_url_rule(
        "/<int:document_id>/links/remove", "unlink", login_required(unlink), methods=["POST"]
    )


def _change(document_id: int, change: str) -> Response | tuple[str, int]:
    session, who = db(), principal()
    document = get_visible_document(session, who, document_id)
    back = redirect(url_for("documents.show", document_id=document_id, _anchor="also-filed-in"))
    if not ActionForm().validate_on_submit():
        return back
    if not may_change_document(who, document):
        return document_changes.refusal_page(document, change)
    held = guards.refusals(session, [document], change, who).get(document.id)
    if held is not None:  # a hold (named on the refusal page, audited), or an open item
        keep_refused_change_audit(held)
        document = get_visible_document(db(), who, document_id)
        return document_changes.refusal_page(document, change, fallback=str(held))
    code = (request.form.get("code") or "").strip()
    if not code:
        flash("Choose a class or folder.", "error")
        return back
    try:
        if change == "link":
            _doc, done = link_document(session, document_id, code, actor=who)
            message = f"Also filed in {code}." if done else f"It is already filed in {code}."
        else:
            _doc, done = unlink_document(session, document_id, code, actor=who)
            message = f"No longer filed in {code}." if done else f"It was not filed in {code}."
    except RefusedError as exc:
        if getattr(exc, "audit", None) is not None:  # a hold: named on the refusal page
            keep_refused_change_audit(exc)
            document = get_visible_document(db(), who, document_id)
            return document_changes.refusal_page(document, change, fallback=str(exc))
        flash(str(exc)[:1].upper() + str(exc)[1:] + ".", "error")
        return back
    except (InvalidInputError, NotFoundError) as exc:  # the document was found: the place not
        flash(str(exc)[:1].upper() + str(exc)[1:] + ".", "error")
        return back
    flash(message, "success")
    return back


def link(document_id: int) -> Response | tuple[str, int]:
    """Link the record into a further class or folder (form field `code`)."""
    return _change(document_id, "link")


def unlink(document_id: int) -> Response | tuple[str, int]:
    """Take the record out of a class or folder it is linked into (form field `code`)."""
    return _change(document_id, "unlink")


def _rule_named_above(node: FilePlanNode) -> bool:
    """Whether a retention rule is named on the node or above it: enough to offer the place
    (linking asks the schedule itself and says why when it refuses)."""
    return any(n.retention_rule for n in node.path())
