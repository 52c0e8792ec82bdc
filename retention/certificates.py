"""Certificates of destruction: what a completed batch destroyed, under which authority, who
approved it and when it went; a PDF (or HTML) certificate with a CSV schedule of the records,
both filed as records in the records-management class (config/disposal.toml).

A certificate is issued only for a batch whose every item is done (retention.batch_completion
calls `issue_certificate` then); so a certificate never reports a destruction that did not finish.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import SYSTEM, Principal, visible_document_ids
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, create_document, declare_record
from edrm.errors import InvalidInputError, NotFoundError
from edrm.markings import Marking
from edrm.runtime import Runtime
from retention.disposal_config import load_config
from retention.models import DisposalBatch, DisposalItem, ResidualStub, RetentionRule

DOC_TYPE = "Certificate of destruction"
CSV_COLUMNS = (
    "identifier",
    "document_id",
    "title",
    "class_code",
    "folder_code",
    "marking",
    "created_at",
    "declared_at",
    "rule",
    "authority",
    "approved_by",
    "destroyed_at",
    "destroyed_by",
    "batch",
    "note",
)
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@dataclass(frozen=True)
class Certificate:
    """The content of one certificate, before it is rendered."""

    batch_id: int
    action: str
    created_at: datetime
    created_by: str
    completed_at: datetime
    executed_by: str
    stubs: list[ResidualStub]
    authorities: dict[str, str]  # rule code -> authority

    @property
    def title(self) -> str:
        n = len(self.stubs)
        return f"Certificate of destruction: batch {self.batch_id} ({n} record{'s' * (n != 1)})"

    @property
    def marking(self) -> Marking:
        return Marking.highest(Marking.OFFICIAL, *(Marking(s.marking) for s in self.stubs))


def _approved_by(stub: ResidualStub) -> str:
    return "; ".join(
        f"{a.get('by')} ({str(a.get('at', ''))[:10]}, stage {a.get('stage')})"
        for a in stub.approvers or []
    )


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _row(stub: ResidualStub) -> dict[str, Any]:
    return {
        "identifier": stub.identifier,
        "document_id": stub.document_id,
        "title": stub.title,
        "class_code": stub.class_code,
        "folder_code": stub.folder_code or "",
        "marking": stub.marking,
        "created_at": stub.created_at.isoformat(),
        "declared_at": stub.declared_at.isoformat() if stub.declared_at else "",
        "rule": stub.rule_code,
        "authority": stub.authority,
        "approved_by": _approved_by(stub),
        "destroyed_at": stub.destroyed_at.isoformat(),
        "destroyed_by": stub.destroyed_by,
        "batch": stub.batch_id,
        "note": stub.note,
    }


# --- rendering --------------------------------------------------------------------------------


def render_csv(cert: Certificate) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for stub in cert.stubs:
        writer.writerow(_row(stub))
    return out.getvalue().encode("utf-8")


def _statement(cert: Certificate) -> str:
    return (
        f"This certifies that the {len(cert.stubs)} records listed below were destroyed under "
        "the retention schedule, after approval by the reviewers named: the content of every "
        "version, the extracted text, the previews and the search index entries of each record "
        "were removed. Only a residual stub of each record remains (identifier, title, class, "
        "dates, rule, authority, approvals and the time of destruction)."
    )


def render_html(cert: Certificate) -> bytes:
    e = html.escape
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{e(str(v))}</td>"
            for v in (
                s.identifier,
                s.title,
                s.class_code + (f" / {s.folder_code}" if s.folder_code else ""),
                s.marking,
                _day(s.created_at),
                s.rule_code,
                _approved_by(s),
                s.destroyed_at.strftime("%Y-%m-%d %H:%M UTC"),
                s.note,
            )
        )
        + "</tr>"
        for s in cert.stubs
    )
    authorities = "\n".join(
        f"<li><strong>{e(code)}</strong>: {e(text or 'no authority recorded')}</li>"
        for code, text in sorted(cert.authorities.items())
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(cert.title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:4px;text-align:left;font-size:90%}}</style></head>
<body>
<p><strong>{e(cert.marking.value)}</strong></p>
<h1>{e(cert.title)}</h1>
<p>{e(_statement(cert))}</p>
<dl>
<dt>Batch</dt><dd>{cert.batch_id} ({e(cert.action)})</dd>
<dt>Started</dt><dd>{e(cert.created_at.strftime("%Y-%m-%d %H:%M UTC"))} by {e(cert.created_by)}</dd>
<dt>Completed</dt><dd>{e(cert.completed_at.strftime("%Y-%m-%d %H:%M UTC"))}</dd>
<dt>Certified by</dt><dd>{e(cert.executed_by)}</dd>
</dl>
<h2>Authorities</h2>
<ul>{authorities}</ul>
<h2>Records destroyed</h2>
<table><thead><tr><th>Identifier</th><th>Title</th><th>Class / folder</th><th>Marking</th>
<th>Created</th><th>Rule</th><th>Approved by</th><th>Destroyed</th><th>Note</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
    return page.encode("utf-8")


#: The records table of the PDF: (heading, characters) per column, in a monospaced font so
#: that a row is one line of text (fast to lay out even for thousands of records).
PDF_COLUMNS = (
    ("Identifier", 12),
    ("Title", 48),
    ("Class / folder", 26),
    ("Marking", 18),
    ("Created", 10),
    ("Rule", 22),
    ("Approved by", 28),
    ("Destroyed", 16),
)


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _fonts(pdf: Any, texts: list[str]) -> tuple[str, str]:
    """(text font, monospaced font): the PDF core fonts when every text is Latin-1 (nothing to
    embed, fast), else DejaVu when installed (all of Unicode)."""
    if all(_latin1(t) for t in texts):
        return "Helvetica", "Courier"
    for directory in FONT_DIRS:
        files = {
            ("DejaVu", ""): directory / "DejaVuSans.ttf",
            ("DejaVu", "B"): directory / "DejaVuSans-Bold.ttf",
            ("DejaVuMono", ""): directory / "DejaVuSansMono.ttf",
        }
        if all(path.is_file() for path in files.values()):
            for (family, style), path in files.items():
                pdf.add_font(family, style, str(path))
            return "DejaVu", "DejaVuMono"
    return "Helvetica", "Courier"


def _fixed(values: tuple[str, ...]) -> str:
    cells = []
    for (_, width), value in zip(PDF_COLUMNS, values, strict=True):
        value = " ".join(value.split())
        if len(value) > width:
            value = value[: width - 1] + "~"
        cells.append(value.ljust(width))
    return "  ".join(cells).rstrip()


def _pdf_rows(cert: Certificate) -> list[str]:
    return [
        _fixed(
            (
                s.identifier,
                s.title,
                s.class_code + (f" / {s.folder_code}" if s.folder_code else ""),
                s.marking,
                _day(s.created_at),
                s.rule_code,
                ", ".join(str(a.get("by")) for a in s.approvers or []),
                f"{s.destroyed_at:%Y-%m-%d %H:%M}",
            )
        )
        for s in cert.stubs
    ]


def render_pdf(cert: Certificate) -> bytes:
    from fpdf import FPDF  # heavy (about a second to import): loaded only to render a PDF

    rows = _pdf_rows(cert)
    heading = _fixed(tuple(name for name, _ in PDF_COLUMNS))
    authorities = [
        f"{code}: {authority or 'no authority recorded'}"
        for code, authority in sorted(cert.authorities.items())
    ]
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(10, 10, 10)
    family, mono = _fonts(pdf, [cert.title, cert.created_by, cert.executed_by, *authorities, *rows])

    def text(value: str) -> str:
        if family != "Helvetica":
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(text(cert.title))
    pdf.set_creator("edrm")
    pdf.add_page()
    pdf.set_font(family, "B", 10)
    pdf.cell(0, 6, text(cert.marking.value), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "B", 16)
    pdf.multi_cell(0, 9, text(cert.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.multi_cell(0, 5, text(_statement(cert)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in (
        ("Batch", f"{cert.batch_id} ({cert.action})"),
        ("Started", f"{cert.created_at:%Y-%m-%d %H:%M} UTC by {cert.created_by}"),
        ("Completed", f"{cert.completed_at:%Y-%m-%d %H:%M} UTC"),
        ("Certified by", cert.executed_by),
        ("Schedule", "every record is listed in full in the CSV schedule filed with this"),
    ):
        pdf.set_font(family, "B", 10)
        pdf.cell(30, 5, text(label))
        pdf.set_font(family, "", 10)
        pdf.cell(0, 5, text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, "B", 11)
    pdf.cell(0, 6, "Authorities", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    for line in authorities:
        pdf.multi_cell(0, 4.5, text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, "B", 11)
    pdf.cell(0, 6, "Records destroyed", new_x="LMARGIN", new_y="NEXT")
    # One line of text per record, placed directly (cells would lay out each one: slow).
    leading, bottom = 3.4, pdf.h - 12  # mm from one line to the next; the lowest line
    pdf.set_font(mono, "", 6.5)
    y = pdf.get_y() + leading
    pdf.text(pdf.l_margin, y, text(heading))
    for row in rows:
        y += leading
        if y > bottom:
            pdf.add_page()
            pdf.set_font(mono, "", 6.5)
            y = pdf.t_margin + leading
            pdf.text(pdf.l_margin, y, text(heading))
            y += leading
        pdf.text(pdf.l_margin, y, text(row))
    return bytes(pdf.output())


# --- issuing and listing ----------------------------------------------------------------------


def certificate_for(session: Session, batch: DisposalBatch, *, actor: Principal) -> Certificate:
    stubs = list(
        session.scalars(
            select(ResidualStub)
            .where(ResidualStub.batch_id == batch.id)
            .order_by(ResidualStub.identifier, ResidualStub.document_id)
        )
    )
    codes = {s.rule_code for s in stubs}
    authorities = {s.rule_code: s.authority for s in stubs}
    for code, authority in session.execute(
        select(RetentionRule.code, RetentionRule.authority).where(RetentionRule.code.in_(codes))
    ):
        authorities[code] = authorities.get(code) or authority
    return Certificate(
        batch_id=batch.id,
        action=batch.action,
        created_at=batch.created_at,
        created_by=batch.created_by,
        completed_at=clock.now(),
        executed_by=actor.username,
        stubs=stubs,
        authorities=authorities,
    )


def issue_certificate(
    rt: Runtime, session: Session, batch: DisposalBatch, *, actor: Principal
) -> Document:
    """Render the batch's certificate and CSV schedule, file both as declared records in the
    certificates' class, and mark the batch complete (in the caller's transaction)."""
    config = load_config(rt.settings)
    cert = certificate_for(session, batch, actor=actor)
    if config.certificate_format == "html":
        content, mime, ext = render_html(cert), "text/html", "html"
    else:
        content, mime, ext = render_pdf(cert), "application/pdf", "pdf"
    schedule = render_csv(cert)
    name = f"certificate-of-destruction-batch-{batch.id}"
    certificate = NewDocument(
        filename=f"{name}.{ext}",
        title=cert.title,
        into_code=config.certificate_class,
        creator=actor.username,
        doc_type=DOC_TYPE,
        description=(
            f"Certificate of destruction of disposal batch {batch.id}: "
            f"{len(cert.stubs)} records, completed {cert.completed_at:%Y-%m-%d %H:%M} UTC."
        ),
    )
    try:
        stored = rt.blobs.put_bytes(content)
        document = create_document(
            session,
            stored.sha256,
            stored.size,
            mime,
            certificate,
            actor=SYSTEM,
            marking_floor=cert.marking,
            extra={"disposal_batch": batch.id, "certificate": True},
        )
        stored_csv = rt.blobs.put_bytes(schedule)
        listing = create_document(
            session,
            stored_csv.sha256,
            stored_csv.size,
            "text/csv",
            replace(
                certificate,
                filename=f"{name}.csv",
                title=f"{cert.title}: schedule of records (CSV)",
            ),
            actor=SYSTEM,
            marking_floor=cert.marking,
            extra={"disposal_batch": batch.id, "certificate_schedule": True},
        )
    except NotFoundError:
        raise InvalidInputError(
            f"the certificates' class {config.certificate_class!r} is not in the file plan "
            "(set certificate_class in config/disposal.toml)"
        ) from None
    document.relations = [{"type": "has_part", "document_id": listing.id}]
    listing.relations = [{"type": "part_of", "document_id": document.id}]
    document.extra = {**document.extra, "schedule_document_id": listing.id}
    declare_record(session, document.id, actor=SYSTEM)
    declare_record(session, listing.id, actor=SYSTEM)
    batch.status = "complete"
    batch.completed_at = cert.completed_at
    batch.certificate_document_id = document.id
    session.flush()
    audit.record(
        session,
        actor.username,
        "disposal.certificate",
        "disposal_batch",
        batch.id,
        {
            "certificate": document.id,
            "schedule": listing.id,
            "records": [s.document_id for s in cert.stubs],
            "format": ext,
        },
    )
    return document


def list_certificates(session: Session) -> list[dict[str, Any]]:
    """Every completed batch with its certificate, newest first."""
    counts = dict(
        session.execute(
            select(DisposalItem.batch_id, func.count())
            .where(DisposalItem.batch_id.is_not(None))
            .group_by(DisposalItem.batch_id)
        ).all()
    )
    rows = []
    for batch, document in session.execute(
        select(DisposalBatch, Document)
        .join(Document, Document.id == DisposalBatch.certificate_document_id)
        .order_by(DisposalBatch.completed_at.desc(), DisposalBatch.id.desc())
    ):
        rows.append(
            {
                "batch_id": batch.id,
                "action": batch.action,
                "records": counts.get(batch.id, 0),
                "created_at": batch.created_at.isoformat(),
                "created_by": batch.created_by,
                "completed_at": batch.completed_at.isoformat() if batch.completed_at else None,
                "certificate_document_id": document.id,
                "schedule_document_id": (document.extra or {}).get("schedule_document_id"),
                "title": document.title,
                "identifier": document.identifier,
                "format": document.format,
            }
        )
    return rows


def batches(session: Session) -> list[dict[str, Any]]:
    """Every batch with its progress (for the pages): items done / total, complete or not."""
    totals: dict[int, dict[str, int]] = {}
    for batch_id, status, n in session.execute(
        select(DisposalItem.batch_id, DisposalItem.status, func.count())
        .where(DisposalItem.batch_id.is_not(None))
        .group_by(DisposalItem.batch_id, DisposalItem.status)
    ):
        if batch_id is not None:  # always: the query leaves out unbatched items
            totals.setdefault(batch_id, {})[status] = n
    out = []
    for batch in session.scalars(select(DisposalBatch).order_by(DisposalBatch.id.desc())):
        by_status = totals.get(batch.id, {})
        out.append(
            {
                "id": batch.id,
                "action": batch.action,
                "status": batch.status,
                "items": sum(by_status.values()),
                "done": by_status.get("done", 0),
                "created_at": batch.created_at.isoformat(),
                "created_by": batch.created_by,
                "completed_at": batch.completed_at.isoformat() if batch.completed_at else None,
                "certificate_document_id": batch.certificate_document_id,
            }
        )
    return out


def batch_records(session: Session, batch_id: int, *, viewer: Principal) -> list[dict[str, Any]]:
    """The records of one batch, in identifier order, as the person may see them: document id,
    identifier, title and class, or for a record they may not see only `withheld` (with the
    item's status, so that the records still add up to the batch)."""
    if session.get(DisposalBatch, batch_id) is None:
        raise NotFoundError(f"disposal batch {batch_id} not found")
    rows = session.execute(
        select(DisposalItem.id, DisposalItem.status, DisposalItem.class_code, Document)
        .join(Document, Document.id == DisposalItem.document_id)
        .where(DisposalItem.batch_id == batch_id)
        .order_by(Document.identifier, Document.id)
    ).all()
    visible = visible_document_ids(session, viewer, [r[3].id for r in rows])
    out: list[dict[str, Any]] = []
    for item_id, status, class_code, document in rows:
        if document.id in visible:
            out.append(
                {
                    "item": item_id,
                    "status": status,
                    "withheld": False,
                    "document_id": document.id,
                    "identifier": document.identifier,
                    "title": document.title,
                    "class_code": class_code,
                }
            )
        else:
            out.append({"item": item_id, "status": status, "withheld": True})
    return out
