"""Images (PNG, JPEG, TIFF with every frame, BMP, GIF's first frame): each page is turned upright
from its EXIF orientation and saved as a PNG in the work dir for OCR.

A frame of a multi-page TIFF that cannot be decoded is skipped with a warning; a single image
that cannot be decoded (a truncated JPEG, say) is rejected. Truncated images are never
"completed" with grey: ImageFile.LOAD_TRUNCATED_IMAGES is left alone.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import cast

from PIL import Image, ImageChops, ImageOps

from edrm.ingest.formats.limits import check_pixels, pillow_guard
from edrm.ingest.types import Extraction, IngestConfig, RejectedInputError

PREVIEW_WIDTH = 600
PREVIEW_MAX_HEIGHT = 1800
_MULTI_PAGE = {"TIFF", "MPO"}  # formats whose frames are pages (a GIF's are an animation)
_FATAL = (
    RejectedInputError,
    MemoryError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
)


def page_png(path: Path, number: int) -> Path:
    return path / f"page-{number:04d}.png"


def save_for_ocr(image: Image.Image, target: Path) -> Path:
    # A work file read back once: fast compression beats small size.
    image.save(target, "PNG", compress_level=1)
    return target


def preview_png(image: Image.Image) -> bytes:
    """A small PNG of a page for the UI: at most 600 pixels wide."""
    small = image.copy()
    small.thumbnail((PREVIEW_WIDTH, PREVIEW_MAX_HEIGHT))
    if small.mode not in ("1", "L", "RGB"):
        small = small.convert("RGB")
    if small.mode == "RGB" and _grey(small):
        small = small.convert("L")  # the same pixels, a third of the bytes to compress
    out = io.BytesIO()
    small.save(out, "PNG", compress_level=3)  # no optimize pass: it tries every filter (slow)
    return out.getvalue()


def _grey(image: Image.Image) -> bool:
    """Whether every pixel of an RGB image is a shade of grey (a page of black text)."""
    red, green, blue = image.split()
    return (
        ImageChops.difference(red, green).getbbox() is None
        and ImageChops.difference(green, blue).getbbox() is None
    )


def for_ocr(image: Image.Image) -> Image.Image:
    """The decoded frame, upright, as 1-bit, greyscale or RGB on a white background."""
    image.load()
    upright = ImageOps.exif_transpose(image)
    mode = upright.mode
    if mode in ("1", "L", "RGB"):
        return upright
    if mode.startswith("I") or mode == "F":
        # 16-bit scans (and the odd 32-bit one) brought down to 8 bits
        wide = upright.convert("F")
        # "F" is a single band: getextrema() is its (min, max)
        _low, high = cast("tuple[float, float]", wide.getextrema())
        divisor = 1.0 if high <= 255 else 257.0 if high <= 65535 else float(high) / 255
        return wide.point(lambda value: value / divisor).convert("L")
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        background = Image.new("RGBA", rgba.size, "white")
        return Image.alpha_composite(background, rgba).convert("RGB")
    return upright.convert("RGB")


def _exif_properties(image: Image.Image) -> dict[str, str]:
    properties: dict[str, str] = {}
    try:
        exif = image.getexif()
        taken = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
        if isinstance(taken, str):
            properties["created"] = datetime.strptime(
                taken.strip("\x00 "), "%Y:%m:%d %H:%M:%S"
            ).isoformat()
        artist = exif.get(0x013B)
        if isinstance(artist, str) and artist.strip("\x00 "):
            properties["author"] = artist.strip("\x00 ")
    except Exception:  # odd EXIF never stops the image being read
        return properties
    return properties


def extract_image(path: Path, config: IngestConfig, workdir: Path) -> Extraction:
    limits = config.limits
    warnings: list[str] = []
    ocr_images: dict[int, Path] = {}
    preview: bytes | None = None
    with pillow_guard(limits), Image.open(path) as image:
        check_pixels(image.size, limits)
        frames = getattr(image, "n_frames", 1) if image.format in _MULTI_PAGE else 1
        if frames > limits.max_pages:
            raise RejectedInputError(
                "too_many_pages",
                f"the image has {frames:,} pages; the limit is {limits.max_pages:,}",
            )
        properties = _exif_properties(image)
        for index in range(frames):
            number = index + 1
            try:
                if index:
                    image.seek(index)
                check_pixels(image.size, limits, f"page {number} of the image")
                page = for_ocr(image)
            except _FATAL:
                raise
            except Exception as exc:
                if frames == 1:
                    raise RejectedInputError(
                        "corrupt", f"the image could not be read: {exc}"
                    ) from None
                warnings.append(f"page {number} could not be read")
                continue
            ocr_images[number] = save_for_ocr(page, page_png(workdir, number))
            if preview is None:
                preview = preview_png(page)
    if not ocr_images:
        raise RejectedInputError(
            "corrupt", f"none of the {frames} pages of the image could be read"
        )
    return Extraction(
        pages=[],
        ocr_images=ocr_images,
        properties=properties,
        attachments=[],
        page_count=frames,
        preview_png=preview,
        warnings=warnings,
    )
