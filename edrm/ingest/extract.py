"""Extract: the text, page images for OCR, properties and attachments of one sniffed file.

Dispatches on the real type (from sniff) to the reader of its family in `edrm.ingest.formats`.
Whatever a library throws becomes RejectedInputError("corrupt", "<format> could not be read:
<reason>"), so a worker never falls over on a bad file; KeyboardInterrupt and SystemExit pass
through.

Nothing here can loop without end: every loop is bounded by pages, frames, zip members, rows
(stopping at the text limit) or the file's size. The wall-clock limit (max_seconds_per_file)
is the caller's to enforce, around this call and OCR together.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edrm.ingest.formats import text
from edrm.ingest.sniff import DOCX, ODS, ODT, OUTLOOK, XLSX
from edrm.ingest.types import Extraction, IngestConfig, RejectedInputError, Sniffed

Reader = Callable[[Path, IngestConfig, Path], Extraction]


@dataclass(frozen=True)
class Family:
    label: str  # how messages name the format: "the PDF could not be read: …"
    read: Reader
    uses_workdir: bool = False  # writes page images (or a repaired copy) into the workdir


def _reader(module: str, function: str, *extra: Any, workdir: bool = False) -> Reader:
    """`edrm.ingest.formats.MODULE.FUNCTION(path, config, [workdir or] *extra)`, its module
    imported at the first file of its kind: a text file never loads the PDF, image, office,
    e-mail and web readers (and their libraries) into a process that does not need them."""

    def read(path: Path, config: IngestConfig, work: Path) -> Extraction:
        found = getattr(importlib.import_module(f"edrm.ingest.formats.{module}"), function)
        result: Extraction = found(path, config, work) if workdir else found(path, config, *extra)
        return result

    return read


PDF = Family("the PDF", _reader("pdf", "extract_pdf", workdir=True), uses_workdir=True)
IMAGE = Family("the image", _reader("images", "extract_image", workdir=True), uses_workdir=True)
WORD = Family("the Word document", _reader("office", "extract_docx"))
EXCEL = Family("the spreadsheet", _reader("office", "extract_xlsx"))
OD_TEXT = Family("the OpenDocument text", _reader("office", "extract_odf", False))
OD_SHEET = Family("the OpenDocument spreadsheet", _reader("office", "extract_odf", True))
EML = Family("the email", _reader("email", "extract_eml"))
MSG = Family("the Outlook message", _reader("email", "extract_msg_file"))
HTML = Family("the web page", _reader("web", "extract_html"))
RTF = Family("the RTF document", lambda path, config, _work: text.extract_rtf(path, config))
TEXT = Family("the text", lambda path, config, _work: text.extract_text(path, config))

FAMILIES: dict[str, Family] = {
    "application/pdf": PDF,
    "image/png": IMAGE,
    "image/jpeg": IMAGE,
    "image/tiff": IMAGE,
    "image/bmp": IMAGE,
    "image/x-ms-bmp": IMAGE,
    "image/gif": IMAGE,
    "image/webp": IMAGE,
    DOCX: WORD,
    XLSX: EXCEL,
    ODT: OD_TEXT,
    ODS: OD_SHEET,
    "message/rfc822": EML,
    **dict.fromkeys(OUTLOOK, MSG),
    "text/html": HTML,
    "application/xhtml+xml": HTML,
    "text/rtf": RTF,
    "application/rtf": RTF,
}
# Text that libmagic only knows as text: the name says what kind.
TEXT_BY_EXTENSION = {"eml": EML, "htm": HTML, "html": HTML}


def family_for(sniffed: Sniffed) -> Family:
    found = FAMILIES.get(sniffed.mime)
    if found is not None:
        return found
    if sniffed.mime.startswith("text/"):
        return TEXT_BY_EXTENSION.get(sniffed.extension, TEXT)
    raise RejectedInputError(
        "not_allowed", f"edrm cannot read the text of {sniffed.description or sniffed.mime}"
    )


def _reason(exc: BaseException) -> str:
    words = " ".join(str(exc).split()) or type(exc).__name__
    return words if len(words) <= 160 else words[:157] + "…"


def _finish(result: Extraction, limit: int) -> Extraction:
    """Clean every page's text, cut the whole at the text limit, mark pages with no text."""
    used = 0
    cut = False
    kept = []
    for page in sorted(result.pages, key=lambda page: page.number):
        page.text = text.clean_text(page.text)
        room = limit - used
        if len(page.text) > room:
            cut = True
            if room <= 0:
                continue
            page.text = page.text[:room]
        used += len(page.text)
        if not page.text.strip() and page.source == "text":
            page.source = "none"
        kept.append(page)
    if cut:
        result.warnings.append(text.cut_warning(limit))
    result.pages = kept
    result.warnings = list(dict.fromkeys(result.warnings))
    return result


def extract(path: Path, sniffed: Sniffed, config: IngestConfig, workdir: Path) -> Extraction:
    """Everything in the file at `path` that sniff() described; page images go to `workdir`,
    made here only for a format that writes any (a text file makes no folder)."""
    family = family_for(sniffed)
    if family.uses_workdir:
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = family.read(path, config, workdir)
    except RejectedInputError:
        raise
    except MemoryError:
        raise RejectedInputError(
            "bomb", f"{family.label} needs more memory to read than edrm can give it"
        ) from None
    except RecursionError:
        raise RejectedInputError(
            "corrupt", f"{family.label} could not be read: it is nested too deeply"
        ) from None
    except Exception as exc:
        raise RejectedInputError(
            "corrupt", f"{family.label} could not be read: {_reason(exc)}"
        ) from exc
    return _finish(result, config.limits.max_text_chars)
