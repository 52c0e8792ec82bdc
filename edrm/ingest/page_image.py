"""A page image before Tesseract reads it: decoded upright and greyscale, and analysed on a
small copy (blank or not, the slope of its text lines, whether it lies on its side), and the
straightened copy written for Tesseract. Pure image work (Pillow and numpy); the decisions of
what to read, and how, are `edrm.ingest.ocr`'s."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image

from edrm.ingest.types import OcrWord, RejectedInputError

# Deskew only text lines sloping by more than this (degrees) ...
MIN_SKEW_DEGREES: Final = 0.3
# ... and only when straightening them sharpens the projection profile by at least this factor;
MIN_SKEW_GAIN: Final = 1.01
# ... in the first reading only when it sharpens it by this much (a page turned by half a degree
# gives 1.2, two degrees 2) ...
STRONG_SKEW_GAIN: Final = 1.2
# ... or the slope is at most this: real scans often lean by less than a degree with little gain
# (the UNLV scan: 0.4 degrees, 1.02), where the lines of staggered columns that line up at a
# slant give 0.85-1.85 degrees (1.07-1.14). Larger slopes with weak evidence are only tried when
# the first reading is not confident.
SMALL_SKEW_DEGREES: Final = 0.6
# Skew is searched within +/- this many degrees.
MAX_SKEW_DEGREES: Final = 5.0
# A page is sideways when the profile across it is this many times sharper than along it.
SIDEWAYS_RATIO: Final = 2.0
# Long side of the copy used for the analysis, in pixels (about 100 dpi for A4).
ANALYSIS_SIZE: Final = 1100
# Points sampled for the projection profiles (more only costs time).
MAX_PROFILE_POINTS: Final = 60_000
# A page whose darkest and lightest pixels differ by less than this has nothing on it.
MIN_CONTRAST: Final = 32

EXIF_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
EXIF_ORIENTATION: Final = 0x0112


@dataclass(frozen=True)
class Analysis:
    blank: bool = False
    skew: float = 0.0  # slope of the text lines, degrees, in image coordinates (y down)
    gain: float = 1.0  # profile sharpness at `skew` / at 0
    sideways: bool = False


def load_page(path: Path, default_dpi: int, what: str) -> tuple[Image.Image, int]:
    """The first frame as greyscale, upright as its EXIF says, and its resolution."""
    try:
        with Image.open(path) as source:
            source.load()
            dpi = resolution(source.info.get("dpi"), default_dpi)
            try:
                orientation = int(source.getexif().get(EXIF_ORIENTATION, 1))
            except Exception:  # a broken EXIF block does not make the picture unreadable
                orientation = 1
            grey = greyscale(source)
    except FileNotFoundError:
        raise
    except Image.DecompressionBombError:
        raise RejectedInputError("bomb", f"{what} has too many pixels") from None
    except Exception as exc:  # Pillow raises many kinds of error on broken files
        raise RejectedInputError(
            "corrupt", f"{what} cannot be read as an image ({type(exc).__name__})"
        ) from None
    if orientation in EXIF_TRANSPOSE:
        grey = grey.transpose(EXIF_TRANSPOSE[orientation])
    return grey, dpi


def resolution(value: object, default: int) -> int:
    try:
        dpi = round(float(value[0]))  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return default
    return dpi if 70 <= dpi <= 2400 else default


def greyscale(image: Image.Image) -> Image.Image:
    """Mode L; transparency becomes white, 16-bit and float images are scaled to 0-255."""
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = float(values.max()) if values.size else 0.0
        scale = 255.0 / top if top > 255 else 1.0
        return Image.fromarray(np.clip(values * scale, 0, 255).astype(np.uint8), "L")
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        white.alpha_composite(rgba)
        return white.convert("L")
    if image.mode in ("L", "1", "P", "RGB", "CMYK", "YCbCr"):
        return image.convert("L")
    return image.convert("RGB").convert("L")


def analysis_copy(image: Image.Image) -> Image.Image:
    factor = max(1, round(max(image.size) / ANALYSIS_SIZE))
    return image.reduce(factor) if factor > 1 else image


def otsu(pixels: np.ndarray) -> int:
    hist = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    p = hist / hist.sum()
    weight = np.cumsum(p)
    mean = np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean[-1] * weight - mean) ** 2 / (weight * (1.0 - weight))
    return int(np.nanargmax(between))


def profile_sharpness(along: np.ndarray, across: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """For each angle: how peaked the projection of the points onto lines at that slope is.

    1.0 for points spread evenly; text lines parallel to the projection give several times that.
    """
    scores = np.empty(len(angles))
    count = float(len(along))
    for i, angle in enumerate(np.deg2rad(angles)):
        position = np.rint(along * math.cos(angle) - across * math.sin(angle)).astype(np.int64)
        position -= position.min()
        bins = np.bincount(position).astype(np.float64)
        scores[i] = float((bins * bins).sum()) * len(bins) / (count * count)
    return scores


def analyse(small: Image.Image) -> Analysis:
    """Blank page? Skew of the text lines? Turned on its side?"""
    pixels = np.asarray(small)
    if pixels.size == 0 or int(pixels.max()) - int(pixels.min()) < MIN_CONTRAST:
        return Analysis(blank=True)
    ys, xs = np.nonzero(pixels <= otsu(pixels))
    if len(ys) < 50 or len(ys) > pixels.size // 2:  # hardly any ink, or a photograph / negative
        return Analysis()
    step = max(1, len(ys) // MAX_PROFILE_POINTS)
    y, x = ys[::step].astype(np.float64), xs[::step].astype(np.float64)

    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 1e-9, 0.25)
    scores = profile_sharpness(y, x, coarse)
    best = float(coarse[int(scores.argmax())])
    fine = np.arange(best - 0.2, best + 0.2 + 1e-9, 0.05)
    fine_scores = profile_sharpness(y, x, fine)
    skew = float(fine[int(fine_scores.argmax())])
    level = float(profile_sharpness(y, x, np.array([0.0]))[0])
    rows = float(fine_scores.max())
    columns = float(profile_sharpness(x, y, coarse[::2]).max())
    return Analysis(
        skew=round(skew, 2),
        gain=rows / level if level > 0 else 1.0,
        sideways=columns > SIDEWAYS_RATIO * rows,
    )


def shear(pixels: np.ndarray, angle: float) -> np.ndarray:
    """Straighten text lines sloping by `angle` degrees by shifting each column up or down.

    The canvas grows so that nothing is cut off; the new area is white.
    """
    height, width = pixels.shape
    shifts = np.rint((np.arange(width) - width / 2) * math.tan(math.radians(angle))).astype(int)
    pad = int(np.abs(shifts).max())
    out = np.full((height + 2 * pad, width), 255, dtype=np.uint8)
    edges = np.flatnonzero(np.diff(shifts)) + 1
    for start, end in zip(
        np.concatenate(([0], edges)), np.concatenate((edges, [width])), strict=True
    ):
        top = pad - int(shifts[start])
        out[top : top + height, start:end] = pixels[:, start:end]
    return out


def unshear_boxes(boxes: list[OcrWord], width: int, angle: float) -> list[OcrWord]:
    """Word boxes found on `shear(pixels, angle)` placed back on the page before the shear
    (each box moved by its centre column's shift)."""
    slope = math.tan(math.radians(angle))
    shifts = np.rint((np.arange(width) - width / 2) * slope).astype(int)
    pad = int(np.abs(shifts).max()) if width else 0
    placed = []
    for box in boxes:
        centre = min(max(box.left + box.width // 2, 0), width - 1)
        top = box.top - pad + int(shifts[centre])
        placed.append(OcrWord(box.text, box.left, top, box.width, box.height))
    return placed


def write_tiff(path: Path, pixels: np.ndarray, dpi: int) -> None:
    """Uncompressed greyscale TIFF: the cheapest format for Tesseract (Leptonica) to read.

    An A4 page at 300 dpi reads in about 0.01 s, against 0.18 s as PNG and 0.38 s as PGM.
    """
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), "L").save(
        path, format="TIFF", compression="raw", dpi=(dpi, dpi)
    )


def skew_for_first_reading(analysis: Analysis) -> float:
    """The slope to straighten before the first reading: clear evidence, or a small slope."""
    slope = abs(analysis.skew)
    if slope <= MIN_SKEW_DEGREES or analysis.gain < MIN_SKEW_GAIN:
        return 0.0
    if analysis.gain >= STRONG_SKEW_GAIN or slope <= SMALL_SKEW_DEGREES:
        return analysis.skew
    return 0.0
