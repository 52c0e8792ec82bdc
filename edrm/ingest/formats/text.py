"""Plain text, CSV, Markdown and RTF; and the text clean-up every other format shares.

Decoding: a byte-order mark wins; then strict UTF-8; then a legacy single-byte encoding, where
Windows-1252 (a superset of Latin-1's printable characters, and what British legacy files are
almost always in) is preferred unless it reads as nonsense and charset-normalizer's guess does
not. NUL bytes are dropped (unless the file is UTF-16/32 without a mark).
"""

from __future__ import annotations

import codecs
import contextlib
import re
from pathlib import Path

from edrm.ingest.types import ExtractedPage, Extraction, IngestConfig

_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufeff\ufffe\uffff]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAMPLE = 100_000  # characters looked at when judging a decoding


def clean_text(text: str) -> str:
    """Line breaks as \\n, no NULs or other control characters, no trailing spaces, at most one
    blank line in a row, no leading or trailing blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = _CONTROL.sub("", text)
    text = _TRAILING_SPACE.sub("\n", text + "\n")
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip("\n")


def read_prefix(path: Path, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of the file, and whether there was more."""
    with path.open("rb") as stream:
        data = stream.read(limit + 1)
    return data[:limit], len(data) > limit


def decode_text(data: bytes, cut: bool = False) -> tuple[str, str]:
    """The text and the name of the encoding it was read in. `cut`: the bytes end mid-file."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data, encoding, cut), encoding
    if data.count(b"\x00") > len(data) // 4:
        import charset_normalizer  # only for text that is not plain UTF-8

        guess = charset_normalizer.from_bytes(data).best()
        if guess is not None and guess.encoding.startswith(("utf_16", "utf_32")):
            return _decode(data, guess.encoding, cut), guess.encoding
    data = data.replace(b"\x00", b"")
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=not cut), "utf-8"
    except UnicodeDecodeError:
        pass
    import charset_normalizer  # only for text that is not plain UTF-8

    western = data.decode("cp1252", errors="replace")
    guess = charset_normalizer.from_bytes(data).best()
    if guess is None or guess.encoding in ("cp1252", "latin_1", "ascii"):
        return western, "cp1252"
    other = str(guess)
    if other == western:
        return western, "cp1252"
    odd_western = _oddities(western[:_SAMPLE])
    if _mostly_non_ascii_letters(western[:_SAMPLE]) or _oddities(other[:_SAMPLE]) < odd_western:
        return other, guess.encoding
    return western, "cp1252"


def _decode(data: bytes, encoding: str, cut: bool) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data, final=not cut)


def _oddities(text: str) -> int:
    """Signs of a wrong decoding: replacement and C1 control characters, and non-ASCII symbols
    wedged between two letters (as Polish "ż" read as Windows-1252 gives "Za¿ó")."""
    count = 0
    for index, char in enumerate(text):
        code = ord(char)
        if (
            char == "\ufffd"
            or 0x80 <= code <= 0x9F
            or (
                code > 0x7F
                and not char.isalpha()
                and 0 < index < len(text) - 1
                and text[index - 1].isalpha()
                and text[index + 1].isalpha()
            )
        ):
            count += 1
    return count


def _mostly_non_ascii_letters(text: str) -> bool:
    """True for Cyrillic, Greek, ... read as Windows-1252: nearly every letter is accented."""
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return False
    return sum(1 for char in letters if ord(char) > 0x7F) > 0.4 * len(letters)


def _single_page(text: str) -> Extraction:
    return Extraction(
        pages=[ExtractedPage(1, text, "text")],
        ocr_images={},
        properties={},
        attachments=[],
        page_count=1,
        preview_png=None,
    )


def cut_warning(limit: int) -> str:
    return f"the text was cut at {limit:,} characters"


def extract_text(path: Path, config: IngestConfig) -> Extraction:
    """TXT, CSV, Markdown and any other plain text: the decoded text as one page."""
    limit = config.limits.max_text_chars
    data, cut = read_prefix(path, limit * 4 + 4)  # a UTF-8 character is at most 4 bytes
    text, _encoding = decode_text(data, cut)
    result = _single_page(clean_text(text))
    if cut:
        result.warnings.append(cut_warning(limit))
    return result


_ANSI_CODEPAGE = re.compile(r"\\ansicpg(\d{3,5})")


def extract_rtf(path: Path, config: IngestConfig) -> Extraction:
    """RTF through striprtf, in the code page the document declares (Windows-1252 if none)."""
    limit = config.limits.max_text_chars
    data, cut = read_prefix(path, limit * 8)  # control words make RTF longer than its text
    raw = data.decode("latin-1")  # RTF is 7-bit; 8-bit bytes, if any, survive one to one
    encoding = "cp1252"
    declared = _ANSI_CODEPAGE.search(raw[:4096])
    if declared:
        with contextlib.suppress(LookupError):
            encoding = codecs.lookup(f"cp{declared.group(1)}").name
    from striprtf.striprtf import rtf_to_text

    result = _single_page(clean_text(rtf_to_text(raw, encoding=encoding, errors="replace")))
    if cut:
        result.warnings.append(cut_warning(limit))
    return result
