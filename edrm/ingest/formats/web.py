"""HTML: the visible text, read with BeautifulSoup. Nothing in the page runs or is fetched:
scripts, styles and embedded objects are dropped before the text is taken."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from edrm.ingest.formats.text import clean_text, cut_warning, read_prefix
from edrm.ingest.types import ExtractedPage, Extraction, IngestConfig

_DROPPED = [
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "frame",
    "object",
    "embed",
    "applet",
    "svg",
    "canvas",
    "head",
]
_BLOCKS = [
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
]
_SPACES = re.compile(r"[^\S\n]+")


def html_to_text(markup: str | bytes) -> tuple[str, dict[str, str]]:
    """The readable text of an HTML document, and its title and author if it names them."""
    soup = BeautifulSoup(markup, "lxml")
    properties: dict[str, str] = {}
    if soup.title is not None:
        title = " ".join(soup.title.get_text(" ").split())
        if title:
            properties["title"] = title
    for meta in soup.find_all("meta"):
        if isinstance(meta, Tag) and str(meta.get("name", "")).lower() == "author":
            author = " ".join(str(meta.get("content", "")).split())
            if author:
                properties["author"] = author
            break
    for tag in soup.find_all(_DROPPED):
        if isinstance(tag, Tag) and not tag.decomposed:
            tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after("\t")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    lines = (_SPACES.sub(" ", line).strip() for line in soup.get_text().split("\n"))
    return clean_text("\n".join(lines)), properties


def extract_html(path: Path, config: IngestConfig) -> Extraction:
    limit = config.limits.max_text_chars
    data, cut = read_prefix(path, max(limit * 8, 1024 * 1024))
    text, properties = html_to_text(data)
    result = Extraction(
        pages=[ExtractedPage(1, text, "text")],
        ocr_images={},
        properties=properties,
        attachments=[],
        page_count=1,
        preview_png=None,
    )
    if cut:
        result.warnings.append(cut_warning(limit))
    return result
