"""The audit search page: the audit trail filtered by person, action, object and dates, fifty
entries at a time, newest first; only the entries the person may see (edrm.audit.search)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from edrm.audit.search import AuditPage, AuditQuery, known_actions, search_audit
from edrm.web.auth import principal
from edrm.web.params import date_arg, id_or_none
from edrm.web.runtime import db
from retention.web.audit_details import detail_rows

PAGE_SIZE = 50
#: The search's own parameters: the only ones the "older entries" link carries on.
SEARCH_ARGS = ("actor", "action", "object_type", "object_id", "from", "to")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/audit", view_func=audit_search, methods=["GET"])


def audit_search() -> Any:
    args = request.args
    errors: dict[str, str] = {}
    query = AuditQuery(
        actor=args.get("actor", "").strip(),
        action=args.get("action", "").strip(),
        object_type=args.get("object_type", "").strip(),
        object_id=args.get("object_id", "").strip(),
        date_from=date_arg("from", errors),
        date_to=date_arg("to", errors),
        before_seq=id_or_none(args.get("before")),
    )
    session = db()
    who = principal()
    found = AuditPage() if errors else search_audit(session, query, viewer=who, limit=PAGE_SIZE)
    older_url = None
    if found.older_than is not None:
        kept: dict[str, Any] = {k: v for k in SEARCH_ARGS if (v := args.get(k, ""))}
        older_url = url_for("retention.audit_search", **kept, before=found.older_than)
    return (
        render_template(
            "retention/audit.html",
            entries=found.entries,
            details={e.seq: detail_rows(e.details) for e in found.entries},
            older_url=older_url,
            args=args,
            errors=errors,
            error_list=[{"text": m, "href": f"#{k}"} for k, m in errors.items()],
            actions=known_actions(session, who),
        ),
        400 if errors else 200,
    )
