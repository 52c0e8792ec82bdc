"""Rendering demo documents as degraded scans (skewed, blurred, noisy, JPEG-compressed), so the
demo shows OCR at work. Deterministic for a given seed."""

from __future__ import annotations

import io
import random
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DPI = 200
A4 = (int(8.27 * DPI), int(11.69 * DPI))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def render_pages(text: str, *, max_pages: int = 2) -> list[Image.Image]:
    """Clean greyscale A4 pages (200 dpi) with the text set in 11 pt."""
    font = _font(int(11 / 72 * DPI))
    margin = int(0.9 * DPI)
    line_height = int(font.size * 1.45) if hasattr(font, "size") else 30
    lines: list[str] = []
    for paragraph in text.splitlines():
        lines.extend(textwrap.wrap(paragraph, 78) or [""])
    per_page = (A4[1] - 2 * margin) // line_height
    pages = []
    for start in range(0, min(len(lines), per_page * max_pages), per_page):
        page = Image.new("L", A4, 255)
        draw = ImageDraw.Draw(page)
        for n, line in enumerate(lines[start : start + per_page]):
            draw.text((margin, margin + n * line_height), line, fill=0, font=font)
        pages.append(page)
    return pages or [Image.new("L", A4, 255)]


def degrade(page: Image.Image, rng: random.Random) -> Image.Image:
    """What a tired office scanner does: a slight skew, blur, speckle and JPEG artefacts."""
    skewed = page.rotate(rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, fillcolor=250)
    blurred = skewed.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
    noise = Image.effect_noise(blurred.size, rng.uniform(8, 16))
    speckled = Image.blend(blurred, noise, 0.08)
    buffer = io.BytesIO()
    speckled.save(buffer, "JPEG", quality=rng.randint(45, 70))
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def scan_as_pdf(text: str, seed: int) -> bytes:
    """The text as a scanned (image-only) PDF."""
    rng = random.Random(seed)
    pages = [degrade(p, rng) for p in render_pages(text)]
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
    return out.getvalue()


def scan_as_png(text: str, seed: int) -> bytes:
    """The first page of the text as a scanned PNG image."""
    rng = random.Random(seed)
    out = io.BytesIO()
    degrade(render_pages(text, max_pages=1)[0], rng).save(out, "PNG", optimize=True)
    return out.getvalue()
