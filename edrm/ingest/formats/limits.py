"""Guards against files built to exhaust memory or time: zip bombs and decompression bombs.

Zip containers (DOCX, XLSX, ODT, ODS) are checked from their central directory *before* any
library opens them. The sizes checked are the declared ones; Python's zipfile never returns more
than a member's declared size (a member that inflates past it fails its CRC check), so the
declared sizes do bound what the office libraries can read.

Images are opened with Pillow's decompression-bomb guard set from the pixel limit, its warning
turned into an error, and every frame's size checked again before it is decoded.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from edrm.ingest.types import IngestLimits, RejectedInputError

MAX_ZIP_MEMBERS = 10_000
# Small members compress very well legitimately (repetitive XML): the ratio is only held
# against members that expand to more than this.
RATIO_FLOOR_BYTES = 1024 * 1024
MB = 1024 * 1024


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB" if size >= 10 * MB else f"{size / MB:,.1f} MB"


def check_zip(path: Path, limits: IngestLimits, label: str) -> list[str]:
    """Check a zip container against the limits; return its member names.

    `label` names the format in messages, e.g. "the Word document".
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise RejectedInputError(
            "corrupt", f"{label} could not be read: it is not a valid zip container ({exc})"
        ) from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise RejectedInputError(
            "bomb", f"{label} holds {len(members):,} parts; the limit is {MAX_ZIP_MEMBERS:,}"
        )
    total = 0
    for member in members:
        if member.flag_bits & 0x1:
            raise RejectedInputError("encrypted", f"{label} is password-protected")
        total += member.file_size
        if total > limits.max_expanded_bytes:
            raise RejectedInputError(
                "bomb",
                f"{label} expands to more than {_mb(limits.max_expanded_bytes)}, "
                "the limit for the contents of a document",
            )
        if member.file_size > RATIO_FLOOR_BYTES:
            ratio = member.file_size / max(member.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise RejectedInputError(
                    "bomb",
                    f"{label} has a part that expands {ratio:,.0f} times "
                    f"(to {_mb(member.file_size)}); the limit is "
                    f"{limits.max_compression_ratio} times",
                )
    return [member.filename for member in members]


def check_pixels(size: tuple[int, int], limits: IngestLimits, what: str = "the image") -> None:
    width, height = size
    if width * height > limits.max_image_pixels:
        raise RejectedInputError(
            "bomb",
            f"{what} is {width:,} × {height:,} pixels, more than the limit of "
            f"{limits.max_image_pixels:,} pixels",
        )


@contextmanager
def pillow_guard(limits: IngestLimits) -> Iterator[None]:
    """Pillow's decompression-bomb guard at the configured limit, its warning made an error.

    Inside the block a DecompressionBombWarning or DecompressionBombError becomes
    RejectedInputError("bomb").
    """
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        raise RejectedInputError(
            "bomb",
            f"the image has {size}, more than the limit of {limits.max_image_pixels:,} pixels",
        ) from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous  # the guard is global: leave it as it was
