"""Making file names safe to keep, show and offer for download, without losing the file."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 200
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
# Lone surrogates: how Python holds the bytes of a name that is not valid UTF-8 ("surrogate
# escapes", U+DC80-U+DCFF for the bytes 0x80-0xFF), or half a UTF-16 pair from a JSON escape.
# No database, JSON document or terminal takes them as text.
_SURROGATE = re.compile("[\ud800-\udfff]")
_RESERVED = (
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


def storable(text: str) -> str:
    r"""`text` as valid Unicode, every byte that was not UTF-8 shown as `\xNN` (and any other
    lone surrogate as `\uNNNN`): it can be stored, shown and printed, and still says which bytes
    the name had. The name b'bad\xff.txt' read from a disk becomes the text `bad\xff.txt`."""
    return _SURROGATE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point - 0xDC00:02x}" if 0xDC80 <= point <= 0xDCFF else f"\\u{point:04x}"


def safe_filename(name: str, fallback: str = "document") -> str:
    """A file name with no path, control or reserved characters, at most 200 characters,
    keeping the extension. Never empty. Bytes that are not UTF-8 become U+FFFD."""
    name = unicodedata.normalize("NFC", _SURROGATE.sub("\ufffd", name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).strip(" .")
    if not name or set(name) <= {"_", "."}:
        name = fallback
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    # Windows reserves these names before any extension ("con.tar.gz") and ignores trailing
    # spaces ("CON .txt").
    if stem.split(".", 1)[0].rstrip(" ").lower() in _RESERVED:
        stem = f"_{stem}"
    ext = ext[:20]
    room = MAX_LENGTH - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .") or fallback
    return f"{stem}.{ext}" if ext else stem


def title_from_filename(name: str) -> str:
    """A readable title from a file name: no extension, separators as spaces."""
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    words = re.sub(r"[_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else "Untitled document"
