"""Every ingest fixture, generated at test time: no binary file is kept in the repository.

Each function returns the bytes of one file; tests write them under a name of their choosing.
"""

from __future__ import annotations

import io
import random
import shutil
import struct
import zipfile
import zlib
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from edrm.ingest.types import IngestConfig, load_ingest_config
from edrm.settings import DEFAULT_CONFIG_DIR

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

LETTER_LINES = [
    "Department for Records Management",
    "Reference: DRM/2025/0042",
    "3 March 2025",
    "Dear Ms Example,",
    "Thank you for your letter about the retention schedule.",
    "We will review the file plan and reply within twenty days.",
]
LETTER_TEXT = "\n".join(LETTER_LINES)
CREATED = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def config(**limits: int) -> IngestConfig:
    """The shipped ingest.toml, with OCR rendering at 100 dpi (fast) and any limits
    overridden."""
    base = load_ingest_config(DEFAULT_CONFIG_DIR / "ingest.toml")
    return replace(base, limits=replace(base.limits, **limits), ocr=replace(base.ocr, dpi=100))


def with_ocr(base: IngestConfig, **settings: Any) -> IngestConfig:
    return replace(base, ocr=replace(base.ocr, **settings))


def config_dir_with_rules(tmp_path: Path, rules: str) -> str:
    """A copy of the shipped configuration whose classification.toml is `rules`."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    (folder / "classification.toml").write_text(rules, encoding="utf-8")
    return str(folder)


def write(directory: Path, data: bytes) -> Path:
    """Write `data` as the pipeline keeps an upload: under a name of its own, not the upload's
    (the original name is passed to sniff separately)."""
    path = directory / f"blob-{sum(1 for _ in directory.iterdir())}"
    path.write_bytes(data)
    return path


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT_PATH.exists():
        return ImageFont.truetype(str(FONT_PATH), size)
    return ImageFont.load_default(size=size)


# --- images -----------------------------------------------------------------------------------


def text_image(
    lines: list[str] | None = None, size: tuple[int, int] = (850, 1100), mode: str = "L"
) -> Image.Image:
    """A white page (100 dpi A4-ish by default) with black text on it, as a scanner would see it."""
    image = Image.new(mode, size, "white")
    draw = ImageDraw.Draw(image)
    face = font(max(12, size[0] // 45))
    y = size[1] // 12
    for line in lines if lines is not None else LETTER_LINES:
        draw.text((size[0] // 12, y), line, fill="black", font=face)
        y += size[0] // 25
    return image


def image_bytes(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def png() -> bytes:
    return image_bytes(text_image(), "PNG")


def jpeg(exif_orientation: int | None = None) -> bytes:
    """A JPEG of the letter; with an EXIF orientation the stored pixels are turned accordingly.

    Orientation 6 means "turn 90° clockwise to view", so the pixels are stored turned 90°
    anticlockwise (landscape) and a viewer that honours EXIF shows the portrait page.
    """
    image = text_image(mode="RGB")
    if exif_orientation is None:
        return image_bytes(image, "JPEG", quality=85)
    assert exif_orientation == 6
    stored = image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = exif_orientation
    return image_bytes(stored, "JPEG", quality=85, exif=exif.tobytes())


def truncated_jpeg() -> bytes:
    data = jpeg()
    return data[: len(data) * 6 // 10]


def bmp() -> bytes:
    return image_bytes(text_image(mode="RGB", size=(400, 300)), "BMP")


def gif(frames: int = 2) -> bytes:
    pages = [text_image([f"Frame {n}"], size=(400, 300), mode="P") for n in range(1, frames + 1)]
    out = io.BytesIO()
    pages[0].save(out, "GIF", save_all=True, append_images=pages[1:], duration=100)
    return out.getvalue()


def tiff(pages: int = 3) -> bytes:
    frames = [text_image([f"Page {n} of the scanned file"]) for n in range(1, pages + 1)]
    out = io.BytesIO()
    frames[0].save(
        out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_adobe_deflate"
    )
    return out.getvalue()


def tiff_with_corrupt_page(pages: int = 3, corrupt: int = 2) -> bytes:
    """A multi-page TIFF whose page `corrupt` (1-based) has its compressed data overwritten."""
    data = bytearray(tiff(pages))
    with Image.open(io.BytesIO(bytes(data))) as image:
        image.seek(corrupt - 1)
        offsets = image.tag_v2[273]
        counts = image.tag_v2[279]
    noise = random.Random(7)
    for offset, count in zip(offsets, counts, strict=True):
        data[offset : offset + count] = noise.randbytes(count)
    return bytes(data)


def white_png() -> bytes:
    return image_bytes(Image.new("L", (850, 1100), "white"), "PNG")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(side: int = 20_000) -> bytes:
    """A real, valid 1-bit PNG of side × side black pixels: a few tens of KB that decode to 400 MP.

    The compressed data is made in chunks so building it never holds the image in memory.
    """
    row = b"\x00" + b"\x00" * ((side + 7) // 8)  # filter byte + packed pixels
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row * 1000) for _ in range(side // 1000)]
    parts.append(compressor.compress(row * (side % 1000)))
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


# --- PDF --------------------------------------------------------------------------------------


def _fpdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title("Retention schedule review")
    pdf.set_author("Ann Archivist")
    pdf.set_creation_date(CREATED)
    pdf.set_font("helvetica", size=12)
    return pdf


def born_digital_pdf(pages: int = 2) -> bytes:
    pdf = _fpdf()
    for number in range(1, pages + 1):
        pdf.add_page()
        for line in [*LETTER_LINES, f"This is page {number} of {pages}."]:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pdf_of(lines: list[str]) -> bytes:
    """A one-page born-digital PDF with these lines of text."""
    pdf = _fpdf()
    pdf.add_page()
    for line in lines:
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def scanned_pdf(pages: int = 1, with_text_page: bool = False) -> bytes:
    """Pages that are only a picture of text (no text layer), optionally after a born-digital
    first page."""
    pdf = _fpdf()
    if with_text_page:
        pdf.add_page()
        for line in LETTER_LINES:
            pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    for number in range(1, pages + 1):
        pdf.add_page()
        scan = text_image([*LETTER_LINES, f"Scanned page {number}"])
        pdf.image(scan, x=0, y=0, w=210, h=297)
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(born_digital_pdf(1))))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    data = born_digital_pdf(3)
    return data[: len(data) // 2]


def broken_xref_pdf() -> bytes:
    """A PDF whose startxref points at the wrong place (a classic broken cross-reference table)."""
    data = born_digital_pdf(2)
    at = data.rindex(b"startxref")
    head, tail = data[:at], data[at:]
    number = tail.split(b"\n")[1]
    return head + tail.replace(number, str(int(number) - 37).encode(), 1)


def garbage_pdf() -> bytes:
    """Starts like a PDF, ends like one, nothing readable in between."""
    return b"%PDF-1.7\n" + random.Random(3).randbytes(3000) + b"\n%%EOF\n"


# --- office -----------------------------------------------------------------------------------


def docx() -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = "Board minutes"
    document.core_properties.author = "Ann Archivist"
    document.core_properties.created = CREATED.replace(tzinfo=None)
    section = document.sections[0]
    section.header.paragraphs[0].text = "OFFICIAL-SENSITIVE"
    section.footer.paragraphs[0].text = "Page footer text"
    document.add_heading("Minutes of the board", level=1)
    document.add_paragraph("The board met on 3 March 2025 to review the file plan.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Action"
    table.cell(0, 1).text = "Owner"
    table.cell(1, 0).text = "Close the 2019 files"
    table.cell(1, 1).text = "Records team"
    document.add_paragraph("Closing paragraph after the table.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.properties.title = "Budget 2025"
    workbook.properties.creator = "Finance Team"
    workbook.properties.created = CREATED.replace(tzinfo=None)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Summary"
    sheet.append(["Item", "Amount"])
    sheet.append(["Storage", 1200])
    sheet.append(["Scanning", 350.5])
    sheet["D10"] = "=B2+B3"
    other = workbook.create_sheet("Notes")
    other.append(["Approved by the board"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def odt() -> bytes:
    from odf import dc, meta, table, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    document.meta.addElement(dc.Title(text="Policy draft"))
    document.meta.addElement(meta.InitialCreator(text="Ann Archivist"))
    document.meta.addElement(meta.CreationDate(text="2025-03-03T09:30:00"))
    document.text.addElement(text.H(outlinelevel=1, text="Records policy"))
    paragraph = text.P(text="All records are kept for")
    paragraph.addElement(text.S(c=1))
    paragraph.addText("seven years.")
    document.text.addElement(paragraph)
    grid = table.Table(name="Schedule")
    grid.addElement(table.TableColumn(numbercolumnsrepeated=2))
    row = table.TableRow()
    for value in ("Finance", "7 years"):
        cell = table.TableCell()
        cell.addElement(text.P(text=value))
        row.addElement(cell)
    grid.addElement(row)
    document.text.addElement(grid)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def ods() -> bytes:
    from odf import dc, table, text
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    document.meta.addElement(dc.Title(text="Asset register"))
    sheet = table.Table(name="Assets")
    for values in (("Asset", "Value"), ("Scanner", "900")):
        row = table.TableRow()
        for value in values:
            cell = table.TableCell(valuetype="string")
            cell.addElement(text.P(text=value))
            row.addElement(cell)
        sheet.addElement(row)
    # what spreadsheets write for the empty rest of a sheet: a row repeated a million times
    empty = table.TableRow(numberrowsrepeated=1_048_000)
    empty.addElement(table.TableCell(numbercolumnsrepeated=16_384))
    sheet.addElement(empty)
    document.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def xlsx_forged_dimension(rows: int = 20_000) -> bytes:
    """An XLSX of `rows` one-cell rows whose first sheet claims to span A1:XFD1048576.

    A reader trusting the claim pads every row to 16,384 cells: minutes of work for a file of a
    few tens of KB.
    """
    cells = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>row {n}</t></is></c></row>'
        for n in range(1, rows + 1)
    )
    source = zipfile.ZipFile(io.BytesIO(xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as forged:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head = data[: data.index(b"<dimension ")]
                tail = data[data.index(b"</sheetData>") :]
                data = head + b'<dimension ref="A1:XFD1048576"/><sheetData>' + cells.encode() + tail
            forged.writestr(info.filename, data)
    return out.getvalue()


def encrypted_odt() -> bytes:
    """An ODT whose manifest declares its content encrypted (as LibreOffice writes a
    password-protected file); the content itself is left as it was."""
    source = zipfile.ZipFile(io.BytesIO(odt()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as encrypted:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "META-INF/manifest.xml":
                data = data.replace(
                    b'manifest:full-path="content.xml" manifest:media-type="text/xml"/>',
                    b'manifest:full-path="content.xml" manifest:media-type="text/xml">'
                    b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" '
                    b'manifest:checksum="AAAA"/></manifest:file-entry>',
                )
                assert b"encryption-data" in data
            compression = zipfile.ZIP_STORED if info.filename == "mimetype" else None
            encrypted.writestr(info.filename, data, compress_type=compression)
    return out.getvalue()


def zip_bomb_docx(expanded_mb: int = 100) -> bytes:
    """A DOCX whose word/document.xml is `expanded_mb` MB of spaces (about 1000:1 compressed)."""
    source = zipfile.ZipFile(io.BytesIO(docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                bomb.writestr(info.filename, source.read(info.filename))
                continue
            xml = source.read(info.filename)
            cut = xml.index(b"</w:body>")
            with bomb.open(info.filename, "w", force_zip64=True) as member:
                member.write(xml[:cut])
                chunk = b" " * (1024 * 1024)
                for _ in range(expanded_mb):
                    member.write(chunk)
                member.write(xml[cut:])
    return out.getvalue()


def encrypted_docx() -> bytes:
    """A password-protected DOCX: an OLE "CDFV2 Encrypted" container, as Word writes it.

    msoffcrypto-tool is installed with extract-msg (through oletools).
    """
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx())).encrypt("secret", out)
    return out.getvalue()


# --- email ------------------------------------------------------------------------------------


def eml_with_attached_message() -> bytes:
    outer = EmailMessage()
    outer["From"] = "Bob Clerk <bob@example.gov.uk>"
    outer["To"] = "records@example.gov.uk"
    outer["Subject"] = "Fwd: Retention schedule for 2025"
    outer["Date"] = format_datetime(CREATED)
    outer.set_content("Forwarding the message below.")
    inner = EmailMessage()
    inner["From"] = "ann@example.gov.uk"
    inner["Subject"] = "Retention schedule for 2025"
    inner.set_content("The original message.")
    outer.add_attachment(inner)
    return bytes(outer)


def headerless_eml() -> bytes:
    """An email libmagic calls text/plain (it starts with a header libmagic does not know)."""
    return (
        b"Subject: Quarterly figures\r\nFrom: Ann <ann@example.gov.uk>\r\n"
        b"Date: Mon, 03 Mar 2025 09:30:00 +0000\r\n\r\nThe figures are in.\r\n"
    )


def eml_with(body: str, attachments: dict[str, bytes], subject: str = "For the file") -> bytes:
    """A plain-text e-mail with these attachments (PDF for .pdf names, plain text otherwise)."""
    message = EmailMessage()
    message["From"] = "Sam Officer <sam@example.gov.uk>"
    message["To"] = "Records Team <records@example.gov.uk>"
    message["Subject"] = subject
    message["Date"] = format_datetime(CREATED)
    message.set_content(body)
    for name, data in attachments.items():
        kind = ("application", "pdf") if name.endswith(".pdf") else ("text", "plain")
        message.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    return bytes(message)


def eml(html_only: bool = False) -> bytes:
    message = EmailMessage()
    message["From"] = "Ann Archivist <ann@example.gov.uk>"
    message["To"] = "Records Team <records@example.gov.uk>"
    message["Subject"] = "Retention schedule for 2025"
    message["Date"] = format_datetime(CREATED)
    message["Message-ID"] = "<fixture-1@example.gov.uk>"
    plain = "Please find the schedule attached.\nIt applies from 3 March 2025."
    html = (
        "<html><body><p>Please find the <b>schedule</b> attached.</p>"
        "<script>alert('x')</script></body></html>"
    )
    if html_only:
        message.set_content(html, subtype="html")
    else:
        message.set_content(plain)
        message.add_alternative(html, subtype="html")
    message.add_attachment(
        born_digital_pdf(1), maintype="application", subtype="pdf", filename="schedule.pdf"
    )
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
    return bytes(message)


OUTLOOK_MSG_CLSID = bytes.fromhex("0b0d020000000000c000000000000046")  # {00020D0B-…-46}


def _props(header: bytes, fixed: dict[int, int], strings: dict[int, bytes]) -> bytes:
    """An MS-OXMSG property stream: `fixed` maps tags to 8-byte values, `strings` to their data."""
    out = bytearray(header)
    for tag, value in fixed.items():
        out += struct.pack("<IIQ", tag, 6, value)
    for tag, data in strings.items():
        size = len(data) + (2 if tag & 0xFFFF == 0x001F else 0)
        out += struct.pack("<IIII", tag, 6, size, 0)
    return bytes(out)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def ole_not_msg() -> bytes:
    """An OLE compound file that is neither an Outlook message nor an encrypted Office file."""
    from extract_msg.ole_writer import OleWriter

    writer = OleWriter()
    writer.addEntry("Contents", b"not a message" * 50)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def msg(rtf_only: bool = False) -> bytes:
    """A real Outlook .msg (MS-OXMSG in an MS-CFB container), written with extract-msg's OleWriter.

    One recipient and one attachment; Unicode string properties; transport headers included.
    `rtf_only`: the body is only in compressed RTF (no plain text or HTML body), not
    encapsulated, as some mail clients write it.
    """
    from extract_msg.ole_writer import OleWriter

    sent = CREATED
    filetime = int((sent - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)
    headers = (
        "From: Ann Archivist <ann@example.gov.uk>\r\n"
        "To: Records Team <records@example.gov.uk>\r\n"
        "Subject: Outlook minutes\r\n"
        f"Date: {format_datetime(sent)}\r\n"
        "Message-ID: <fixture-2@example.gov.uk>\r\n\r\n"
    )
    top_strings = {
        0x001A001F: _utf16("IPM.Note"),
        0x0037001F: _utf16("Outlook minutes"),
        0x1000001F: _utf16("The minutes are attached.\r\nPlease file them."),
        0x0C1A001F: _utf16("Ann Archivist"),
        0x0C1F001F: _utf16("ann@example.gov.uk"),
        0x5D01001F: _utf16("ann@example.gov.uk"),
        0x0E04001F: _utf16("Records Team"),
        0x007D001F: _utf16(headers),
    }
    top_fixed = {
        0x340D0003: 0x00040000,  # store support mask: strings are Unicode
        0x0E070003: 0x00000001,  # message flags: read (not unsent)
        0x00390040: filetime,  # client submit time
        0x0E060040: filetime,  # delivery time
    }
    if rtf_only:
        import compressed_rtf  # installed with extract-msg

        del top_strings[0x1000001F]
        top_strings[0x10090102] = compressed_rtf.compress(
            rb"{\rtf1\ansi\ansicpg1252 The minutes are in the caf\'e9.\par}"
        )
    writer = OleWriter(OUTLOOK_MSG_CLSID)
    writer.addEntry(
        "__properties_version1.0",
        _props(struct.pack("<8xIIII8x", 1, 1, 1, 1), top_fixed, top_strings),
    )
    for tag, data in top_strings.items():
        writer.addEntry(f"__substg1.0_{tag:08X}", data)
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    recipient = "__recip_version1.0_#00000000"
    recipient_strings = {
        0x3001001F: _utf16("Records Team"),
        0x3003001F: _utf16("records@example.gov.uk"),
        0x39FE001F: _utf16("records@example.gov.uk"),
    }
    writer.addEntry(recipient, storage=True)
    writer.addEntry(
        f"{recipient}/__properties_version1.0",
        _props(b"\x00" * 8, {0x0C150003: 1, 0x30000003: 0}, recipient_strings),
    )
    for tag, data in recipient_strings.items():
        writer.addEntry(f"{recipient}/__substg1.0_{tag:08X}", data)
    attachment = "__attach_version1.0_#00000000"
    attachment_data = b"Item,Owner\nClose files,Records\n"
    attachment_strings = {
        0x3707001F: _utf16("actions.csv"),
        0x3704001F: _utf16("actions.csv"),
        0x3703001F: _utf16(".csv"),
        0x370E001F: _utf16("text/csv"),
        0x37010102: attachment_data,
    }
    writer.addEntry(attachment, storage=True)
    writer.addEntry(
        f"{attachment}/__properties_version1.0",
        _props(b"\x00" * 8, {0x37050003: 1, 0x0E200003: len(attachment_data)}, attachment_strings),
    )
    for tag, data in attachment_strings.items():
        writer.addEntry(f"{attachment}/__substg1.0_{tag:08X}", data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- web and text -----------------------------------------------------------------------------


def html() -> bytes:
    return (
        b"<!DOCTYPE html><html><head><title>Published guidance</title>"
        b'<meta name="author" content="Comms Team">'
        b"<style>body { color: red; }</style>"
        b"<script>document.write('INJECTED'); fetch('https://evil.example/');</script>"
        b"</head><body><h1>Guidance on records</h1>"
        b"<p>Keep records for <em>seven</em> years.</p>"
        b"<!-- a hidden comment -->"
        b"<ul><li>First point</li><li>Second point</li></ul>"
        b"<noscript>NOSCRIPT TEXT</noscript>"
        b'<img src="x" onerror="alert(1)">'
        b"</body></html>"
    )


def latin1_txt() -> bytes:
    return "Café résumé: the naïve façade of the Zürich office, £200 in total.\n".encode("latin-1")


def utf8_txt() -> bytes:
    return "Café résumé: the naïve façade — “quoted” £200 ✓\n".encode()


def nul_txt() -> bytes:
    return b"Meeting notes\x00 for the\x00 board\x00\nSecond line of notes here.\n"


def cp1251_txt() -> bytes:
    return "Привет, мир! Это тестовый документ на русском языке.\n".encode("cp1251")


def utf16_txt() -> bytes:
    return "Notes in UTF-16 with a byte-order mark: café ✓\n".encode("utf-16")


def c_like_txt() -> bytes:
    """Notes libmagic takes for C source (text/x-c)."""
    return b"#include <notes.h>\nint main(void) { return 0; }\n"


def csv() -> bytes:
    return b"Name,Department,Phone\nAnn,Records,0123\nBob,Finance,0456\nCid,Estates,0789\n"


def markdown() -> bytes:
    return b"# Heading\n\nSome *emphasis* and a [link](https://example.org).\n\n- item one\n"


def rtf() -> bytes:
    return (
        rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}"
        rb"\f0\fs24 Rich text about the caf\'e9 budget.\par Second paragraph.\par}"
    )


# --- not documents at all ---------------------------------------------------------------------


def elf() -> bytes:
    return Path("/bin/true").read_bytes()


def random_bytes(size: int = 4096) -> bytes:
    return random.Random(42).randbytes(size)
