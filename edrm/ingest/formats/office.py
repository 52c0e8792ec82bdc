"""Office documents: DOCX (python-docx), XLSX (openpyxl), ODT and ODS (odfpy).

Every one is a zip container, checked against the expansion limits before a library opens it.
Text is gathered in document order and gathering stops once it passes the text limit, so a
sheet of a million rows costs no more than the limit.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from lxml import etree

from edrm.ingest.formats.limits import check_zip
from edrm.ingest.types import ExtractedPage, Extraction, IngestConfig, RejectedInputError

MAX_REPEAT = 1_000  # repeated ODS rows/columns written out at most this many times
MAX_SPACES = 100  # <text:s c="…"/> in ODF


class _Budget:
    """Counts characters gathered; `full` once past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    @property
    def full(self) -> bool:
        return self.used > self.limit

    def add(self, lines: list[str], line: str) -> None:
        lines.append(line)
        self.used += len(line) + 1


def _extraction(lines: Iterable[str], properties: dict[str, str]) -> Extraction:
    return Extraction(
        pages=[ExtractedPage(1, "\n".join(lines), "text")],
        ocr_images={},
        properties=properties,
        attachments=[],
        page_count=1,
        preview_png=None,
    )


def _put(properties: dict[str, str], key: str, value: object) -> None:
    if isinstance(value, datetime | date):
        properties[key] = value.isoformat()
    elif isinstance(value, str) and value.strip():
        properties[key] = " ".join(value.split())


# --- DOCX -------------------------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
W = f"{{{W_NS}}}"
_RUN_CONTENT = etree.XPath(
    "(.//w:t | .//w:tab | .//w:br | .//w:cr | .//w:noBreakHyphen)"
    "[not(ancestor::mc:Fallback) and not(ancestor::w:pPr) and not(ancestor::w:rPr)]",
    namespaces={"w": W_NS, "mc": MC_NS},
)
_WRAPPERS = {f"{W}{name}" for name in ("sdt", "sdtContent", "customXml", "ins", "moveTo")}


def _paragraph_text(paragraph: Any) -> str:
    parts: list[str] = []
    current = paragraph
    for element in _RUN_CONTENT(paragraph):
        owner = next(element.iterancestors(f"{W}p"), paragraph)
        if owner is not current:  # a paragraph inside this one (a text box): a new line
            parts.append("\n")
            current = owner
        tag = element.tag
        if tag == f"{W}t":
            parts.append(element.text or "")
        elif tag == f"{W}tab":
            parts.append("\t")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _own(element: Any, tag: str, container: Any) -> Iterator[Any]:
    """`tag` descendants of `container` not nested in a deeper element of the same kind as
    `container` (the rows of this table, not of a table inside one of its cells)."""
    for found in element.iter(tag):
        if next(found.iterancestors(container.tag), None) is container:
            yield found


def _docx_blocks(element: Any, lines: list[str], budget: _Budget) -> None:
    for child in element:
        if budget.full:
            return
        if child.tag == f"{W}p":
            budget.add(lines, _paragraph_text(child))
        elif child.tag == f"{W}tbl":
            for row in _own(child, f"{W}tr", child):
                cells = []
                for cell in _own(row, f"{W}tc", row):
                    inner: list[str] = []
                    _docx_blocks(cell, inner, _Budget(budget.limit))
                    cells.append(" ".join(line for line in inner if line.strip()))
                budget.add(lines, "\t".join(cells).rstrip("\t"))
        elif child.tag in _WRAPPERS:
            _docx_blocks(child, lines, budget)


def extract_docx(path: Path, config: IngestConfig) -> Extraction:
    check_zip(path, config.limits, "the Word document")
    # python-docx takes ~0.1 s to import: loaded only when a Word document is read
    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    document = Document(str(path))
    budget = _Budget(config.limits.max_text_chars)
    parts: dict[str, list[Any]] = {RT.HEADER: [], RT.FOOTER: []}  # reltype: header/footer parts
    for relationship in document.part.rels.values():
        if relationship.reltype in parts and not relationship.is_external:
            parts[relationship.reltype].append(relationship.target_part)
    body: list[str] = []
    # Headers first: a protective marking is usually printed there.
    for kind in (RT.HEADER, None, RT.FOOTER):
        if kind is None:
            _docx_blocks(document.element.body, body, budget)
            continue
        seen: set[str] = set()
        for part in sorted(parts[kind], key=lambda part: str(part.partname)):
            block: list[str] = []
            _docx_blocks(part.element, block, budget)
            text = "\n".join(line for line in block if line.strip())
            if text and text not in seen:
                seen.add(text)
                body.append(text)
    properties: dict[str, str] = {}
    try:
        document.part.package.part_related_by(RT.CORE_PROPERTIES)
    except KeyError:
        pass  # python-docx would invent default properties: there are none
    else:
        core = document.core_properties
        _put(properties, "title", core.title)
        _put(properties, "author", core.author)
        _put(properties, "subject", core.subject)
        _put(properties, "keywords", core.keywords)
        _put(properties, "created", core.created)
        _put(properties, "modified", core.modified)
    return _extraction(body, properties)


# --- XLSX -------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return " ".join(str(value).split())


def extract_xlsx(path: Path, config: IngestConfig) -> Extraction:
    names = check_zip(path, config.limits, "the spreadsheet")
    # openpyxl takes ~0.5 s to import: loaded only when a spreadsheet is read
    from openpyxl import load_workbook

    budget = _Budget(config.limits.max_text_chars)
    lines: list[str] = []
    properties: dict[str, str] = {}
    # A file object, not the path: openpyxl judges a path by its extension, and blobs have none.
    with path.open("rb") as stream:
        workbook = load_workbook(stream, read_only=True, data_only=True, keep_links=False)
        try:
            for sheet in workbook.worksheets:
                if budget.full:
                    break
                if lines:
                    lines.append("")
                budget.add(lines, sheet.title)
                # The declared dimensions are not trusted: a forged one would pad every row.
                reset = getattr(sheet, "reset_dimensions", None)
                if reset is not None:
                    reset()
                for row in sheet.iter_rows(values_only=True):
                    values = [_cell(value) for value in row]
                    while values and not values[-1]:
                        values.pop()
                    if values:
                        budget.add(lines, "\t".join(values))
                    if budget.full:
                        break
            if "docProps/core.xml" in names:  # otherwise openpyxl invents defaults
                props = workbook.properties
                _put(properties, "title", props.title)
                _put(properties, "author", props.creator)
                _put(properties, "subject", props.subject)
                _put(properties, "keywords", props.keywords)
                _put(properties, "created", props.created)
                _put(properties, "modified", props.modified)
        finally:
            workbook.close()
    return _extraction(lines, properties)


# --- ODT / ODS --------------------------------------------------------------------------------

TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_ODF_HEADERS = {(STYLE_NS, name) for name in ("header", "header-left", "header-first")}
_ODF_FOOTERS = {(STYLE_NS, name) for name in ("footer", "footer-left", "footer-first")}
_ODF_SKIPPED = {(TEXT_NS, "tracked-changes"), (OFFICE_NS, "annotation")}


def _odf_encrypted(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        try:
            manifest = archive.read("META-INF/manifest.xml")
        except KeyError:
            return False
    return b"encryption-data" in manifest


def _odf_text(element: Any) -> str:
    """The text of a paragraph or heading, like odfpy's teletype.extractText but with the
    space count of <text:s c="…"/> capped."""
    parts: list[str] = []
    for child in element.childNodes:
        if child.nodeType == child.TEXT_NODE:
            parts.append(child.data)
        elif child.nodeType == child.ELEMENT_NODE:
            name = child.qname
            if name in _ODF_SKIPPED:
                continue
            if name == (TEXT_NS, "line-break"):
                parts.append("\n")
            elif name == (TEXT_NS, "tab"):
                parts.append("\t")
            elif name == (TEXT_NS, "s"):
                count = child.attributes.get((TEXT_NS, "c"))
                parts.append(" " * min(_int(count, 1), MAX_SPACES))
            else:
                parts.append(_odf_text(child))
    return "".join(parts)


def _int(value: object, default: int) -> int:
    try:
        return max(int(str(value)), 1) if value is not None else default
    except ValueError:
        return default


def _odf_row(row: Any) -> str:
    cells: list[str] = []
    for cell in row.childNodes:
        if cell.nodeType != cell.ELEMENT_NODE or cell.qname[0] != TABLE_NS:
            continue
        if cell.qname[1] not in ("table-cell", "covered-table-cell"):
            continue
        lines: list[str] = []
        _odf_blocks(cell, lines, _Budget(1 << 62), sheet_names=False)
        text = " ".join(line for line in lines if line.strip())
        repeat = _int(cell.attributes.get((TABLE_NS, "number-columns-repeated")), 1)
        cells.extend([text] * (min(repeat, MAX_REPEAT) if text else min(repeat, 1)))
    while cells and not cells[-1]:
        cells.pop()
    return "\t".join(cells)


def _odf_blocks(element: Any, lines: list[str], budget: _Budget, sheet_names: bool) -> None:
    for child in element.childNodes:
        if budget.full:
            return
        if child.nodeType != child.ELEMENT_NODE or child.qname in _ODF_SKIPPED:
            continue
        name = child.qname
        if name in ((TEXT_NS, "p"), (TEXT_NS, "h")):
            budget.add(lines, _odf_text(child))
        elif name == (TABLE_NS, "table"):
            if sheet_names:
                if lines:
                    lines.append("")
                budget.add(lines, str(child.attributes.get((TABLE_NS, "name"), "")))
            _odf_blocks(child, lines, budget, sheet_names)
        elif name == (TABLE_NS, "table-row"):
            text = _odf_row(child)
            if text:
                repeat = _int(child.attributes.get((TABLE_NS, "number-rows-repeated")), 1)
                for _ in range(min(repeat, MAX_REPEAT)):
                    budget.add(lines, text)
        else:
            _odf_blocks(child, lines, budget, sheet_names)


def _odf_properties(document: Any) -> dict[str, str]:
    meta_ns = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
    dc_ns = "http://purl.org/dc/elements/1.1/"
    found: dict[tuple[str, str], str] = {}
    for child in document.meta.childNodes:
        if child.nodeType == child.ELEMENT_NODE:
            found[child.qname] = _odf_text(child)
    properties: dict[str, str] = {}
    _put(properties, "title", found.get((dc_ns, "title")))
    _put(
        properties,
        "author",
        found.get((meta_ns, "initial-creator")) or found.get((dc_ns, "creator")),
    )
    _put(properties, "subject", found.get((dc_ns, "subject")))
    for key, name in (("created", (meta_ns, "creation-date")), ("modified", (dc_ns, "date"))):
        value = found.get(name, "").strip()
        try:
            properties[key] = datetime.fromisoformat(value).isoformat()
        except ValueError:
            continue
    return properties


def extract_odf(path: Path, config: IngestConfig, spreadsheet: bool) -> Extraction:
    label = "the OpenDocument spreadsheet" if spreadsheet else "the OpenDocument text"
    check_zip(path, config.limits, label)
    if _odf_encrypted(path):
        raise RejectedInputError("encrypted", f"{label} is password-protected")
    # odfpy takes ~0.07 s to import: loaded only when an OpenDocument file is read
    from odf.opendocument import load

    document = load(str(path))
    budget = _Budget(config.limits.max_text_chars)
    headers = _odf_page_furniture(document, _ODF_HEADERS, budget)
    lines: list[str] = []
    _odf_blocks(document.body, lines, budget, spreadsheet)
    footers = _odf_page_furniture(document, _ODF_FOOTERS, budget)
    return _extraction([*headers, *lines, *footers], _odf_properties(document))


def _odf_page_furniture(document: Any, kinds: set[tuple[str, str]], budget: _Budget) -> list[str]:
    """The distinct lines of the page headers (or footers) of the master pages in styles.xml:
    a protective marking is usually printed there."""
    lines: list[str] = []
    for element in _odf_elements(document.masterstyles, kinds):
        block: list[str] = []
        _odf_blocks(element, block, budget, sheet_names=False)
        lines.extend(line for line in block if line.strip() and line not in lines)
    return lines


def _odf_elements(element: Any, kinds: set[tuple[str, str]]) -> Iterator[Any]:
    for child in element.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        if child.qname in kinds:
            yield child
        else:
            yield from _odf_elements(child, kinds)
