"""The metadata step: title, date, author, references, language, marking and personal data.

`extract_metadata()` works on the text the extract/OCR steps produced plus the file's own
properties; it never touches the database. Everything is heuristic and cheap (regular expressions
over the first part of the text); the choices it makes are written next to each helper.

Personal data indicators are counts of *distinct* values (the same e-mail address written three
times counts once), under the keys "ni_number", "email", "uk_phone" and "postcode".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import regex

from edrm.configfile import ConfigModel, load_toml
from edrm.errors import InvalidInputError
from edrm.ingest import language
from edrm.ingest.types import DocumentMetadata
from edrm.markings import Marking
from edrm.personal_data import POSTCODE_PATTERN, count_pii

# How much of the text each search looks at: dates, titles and authors live near the top;
# markings, references and personal data are searched further, up to a bound that keeps a
# 5-million-character extraction from costing seconds.
HEAD_CHARS = 4_000
DATE_SCAN_CHARS = 20_000
SCAN_CHARS = 1_000_000
REFERENCE_TIMEOUT = 0.05  # seconds per configured pattern per document
TOP_LINES = 25  # lines counted as "the top of the document"

PII_KEYS = ("ni_number", "email", "uk_phone", "postcode")


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferencePattern:
    """One kind of reference number, e.g. ReferencePattern("invoice", r"\\bINV-\\d{4,}\\b")."""

    name: str
    regex: str


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _ReferenceTable(ConfigModel):
    """One [[reference]] table of config/metadata.toml."""

    name: str = ""
    regex: str = ""


class _MetadataFile(ConfigModel):
    """config/metadata.toml."""

    reference: list[_ReferenceTable] = []


def load_metadata_config(path: Path) -> list[ReferencePattern]:
    """Read config/metadata.toml; a bad entry is an error naming it."""
    try:
        file = load_toml(path, _MetadataFile)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: the metadata settings file is missing") from None
    patterns: list[ReferencePattern] = []
    for number, entry in enumerate(file.reference, start=1):
        pattern = _reference_entry(path, number, entry)
        if any(p.name == pattern.name for p in patterns):
            raise InvalidInputError(f"{path}: reference {number}: name {pattern.name!r} repeats")
        patterns.append(pattern)
    return patterns


def _reference_entry(path: Path, number: int, entry: _ReferenceTable) -> ReferencePattern:
    where = f"{path}: reference {number}"
    name, pattern = entry.name, entry.regex
    if not _NAME.match(name):
        raise InvalidInputError(
            f"{where}: name must be lowercase letters, digits and underscores (got {name!r})"
        )
    where = f"{where} ({name})"
    if not pattern.strip():
        raise InvalidInputError(f"{where}: regex must be a non-empty string")
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        raise InvalidInputError(f"{where}: regex does not compile: {exc}") from None
    if compiled.search("", timeout=REFERENCE_TIMEOUT) is not None:
        raise InvalidInputError(f"{where}: regex matches the empty string")
    return ReferencePattern(name, pattern)


# --- the step ---------------------------------------------------------------------------------


def extract_metadata(
    text: str,
    properties: dict[str, str],
    filename: str,
    page_count: int,
    reference_patterns: list[ReferencePattern],
) -> DocumentMetadata:
    """Everything the metadata step records about one document."""
    lines = _top_lines(text)
    return DocumentMetadata(
        title=find_title(text, properties, filename, lines),
        document_date=find_date(text, properties, lines),
        author=find_author(text, properties, lines),
        references=find_references(text, reference_patterns),
        language=detect_language(text),
        page_count=page_count,
        marking_found=find_marking(text),
        pii=count_pii(text),
    )


def _top_lines(text: str) -> list[str]:
    """The first non-empty lines, stripped."""
    lines = [line.strip() for line in text[:HEAD_CHARS].splitlines()]
    return [line for line in lines if line][:TOP_LINES]


# --- title ------------------------------------------------------------------------------------

_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled(\s+document)?|document\s*\d*|doc\d*|title|no title|none|new document|"
    r"presentation\s*\d*|book\s*\d*|sheet\s*\d*|slide\s*\d*|draft)$",
    re.IGNORECASE,
)
_GENERATOR_TITLE = re.compile(
    r"^(microsoft\s+(word|excel|powerpoint|outlook)|word|powerpoint|excel)\s*-\s", re.IGNORECASE
)
_FILE_LIKE = re.compile(r"(^[a-z]:\\|\.(docx?|xlsx?|pptx?|pdf|txt|odt|ods|rtf|msg|eml)$)", re.I)
_FIELD_LINE = re.compile(
    r"^(from|to|cc|bcc|date|dated|sent|subject|author|our ref(erence)?|your ref(erence)?|"
    r"ref(erence)?|tel(ephone)?|phone|mobile|fax|e-?mail|web|address|classification|"
    r"marking|page|file|attachments?)\s*:",
    re.IGNORECASE,
)
_NOT_A_HEADING = re.compile(
    r"^(dear\b|yours\b|to whom\b|kind regards|best regards|regards\b|many thanks|best wishes|"
    r"page \d+( of \d+)?$|(department|ministry) (for|of)\b|hm\s|office (for|of)\b)",
    re.IGNORECASE,
)
_STREET = re.compile(
    r"^\d+[a-z]?,?\s+([A-Z][\w'-]*\s+)+(road|street|avenue|lane|close|walk|way|drive|square|"
    r"place|court|crescent|terrace|gardens|park|row|hill|mews)\b",
    re.IGNORECASE,
)
_SALUTATION = re.compile(r"^dear\b", re.IGNORECASE)
_SUBJECT = re.compile(r"^subject\s*:\s*(.+)$", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#{1,3}\s+(.+)$")


def find_title(
    text: str, properties: dict[str, str], filename: str, lines: list[str] | None = None
) -> str:
    """Properties' title, else the first heading-like line, else the file name.

    Heading-like, in order of trust: a Markdown heading; an e-mail's Subject line; the subject
    line under a letter's "Dear ..."; the first short line that is not a date, an address, a
    marking, a header field ("Date: ...") or an organisation's name ("Department for ...").
    """
    lines = _top_lines(text) if lines is None else lines
    for key in ("title", "subject"):
        candidate = _clean_title(properties.get(key, ""))
        if _meaningful_title(candidate):
            return candidate
    for finder in (_markdown_heading, _email_subject):
        found = finder(lines)
        if found:
            return found[:250]
    # In a letter, what comes before "Dear ..." is letterhead, addresses, references and the
    # date, never the title; the subject line, if any, comes straight after it.
    salutation = next((i for i, line in enumerate(lines) if _SALUTATION.match(line)), None)
    found = _first_heading(lines) if salutation is None else _letter_subject(lines, salutation)
    return found[:250] if found else _title_from_filename(filename)


def _clean_title(value: str) -> str:
    return " ".join(str(value).split())


def _meaningful_title(title: str) -> bool:
    if not title or len(title) > 250 or not re.search(r"[^\W\d_]", title):
        return False
    return not (
        _PLACEHOLDER_TITLE.match(title) or _GENERATOR_TITLE.match(title) or _FILE_LIKE.search(title)
    )


def _markdown_heading(lines: list[str]) -> str:
    for line in lines:
        match = _MARKDOWN_HEADING.match(line)
        if match:
            return _clean_title(match.group(1).strip("*_ "))
    return ""


def _email_subject(lines: list[str]) -> str:
    for line in lines[:15]:
        match = _SUBJECT.match(line)
        if match and _meaningful_title(_clean_title(match.group(1))):
            return _clean_title(match.group(1))
    return ""


def _letter_subject(lines: list[str], salutation: int) -> str:
    following = lines[salutation + 1] if salutation + 1 < len(lines) else ""
    return _clean_title(following) if following and _heading_like(following) else ""


def _first_heading(lines: list[str]) -> str:
    for line in lines:
        if _heading_like(line):
            return _clean_title(line.strip("#*_> "))
    return ""


def _heading_like(line: str) -> bool:
    """A short line that names the document rather than being part of its furniture."""
    text = line.strip("#*_> \t")
    if not 3 <= len(text) <= 120 or len(text.split()) > 16:
        return False
    if not re.search(r"[^\W\d_]{2}", text) or not (text[0].isupper() or text[0].isdigit()):
        return False
    if text[-1] in ".,;:" or text.count(",") >= 2 or "\t" in text or "|" in text:
        return False
    if _FIELD_LINE.match(text) or _NOT_A_HEADING.match(text) or _STREET.match(text):
        return False
    if POSTCODE_PATTERN.search(text) or _is_marking_line(text):
        return False
    return not _only_date(text)


def _title_from_filename(filename: str) -> str:
    name = re.split(r"[\\/]", filename)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    title = " ".join(stem.replace("_", " ").split())
    return title[:250] or "Untitled document"


# --- date -------------------------------------------------------------------------------------

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}\b"  # 3rd March 2025
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"  # March 3, 2025
    r"|\b\d{4}-\d{2}-\d{2}\b"  # 2025-03-03
    r"|\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b"  # 03/03/2025, 3/3/25 (day first)
    r"|\b\d{1,2}[.-]\d{1,2}[.-]\d{4}\b",  # 03.03.2025, 03-03-2025
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(r"\b(dated?|published|sent|issued|written)\b", re.IGNORECASE)
_DATE_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_DAY_OF_MONTH": "first",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}


def find_date(text: str, properties: dict[str, str], lines: list[str] | None = None) -> date | None:
    """The document's own date, read the British way (03/04/2025 is 3 April).

    First a date near the top that is labelled ("Date: ...", "Published ...") or stands on a line
    of its own (a letter's date); else the first date in the text; else the properties'
    "created", "sent" or "date". Candidates are found with regular expressions and only those
    are given to dateparser (searching the whole text with dateparser is far slower).
    """
    lines = _top_lines(text) if lines is None else lines
    for line in lines:
        match = _DATE.search(line)
        if match and (_DATE_LABEL.search(line[: match.start()]) or _only_date(line)):
            found = parse_uk_date(match.group(0))
            if found:
                return found
    for match in _DATE.finditer(text[:DATE_SCAN_CHARS]):
        found = parse_uk_date(match.group(0))
        if found:
            return found
    for key in ("created", "sent", "date"):
        found = _property_date(properties.get(key, ""))
        if found:
            return found
    return None


_FAST_FORMATS = ("%d %B %Y", "%d %b %Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y")
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)


def parse_uk_date(value: str) -> date | None:
    """One date written by a person in the UK; None when it is not a real date."""
    plain = " ".join(_ORDINAL.sub("", value.replace(",", " ")).split())
    for fmt in _FAST_FORMATS:  # the common shapes, without dateparser's cost
        try:
            parsed_fast = datetime.strptime(plain, fmt)
        except ValueError:
            continue
        return parsed_fast.date() if 1900 <= parsed_fast.year <= 2100 else None
    import dateparser  # heavy: only for the shapes the fast formats above do not read

    parsed = dateparser.parse(value, languages=["en"], settings=_DATE_SETTINGS)
    if parsed is None or not 1900 <= parsed.year <= 2100:
        return None
    return parsed.date()


def _property_date(value: str) -> date | None:
    value = str(value).strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return parse_uk_date(value)


def _only_date(line: str) -> bool:
    match = _DATE.search(line)
    if not match:
        return False
    rest = (line[: match.start()] + line[match.end() :]).strip(" ,.-")
    return not rest or bool(re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?", rest, re.I))


# --- author -----------------------------------------------------------------------------------

_AUTHOR_KEYS = ("author", "creator", "sender", "from")
_PLACEHOLDER_AUTHOR = re.compile(
    r"^(unknown|user|owner|admin(istrator)?|windows user|microsoft office user|author|none)$",
    re.IGNORECASE,
)
_AUTHOR_LABEL = re.compile(
    r"^(author|from|sender|prepared by|written by)\s*:\s*(.+)$", re.IGNORECASE
)
_CLOSING = re.compile(
    r"^(yours\s+(sincerely|faithfully|truly)|kind regards|best regards|warm regards|regards|"
    r"best wishes|many thanks|with thanks|thanks|yours)\s*,?$",
    re.IGNORECASE,
)
_NAME_WORD = re.compile(r"^([A-Z][\w'’.-]*|de|van|von|der|la|le|du|bin|al|y)$")


def find_author(text: str, properties: dict[str, str], lines: list[str] | None = None) -> str:
    """Properties' author (or e-mail sender), else an "Author:"/"From:" line, else a signature."""
    lines = _top_lines(text) if lines is None else lines
    for key in _AUTHOR_KEYS:
        value = _person_from(properties.get(key, ""))
        if value and not _PLACEHOLDER_AUTHOR.match(value):
            return value
    for line in lines:
        match = _AUTHOR_LABEL.match(line)
        if match:
            value = _person_from(match.group(2))
            if value:
                return value
    return _signature(text)


def _person_from(value: str) -> str:
    """'Jane Smith <jane@x.gov.uk>' -> 'Jane Smith'; 'Jane Smith, Finance' -> 'Jane Smith'."""
    value = " ".join(str(value).split())
    without_address = re.sub(r"<[^>]*>", "", value).strip(" \"'")
    if not without_address:
        address = re.search(r"<([^>]+)>", value)
        return address.group(1) if address else ""
    name = without_address.split(",")[0].strip()
    return name if _looks_like_name(name) or "@" in name else ""


def _looks_like_name(value: str) -> bool:
    words = value.split()
    if not 1 <= len(words) <= 6 or len(value) > 60 or re.search(r"\d|@", value):
        return False
    return all(_NAME_WORD.match(word) for word in words) and words[0][0].isupper()


def _signature(text: str) -> str:
    lines = [line.strip() for line in text[:SCAN_CHARS].splitlines()]
    for index, line in enumerate(lines):
        if not _CLOSING.match(line):
            continue
        following = [candidate for candidate in lines[index + 1 : index + 5] if candidate][:2]
        for candidate in following:
            if _looks_like_name(candidate) and len(candidate.split()) >= 2:
                return candidate
        return ""
    return ""


# --- references -------------------------------------------------------------------------------


def find_references(text: str, patterns: list[ReferencePattern]) -> list[str]:
    """Every reference the configured patterns find, each once, in the order they appear.

    Each pattern runs with a time limit; one that takes too long finds nothing in this document.
    """
    sample = text[:SCAN_CHARS]
    found: list[tuple[int, str]] = []
    for pattern in patterns:
        compiled = _compiled(pattern.regex)
        try:
            matches = [
                (m.start(), " ".join(m.group(0).split()))
                for m in compiled.finditer(sample, timeout=REFERENCE_TIMEOUT)
            ]
        except TimeoutError:
            continue
        found.extend(m for m in matches if m[1])
    ordered = [value for _, value in sorted(found, key=lambda item: item[0])]
    return list(dict.fromkeys(ordered))


_COMPILED: dict[str, Any] = {}


def _compiled(pattern: str) -> Any:
    if pattern not in _COMPILED:
        _COMPILED[pattern] = regex.compile(pattern)
    return _COMPILED[pattern]


# --- language ---------------------------------------------------------------------------------


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "und" when there is too little text to tell."""
    sample = text[:5_000]
    words = re.findall(r"[^\W\d_]{2,}", sample)
    if len(words) < 5 or sum(len(word) for word in words) < 25:
        return "und"
    return language.classify(" ".join(words))


# --- protective marking -----------------------------------------------------------------------

_MARKING = re.compile(
    r"\b(top[ \t_\-–]+secret|official[ \t_\-–]+sensitive|official|secret)\b", re.IGNORECASE
)


def find_marking(text: str) -> str | None:
    """The highest protective marking printed in the text, as Marking's value, or None.

    "OFFICIAL-SENSITIVE" (or "Official Sensitive") and "TOP SECRET" count wherever they are, in
    any case. The single words OFFICIAL and SECRET are ordinary English too ("an official
    letter", "trade secret"), so they count only in capitals or alone on their own line.
    """
    found: list[Marking] = []
    sample = text[:SCAN_CHARS]
    for match in _MARKING.finditer(sample):
        words = match.group(0)
        marking = Marking.parse(re.sub(r"[\s_\-–]+", " ", words))
        two_words = " " in marking.value or "-" in marking.value
        if two_words or words.isupper() or _alone_on_line(sample, match.start(), match.end()):
            found.append(marking)
    return Marking.highest(*found).value if found else None


def _alone_on_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    return re.sub(r"[\W_]+", " ", line).strip().lower() == text[start:end].lower()


def _is_marking_line(line: str) -> bool:
    """A line that is only a marking, perhaps with a descriptor ("OFFICIAL-SENSITIVE: HR")."""
    match = _MARKING.match(line.strip())
    if not match:
        return False
    rest = line.strip()[match.end() :].strip()
    if not rest:
        return True
    descriptor = re.fullmatch(r"[:\-–/]+\s*[A-Z][A-Z ]{0,30}", rest)
    return bool(descriptor) and match.group(0).isupper()
