"""A certificate of destruction (or transfer receipt) as a PDF/A-2b (when DejaVu is installed,
so that every font is embedded; else a plain PDF in the core fonts): a formal A4 document in a
proportional typeface (DejaVu Sans when installed, all of Unicode; else Helvetica), with the
statement, the batch's facts, the authority of every rule and one block per record: its full
title (wrapped, never cut), class, marking and dates, the rule, each approval with its reason,
when it went and by whom, and the SHA-256 of every version of its content. Each page carries
the marking, the title and "page n of m"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edrm.renditions.pdfa import identify, new_pdfa
from retention.certificate_content import (
    Certificate,
    approvals,
    day,
    moment,
    place,
)
from retention.models import ResidualStub

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
MARGIN = 18  # mm
INK = (11, 12, 12)
SECONDARY = (80, 90, 95)
RULE = (177, 180, 182)


def _font_files() -> dict[tuple[str, str], Path] | None:
    """DejaVu's files when installed (then the certificate is PDF/A: its fonts are embedded)."""
    for directory in FONT_DIRS:
        files = {
            ("DejaVu", ""): directory / "DejaVuSans.ttf",
            ("DejaVu", "B"): directory / "DejaVuSans-Bold.ttf",
            ("DejaVuMono", ""): directory / "DejaVuSansMono.ttf",
        }
        if all(path.is_file() for path in files.values()):
            return files
    return None


def _fonts(pdf: Any) -> tuple[str, str, bool]:
    """(text family, monospaced family, Unicode?): DejaVu when installed, else the PDF core
    fonts (Latin-1 only)."""
    files = _font_files()
    if files is not None:
        for (family, style), path in files.items():
            pdf.add_font(family, style, str(path))
        return "DejaVu", "DejaVuMono", True
    return "Helvetica", "Courier", False


class _Writer:
    """Lays the certificate out on an FPDF document."""

    def __init__(self, pdf: Any, cert: Certificate) -> None:
        self.pdf = pdf
        self.cert = cert
        self.family, self.mono, self.unicode = _fonts(pdf)

    def text(self, value: str) -> str:
        value = " ".join(str(value).split())
        if self.unicode:
            return value
        return value.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, style: str = "", *, mono: bool = False) -> None:
        self.pdf.set_font(self.mono if mono else self.family, style, size)

    def para(self, value: str, size: float = 10.5, style: str = "", *, gap: float = 1.5) -> None:
        self.font(size, style)
        self.pdf.multi_cell(
            0, size * 0.5, self.text(value), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        self.pdf.ln(gap)

    def heading(self, value: str, size: float = 13) -> None:
        if self.pdf.get_y() > self.pdf.h - 45:
            self.pdf.add_page()
        self.pdf.ln(3)
        self.para(value, size, "B", gap=2)

    def pair(self, label: str, value: str, *, width: float = 42) -> None:
        pdf = self.pdf
        self.font(10, "B")
        y = pdf.get_y()
        pdf.multi_cell(width, 5, self.text(label), align="L", new_x="RIGHT", new_y="TOP")
        self.font(10)
        pdf.multi_cell(0, 5, self.text(value), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + 5) + 1)

    def separator(self) -> None:
        pdf = self.pdf
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(3)


def _front(w: _Writer) -> None:
    cert = w.cert
    w.para(cert.title, 20, "B", gap=3)
    w.para(cert.statement(), 11, gap=4)
    w.pair("Batch", f"{cert.batch_id} ({len(cert.stubs)} records)")
    w.pair("Started", f"{moment(cert.created_at)} by {cert.who(cert.created_by)}")
    w.pair("Completed", moment(cert.completed_at))
    w.pair("Certified by", cert.who(cert.executed_by))
    if cert.transfer is not None:
        t = cert.transfer
        w.pair("Transferred to", t.archive)
        w.pair("Package", ", ".join(t.bag_ids) or "not recorded")
        w.pair("Archive's receipt", "; ".join(r for r in t.receipts if r) or "not recorded")
        if t.confirmed_at:
            w.pair("Receipt recorded", moment(t.confirmed_at))
    if cert.audit_range is not None:
        first, last = cert.audit_range
        w.pair(
            "Audit entries",
            f"{first} to {last}: the audit trail's record of this disposal "
            "(hash-chained: edrm audit verify detects any change)",
        )
    w.pair("Schedule", "the CSV schedule filed with this lists every record again, one a row")
    w.heading("Authority for disposal")
    for code, authority in cert.rules:
        w.para(code, 10.5, "B", gap=0.5)
        w.para(authority, 10, gap=2)


def _record(w: _Writer, stub: ResidualStub) -> None:
    pdf, cert = w.pdf, w.cert
    if pdf.get_y() > pdf.h - 42:  # keep a record's first lines together
        pdf.add_page()
    w.para(f"{stub.identifier}  {stub.title}", 11, "B", gap=1)
    pdf.set_text_color(*SECONDARY)
    facts = [f"Class: {place(stub)}", f"Marking: {stub.marking}", f"Created {day(stub.created_at)}"]
    if stub.declared_at:
        facts.append(f"Declared {day(stub.declared_at)}")
    facts.append(f"Rule: {stub.rule_code}")
    w.para("  ·  ".join(facts), 9.5, gap=1)
    pdf.set_text_color(*INK)
    for a in approvals(stub):
        why = f": {a['reason']}" if a["reason"] else ""
        w.para(
            f"Approved by {cert.who(str(a['by']))} on {a['on']} (stage {a['stage']}){why}",
            9.5,
            gap=0.8,
        )
    went = "Removed here after transfer" if cert.transfer is not None else "Destroyed"
    w.para(f"{went} {moment(stub.destroyed_at)} by {cert.who(stub.destroyed_by)}", 9.5, gap=1)
    for n, sha in enumerate(cert.checksums.get(stub.document_id, []), start=1):
        w.font(9.5)
        pdf.cell(44, 4.5, w.text(f"SHA-256 of version {n}"))
        w.font(8.5, mono=True)
        pdf.multi_cell(0, 4.5, sha, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    w.separator()


def render_pdf(cert: Certificate) -> bytes:
    from fpdf import FPDF  # heavy (about a second to import): loaded only to render a PDF

    class _Document(FPDF):
        def header(self) -> None:
            writer.font(9, "B")
            self.set_text_color(*INK)
            self.cell(0, 5, writer.text(cert.marking.value), align="C")
            self.ln(9)

        def footer(self) -> None:
            self.set_y(-13)
            writer.font(8)
            self.set_text_color(*SECONDARY)
            self.cell(0, 5, writer.text(cert.title), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
            self.set_text_color(*INK)

    archival = _font_files() is not None  # PDF/A needs every font embedded: not the core ones
    options: dict[str, Any] = {"orientation": "P", "unit": "mm", "format": "A4"}
    pdf = new_pdfa(_Document, **options) if archival else _Document(**options)
    pdf.set_margins(MARGIN, 14, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    writer = _Writer(pdf, cert)
    if archival:  # PDF/A-2b: XMP identification, sRGB OutputIntent, dated when completed
        identify(pdf, writer.text(cert.title), cert.completed_at)
    pdf.set_title(writer.text(cert.title))
    pdf.set_creator("edrm")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_text_color(*INK)
    _front(writer)
    writer.heading(f"Records {'transferred' if cert.transfer else 'destroyed'}")
    writer.separator()
    for stub in cert.stubs:
        _record(writer, stub)
    return bytes(pdf.output())
