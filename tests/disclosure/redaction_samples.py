"""Small records to redact: a born-digital PDF (a text layer) and a scan (pixels only)."""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

SECRET = "Pemberton"
LINES = [
    "Meeting note: contract renewal",
    f"Attendees: Alice {SECRET} and the finance team",
    "The budget for next year is agreed.",
    f"Action: {SECRET} to send the draft by Friday.",
]
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def born_digital_pdf(lines: list[str] = LINES) -> bytes:
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_title(f"Note by {SECRET}")
    pdf.set_author(SECRET)
    pdf.set_subject(SECRET)
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    for line in lines:
        pdf.cell(0, 28, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scan_image(lines: list[str] = LINES, dpi: int = 300) -> Image.Image:
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), int(dpi * 0.17))
    for n, line in enumerate(lines):
        draw.text((int(dpi * 0.8), int(dpi * (1.0 + 0.4 * n))), line, fill=0, font=font)
    return image


def scan_png(lines: list[str] = LINES) -> bytes:
    out = io.BytesIO()
    scan_image(lines).save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


def scanned_pdf(lines: list[str] = LINES) -> bytes:
    """A PDF whose only page is a picture of text (no text layer)."""
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_page()
    pdf.image(scan_image(lines), x=0, y=0, w=pdf.w, h=pdf.h)
    return bytes(pdf.output())
