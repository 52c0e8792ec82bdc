"""The access report page: who viewed, previewed or downloaded which record, by record, by
person and by period, with a CSV export of all of it (edrm.audit.access_report; only the
records the records manager may see)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from edrm import clock
from edrm.audit.access_report import COLUMNS, AccessQuery, AccessReport, access_report
from edrm.web.auth import principal
from edrm.web.params import date_arg, id_or_none
from edrm.web.runtime import db, rt

#: Accesses listed on the page; the CSV export has them all.
PAGE_LIMIT = 500
REPORT_ARGS = ("document", "person", "from", "to")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/access", view_func=access_page, methods=["GET"])


def access_page() -> Any:
    args = request.args
    errors: dict[str, str] = {}
    raw_document = args.get("document", "").strip()
    document_id = id_or_none(raw_document)
    if raw_document and document_id is None:
        errors["document"] = "Enter the record's number, for example 42"
    query = AccessQuery(
        document_id=document_id,
        person=args.get("person", "").strip(),
        date_from=date_arg("from", errors),
        date_to=date_arg("to", errors),
    )
    wants_csv = args.get("format") == "csv"
    if errors:
        report = AccessReport()
    else:
        limit = None if wants_csv else PAGE_LIMIT
        report = access_report(db(), query, viewer=principal(), limit=limit)
    if wants_csv and not errors:
        return _csv(report)
    kept: dict[str, Any] = {k: v for k in REPORT_ARGS if (v := args.get(k, "").strip())}
    return (
        render_template(
            "retention/access.html",
            report=report,
            args=args,
            errors=errors,
            error_list=[{"text": m, "href": f"#{k}"} for k, m in errors.items()],
            csv_url=url_for("retention.access_page", **kept, format="csv"),
            limit=PAGE_LIMIT,
            config_all_views=rt().settings.audit_all_views,
        ),
        400 if errors else 200,
    )


def _csv(report: AccessReport) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(a.as_dict() for a in report.accesses)
    response = Response(out.getvalue(), mimetype="text/csv")
    stamp = f"{clock.now():%Y%m%d-%H%M%S}"
    response.headers["Content-Disposition"] = f'attachment; filename="access-report-{stamp}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
