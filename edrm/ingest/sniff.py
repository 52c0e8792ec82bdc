"""Sniff: what the bytes really are, whatever the file is called.

libmagic (python-magic) names the type; the allowlist in config/ingest.toml decides whether edrm
takes it. The name's extension only matters for the record: when it does not fit the real type
(a PDF called .docx) the file is still taken, as what it really is, and the mismatch is noted.

What libmagic 5.44 reports for the formats edrm takes:

    PDF                     application/pdf
    PNG, JPEG, TIFF, GIF    image/png, image/jpeg, image/tiff, image/gif
    BMP                     image/bmp (older libmagic: image/x-ms-bmp)
    DOCX, XLSX              application/vnd.openxmlformats-officedocument.…
    ODT, ODS                application/vnd.oasis.opendocument.text / .spreadsheet
    EML                     message/rfc822 (text/plain when it starts with an unusual header)
    MSG                     application/vnd.ms-outlook ("CDFV2 Microsoft Outlook Message");
                            application/CDFV2 when libmagic cannot tell which OLE file it is
    HTML                    text/html
    TXT, Markdown           text/plain
    CSV                     text/csv (text/plain when it cannot tell)
    RTF                     text/rtf
    text with NUL bytes     application/octet-stream ("data"): see _text_with_stray_bytes
    encrypted DOCX/XLSX     application/encrypted ("CDFV2 Encrypted"): rejected as encrypted
"""

from __future__ import annotations

import re
from pathlib import Path

import magic

from edrm.documents.filenames import safe_filename
from edrm.ingest.types import IngestConfig, RejectedInputError, Sniffed

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
OUTLOOK = ("application/vnd.ms-outlook", "application/CDFV2")

TEXT_EXTENSIONS = ("txt", "text", "csv", "tsv", "md", "markdown", "log", "eml", "htm", "html")
MIME_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/tiff": ("tif", "tiff"),
    "image/bmp": ("bmp", "dib"),
    "image/x-ms-bmp": ("bmp", "dib"),
    "image/gif": ("gif",),
    DOCX: ("docx", "docm", "dotx", "dotm"),
    XLSX: ("xlsx", "xlsm", "xltx", "xltm"),
    ODT: ("odt", "ott"),
    ODS: ("ods", "ots"),
    "message/rfc822": ("eml", "mht", "mhtml"),
    "application/vnd.ms-outlook": ("msg",),
    "application/CDFV2": ("msg",),
    "text/html": ("html", "htm", "xhtml", "shtml"),
    "text/plain": TEXT_EXTENSIONS,
    "text/csv": ("csv", "tsv", "txt"),
    "text/markdown": ("md", "markdown", "txt"),
    "text/rtf": ("rtf",),
    "application/rtf": ("rtf",),
}
_EXTENSION = re.compile(r"[a-z0-9]{1,10}")
_SAMPLE_BYTES = 1024 * 1024
# C0 controls libmagic does not allow in text (it does allow tab, line breaks, form feed, ESC)
_STRAY_CONTROLS = bytes([*range(0x01, 0x07), *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
MB = 1024 * 1024


def file_extension(original_name: str) -> str:
    """The extension of an uploaded file's name, lower case without the dot; "" if none.

    The name may hold anything (directories, "../", control characters, 300 characters):
    only its last part counts, made safe first.
    """
    name = safe_filename(original_name, fallback="")
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower()
    if not dot or not stem or not _EXTENSION.fullmatch(extension):
        return ""
    return extension


def _size(size: int) -> str:
    if size < MB:
        return f"{size:,} bytes"
    return f"{size / MB:,.1f} MB" if size < 10 * MB else f"{size / MB:,.0f} MB"


def _describe(description: str) -> str:
    """libmagic's description, short, with an article: "an ELF 64-bit LSB pie executable"."""
    if description in ("data", ""):
        return "unrecognised binary data"
    short = ", ".join(description.split(", ")[:2])
    if len(short) > 80:
        short = short[:77].rstrip() + "…"
    article = "an" if short[0].lower() in "aeiou" else "a"
    return f"{article} {short}"


def _text_with_stray_bytes(path: Path, mime: str, description: str) -> tuple[str, str]:
    """Text that libmagic calls "data" only because of NUL bytes or a few stray control
    characters (a DOS end-of-file ^Z, say) is text.

    The first megabyte, without them, is asked about again. Random bytes and binaries stay
    data: they are full of control characters (about one byte in ten), so only a sample where
    they are rare (one in a hundred at most, NULs aside) is looked at again.
    """
    if mime != "application/octet-stream":
        return mime, description
    with path.open("rb") as stream:
        sample = stream.read(_SAMPLE_BYTES)
    without_nuls = sample.replace(b"\x00", b"")
    stripped = without_nuls.translate(None, _STRAY_CONTROLS)
    if not stripped or stripped == sample:
        return mime, description
    if len(without_nuls) - len(stripped) > max(len(without_nuls) // 100, 1):
        return mime, description
    again = magic.from_buffer(stripped, mime=True)
    if not again.startswith("text/"):
        return mime, description
    what = "NUL bytes" if len(stripped) == len(without_nuls) else "stray control characters"
    return again, f"{magic.from_buffer(stripped)}, with {what}"


def _text_taken_for_a_format(
    path: Path, mime: str, description: str, extension: str
) -> tuple[str, str]:
    """A text file named as text that libmagic takes for a text-based format because of how it
    begins (an abstract starting "IN;" is a Hewlett-Packard plotter file to it, one starting
    "%!" PostScript) is text: every byte of it is printable UTF-8 or white space, which no
    binary is. Its name must say text too, so a real plotter file keeps its own type; and only a
    type edrm would refuse is looked at again (an e-mail stays an e-mail)."""
    if mime.startswith("text/") or extension not in TEXT_EXTENSIONS:
        return mime, description
    with path.open("rb") as stream:
        sample = stream.read(_SAMPLE_BYTES)
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as cut:  # a character split by the end of the sample is fine
        if cut.start < len(sample) - 3:
            return mime, description
        text = sample[: cut.start].decode("utf-8")
    if not text.strip() or any((c < " " and c not in "\t\n\r\f") or c == "\x7f" for c in text):
        return mime, description
    return "text/plain", f"text (libmagic took it for {_describe(description)})"


# libmagic's descriptions whose first part always comes with one type: for them the type is not
# asked for again (a second libmagic call was a tenth of the time of a small text file). libmagic
# says "ASCII text", "ISO-8859 text" and "Unicode text, UTF-8 text" only when no magic entry
# matched and its text test named the file: that test's type is text/plain.
_DESCRIBED_TYPES = {
    "PDF document": "application/pdf",
    "HTML document": "text/html",
    "CSV text": "text/csv",
    "ASCII text": "text/plain",
    "ISO-8859 text": "text/plain",
    "UTF-8 Unicode text": "text/plain",
    "UTF-8 Unicode (with BOM) text": "text/plain",
}
_UTF8_TEXT = ("UTF-8 text", "UTF-8 (with BOM) text")


def _type_described(description: str) -> str | None:
    """The type that libmagic's `description` always goes with, or None (ask libmagic)."""
    parts = description.split(", ")
    if parts[0] == "Unicode text":
        return "text/plain" if len(parts) > 1 and parts[1] in _UTF8_TEXT else None
    return _DESCRIBED_TYPES.get(parts[0])


def _accepted(mime: str, extension: str, allowed: frozenset[str]) -> bool:
    if mime in allowed:
        return True
    # Text libmagic takes for a script or source code ("text/x-c" for notes that mention
    # "#include") is still text; it is only ever read, never run.
    return mime.startswith("text/") and "text/plain" in allowed and extension in TEXT_EXTENSIONS


def sniff(path: Path, original_name: str, config: IngestConfig) -> Sniffed:
    """What the file at `path` (uploaded as `original_name`) is, or RejectedInputError."""
    size = path.stat().st_size
    if size == 0:
        raise RejectedInputError("empty", "the file is empty (0 bytes)")
    limit = config.limits.max_file_bytes
    if size > limit:
        raise RejectedInputError(
            "too_large", f"the file is {_size(size)}, more than the limit of {_size(limit)}"
        )
    try:
        description = magic.from_file(str(path))
        mime = _type_described(description) or magic.from_file(str(path), mime=True)
    except magic.MagicException as exc:
        raise RejectedInputError(
            "not_allowed", f"the file's type could not be determined ({exc})"
        ) from None
    mime, description = _text_with_stray_bytes(path, mime, description)
    if mime == "application/encrypted" or description.startswith("CDFV2 Encrypted"):
        raise RejectedInputError("encrypted", "the Office document is password-protected")
    extension = file_extension(original_name)
    if not _accepted(mime, extension, config.allowed_formats):
        mime, description = _text_taken_for_a_format(path, mime, description, extension)
    if not _accepted(mime, extension, config.allowed_formats):
        raise RejectedInputError(
            "not_allowed", f"the file is {_describe(description)}, which edrm does not accept"
        )
    expected = MIME_EXTENSIONS.get(mime, TEXT_EXTENSIONS if mime.startswith("text/") else ())
    return Sniffed(
        mime=mime,
        description=description,
        extension=extension,
        expected_extensions=expected,
        extension_mismatch=bool(extension) and extension not in expected,
    )
