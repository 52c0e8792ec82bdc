"""The plain types that cross the ingest pipeline's steps, and its configuration.

Steps are small modules that take and return these; none of them touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from edrm.configfile import ConfigModel, load_toml
from edrm.errors import EdrmError, InvalidInputError

# --- errors -----------------------------------------------------------------------------------

RejectReason = Literal[
    "empty",  # no bytes
    "too_large",  # over max_file_mb
    "not_allowed",  # a format not on the allowlist (executables, random bytes, ...)
    "encrypted",  # password-protected PDF or office file
    "corrupt",  # truncated or broken beyond what the library repairs
    "bomb",  # decompression bomb: too many pixels, too much expanded data, ratio too high
    "too_many_pages",  # over max_pages
    "timeout",  # extraction/OCR took longer than max_seconds_per_file
    "no_owner",  # a drop-folder file that no configured folder or mapped owner vouches for
]


class RejectedInputError(EdrmError):
    """A file the pipeline will not file; `reason` is a code, the message says why in words.

    The message never includes the file name (the caller adds it), e.g.
    RejectedInputError("encrypted", "the PDF is password-protected").
    """

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason: RejectReason = reason


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestLimits:
    max_file_bytes: int = 200 * 1024 * 1024
    max_pages: int = 500
    max_image_pixels: int = 90_000_000
    max_expanded_bytes: int = 500 * 1024 * 1024
    max_compression_ratio: int = 200
    max_seconds_per_file: int = 300
    max_text_chars: int = 5_000_000


@dataclass(frozen=True)
class OcrSettings:
    language: str = "eng"
    dpi: int = 300
    min_text_layer_chars: int = 50
    processes: int = 0  # 0 = one per core


@dataclass(frozen=True)
class DropFolderEntry:
    """A sub-folder of the inbox whose files are filed as `user` (into `into`, if given)."""

    path: tuple[str, ...]  # the sub-folder's parts below the inbox, e.g. ("finance", "invoices")
    user: str
    into: str | None = None

    @property
    def name(self) -> str:
        return "/".join(self.path)


@dataclass(frozen=True)
class DropFolderConfig:
    """Who a dropped file is filed as: a configured folder, or its owner's uid mapped to an
    account. Nothing else vouches for anyone (such files are quarantined)."""

    folders: tuple[DropFolderEntry, ...] = ()
    owners: Mapping[int, str] = field(default_factory=dict)  # uid -> user name


@dataclass(frozen=True)
class IngestConfig:
    limits: IngestLimits = field(default_factory=IngestLimits)
    ocr: OcrSettings = field(default_factory=OcrSettings)
    allowed_formats: frozenset[str] = frozenset()
    default_threshold: float = 0.8
    dropfolder: DropFolderConfig = field(default_factory=DropFolderConfig)
    min_confidence: float = 0.05  # a suggestion below this is neither kept nor offered


_MB = 1024 * 1024
_Count = Annotated[int, Field(ge=0)]


class _LimitsTable(ConfigModel):
    max_file_mb: _Count = IngestLimits.max_file_bytes // _MB
    max_pages: _Count = IngestLimits.max_pages
    max_image_pixels: _Count = IngestLimits.max_image_pixels
    max_expanded_mb: _Count = IngestLimits.max_expanded_bytes // _MB
    max_compression_ratio: _Count = IngestLimits.max_compression_ratio
    max_seconds_per_file: _Count = IngestLimits.max_seconds_per_file
    max_text_chars: _Count = IngestLimits.max_text_chars


class _OcrTable(ConfigModel):
    language: str = OcrSettings.language
    dpi: _Count = OcrSettings.dpi
    min_text_layer_chars: _Count = OcrSettings.min_text_layer_chars
    processes: _Count = OcrSettings.processes


class _ClassifyTable(ConfigModel):
    default_threshold: float = Field(default=IngestConfig.default_threshold, gt=0.0, le=1.0)
    min_confidence: float = Field(default=IngestConfig.min_confidence, ge=0.0, lt=1.0)


class _FormatsTable(ConfigModel):
    allowed: list[str]

    @field_validator("allowed")
    @classmethod
    def _media_types(cls, value: list[str]) -> list[str]:
        if not value or not all("/" in f for f in value):
            raise ValueError("must list media types like 'text/plain'")
        return value


_UNSAFE_FOLDERS = {"", ".", "..", "done", "failed"}


class _DropFolderTable(ConfigModel):
    path: str
    user: str
    into: str | None = None

    @field_validator("path")
    @classmethod
    def _sub_folder(cls, value: str) -> str:
        parts = value.strip("/").split("/")
        if "\\" in value or value.startswith("/") or parts[0] in _UNSAFE_FOLDERS:
            raise ValueError("must name a sub-folder of the inbox, like 'finance' or 'hr/cases'")
        if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            raise ValueError("must name a sub-folder of the inbox, like 'finance' or 'hr/cases'")
        return "/".join(parts)

    @field_validator("user")
    @classmethod
    def _user_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name an edrm user")
        return value.strip().lower()


class _IngestFile(ConfigModel):
    """config/ingest.toml."""

    entry_names = {"dropfolder": "path"}

    limits: _LimitsTable = _LimitsTable()
    ocr: _OcrTable = _OcrTable()
    classify: _ClassifyTable = _ClassifyTable()
    formats: _FormatsTable
    dropfolder: list[_DropFolderTable] = []
    dropfolder_owners: dict[str, str] = {}

    @field_validator("dropfolder")
    @classmethod
    def _distinct_paths(cls, value: list[_DropFolderTable]) -> list[_DropFolderTable]:
        seen: set[str] = set()
        for entry in value:
            if entry.path in seen:
                raise ValueError(f"the folder {entry.path!r} is listed twice")
            seen.add(entry.path)
        return value

    @field_validator("dropfolder_owners")
    @classmethod
    def _uids(cls, value: dict[str, str]) -> dict[str, str]:
        for uid, user in value.items():
            if not uid.isdigit():
                raise ValueError(f"keys must be Unix uids (whole numbers), not {uid!r}")
            if not user.strip():
                raise ValueError(f"uid {uid} must name an edrm user")
        return value


def load_ingest_config(path: Path) -> IngestConfig:
    """Read config/ingest.toml; any unknown key or bad value is an error naming it."""
    try:
        file = load_toml(path, _IngestFile)
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: the ingest settings file is missing") from None
    limits = file.limits
    return IngestConfig(
        IngestLimits(
            max_file_bytes=limits.max_file_mb * _MB,
            max_pages=limits.max_pages,
            max_image_pixels=limits.max_image_pixels,
            max_expanded_bytes=limits.max_expanded_mb * _MB,
            max_compression_ratio=limits.max_compression_ratio,
            max_seconds_per_file=limits.max_seconds_per_file,
            max_text_chars=limits.max_text_chars,
        ),
        OcrSettings(**file.ocr.model_dump()),
        frozenset(file.formats.allowed),
        file.classify.default_threshold,
        DropFolderConfig(
            tuple(
                DropFolderEntry(tuple(e.path.split("/")), e.user, e.into or None)
                for e in file.dropfolder
            ),
            {int(uid): user.strip().lower() for uid, user in file.dropfolder_owners.items()},
        ),
        file.classify.min_confidence,
    )


# --- step results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sniffed:
    """What the bytes really are."""

    mime: str  # as libmagic reports it, e.g. "application/pdf"
    description: str  # libmagic's words, e.g. "PDF document, version 1.7"
    extension: str  # the file name's extension, lower case, without the dot ("" if none)
    expected_extensions: tuple[str, ...]  # extensions that fit the type, e.g. ("pdf",)
    extension_mismatch: bool  # the name's extension does not fit the real type


@dataclass
class ExtractedPage:
    number: int  # 1-based
    text: str
    source: Literal["text", "ocr", "none"]  # from the file itself, from OCR, or nothing found
    ocr_confidence: float | None = None  # Tesseract's mean word confidence, 0-100


@dataclass
class Attachment:
    """A file inside another (an email's attachment); ingested as a linked child document."""

    filename: str
    data: bytes


@dataclass
class Extraction:
    """Everything extract() found in one file."""

    pages: list[ExtractedPage]  # pages with text from the file itself (OCR fills in the rest)
    ocr_images: dict[int, Path]  # page number -> page image (PNG in the work dir) to OCR
    properties: dict[str, str]  # title, author, created, subject, sender, to, sent (ISO)...
    attachments: list[Attachment]
    page_count: int
    preview_png: bytes | None  # a small image of the first page, for the UI
    warnings: list[str] = field(default_factory=list)  # e.g. "page 3 of the TIFF is corrupt"


@dataclass(frozen=True)
class OcrWord:
    """A word Tesseract read and where: pixels of the page turned upright (`OcrResult.size`)."""

    text: str
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class OcrResult:
    text: str
    confidence: float  # mean word confidence 0-100 (-1 when no words were found)
    rotation: int = 0  # degrees the page was turned before recognition
    deskew_angle: float = 0.0  # degrees of skew corrected (0 when deskewing did not help)
    # the words with their boxes from the same Tesseract run (the rendition's text layer), in
    # the page turned by `rotation` (not deskewed), `size` pixels (width, height) at `dpi`
    words: tuple[OcrWord, ...] = ()
    size: tuple[int, int] = (0, 0)
    dpi: int = 0


@dataclass(frozen=True)
class DocumentMetadata:
    title: str
    document_date: date | None
    author: str
    references: list[str]
    language: str  # ISO 639-1, e.g. "en"
    page_count: int
    marking_found: str | None  # highest protective marking printed in the text, if any
    pii: dict[str, int]  # {"ni_number": 2, "email": 1, "uk_phone": 0, "postcode": 3}


@dataclass(frozen=True)
class Suggestion:
    class_code: str
    confidence: float  # calibrated, 0-1
    reason: str  # e.g. "rule: keyword 'invoice'; model: terms invoice, vat, supplier"


@dataclass(frozen=True)
class MadeRendition:
    """A rendition made while the file was read, its bytes already in the blob store."""

    kind: str  # "pdfa" (a scan's searchable PDF/A-2b) or "pdf" (an office file's)
    sha256: str
    size: int
    mime: str = "application/pdf"


@dataclass
class Reading:
    """Everything learned from one job's file before anything is written (the file step's input)."""

    sniffed: Sniffed
    extraction: Extraction
    pages: list[ExtractedPage]
    text: str
    metadata: DocumentMetadata
    suggestions: list[Suggestion]
    preview_sha256: str | None
    attachments: list[tuple[str, str, int]]  # (name, sha256, size) already in the blob store
    # the suggestions among the classes the submitter may file into, with only those classes'
    # rules weighed: what decides whether it is filed automatically (None: the same as above)
    filer_suggestions: list[Suggestion] | None = None
    renditions: list[MadeRendition] = field(default_factory=list)
    rendition_note: str | None = None  # why a rendition it should have was not made
