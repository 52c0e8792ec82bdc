"""OCR with real Tesseract on pages rendered here and degraded like scans; and the quality measures.

Every image is generated at test time: a letter rendered with a TrueType font onto a white A4 page
at 200 dpi, then turned slightly, blurred, speckled, JPEG-compressed, or turned over.
"""

from __future__ import annotations

import contextlib
import io
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from edrm.ingest.ocr import OcrEngine
from edrm.ingest.quality import cer, edit_distance, normalise, word_f1
from edrm.ingest.types import OcrResult, OcrSettings, RejectedInputError
from tests.ingest.ocr_pages import font_path

DPI = 200
LETTER = """Dear Mrs Thompson,
Thank you for your letter of 14 February about the new bus shelter
outside the library on Station Road. Our highways team visited the site
last week and agreed that the footway is too narrow at that point.
We will move the shelter three metres towards the car park in May,
and we will write to nearby residents before the work starts.
If you have any questions, please call 01632 960 417 and quote
reference HW/2025/0093.
Yours sincerely,
Alan Whitfield, Highways Officer"""


# --- page generation ------------------------------------------------------------------------------


def _font_path() -> str:
    try:
        return font_path()
    except FileNotFoundError as missing:
        pytest.skip(str(missing))


def render(text: str, size: tuple[int, int] = (1654, 2339), points: int = 11) -> Image.Image:
    """Black text on a white page (A4 at 200 dpi by default)."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(_font_path(), round(points * DPI / 72))
    line_height = round(points * DPI / 72 * 1.5)
    y = DPI
    for line in text.splitlines():
        draw.text((round(DPI * 0.9), y), line, font=font, fill=0)
        y += line_height
    return page


def turn(page: Image.Image, degrees: float) -> Image.Image:
    return page.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255)


def blur(page: Image.Image) -> Image.Image:
    return page.filter(ImageFilter.GaussianBlur(0.8))


def noise(page: Image.Image, seed: int = 1) -> Image.Image:
    """Gaussian noise plus salt and pepper."""
    rng = np.random.default_rng(seed)
    pixels = np.asarray(page, dtype=np.float32) + rng.normal(0, 12, (page.height, page.width))
    speckle = rng.random(pixels.shape)
    pixels[speckle < 0.002] = 0
    pixels[speckle > 0.998] = 255
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def jpeg(page: Image.Image, quality: int = 35) -> Image.Image:
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def scan(page: Image.Image) -> Image.Image:
    """Everything at once, as a cheap scanner would do it."""
    return jpeg(noise(blur(turn(page, 2.0))))


# name -> (make the degraded page from the clean one, rotation the engine should report)
DEGRADED: dict[str, tuple[Callable[[Image.Image], Image.Image], int | None]] = {
    "turned 2.5 degrees": (lambda p: turn(p, 2.5), 0),
    "turned -1.5 degrees": (lambda p: turn(p, -1.5), 0),
    "blurred": (blur, 0),
    "noisy": (noise, 0),
    "jpeg 35": (jpeg, 0),
    "scanned (all of the above)": (scan, 0),
    "scanned upside down": (lambda p: scan(p).rotate(180), 180),
    # turned a quarter anticlockwise, so it has to be turned 90 degrees clockwise
    "scanned sideways": (lambda p: scan(p).transpose(Image.Transpose.ROTATE_90), 90),
}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Iterator[OcrEngine]:
    with OcrEngine(OcrSettings(processes=2)) as ocr:
        yield ocr


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ocr-pages")
    clean = render(LETTER)
    paths = {}
    for n, (name, (degrade, _)) in enumerate(DEGRADED.items()):
        path = folder / f"page-{n}.png"
        degrade(clean).save(path, dpi=(DPI, DPI))
        paths[name] = path
    # a phone photo stored on its side, with EXIF orientation 6 ("turn 90 degrees clockwise")
    exif = Image.Exif()
    exif[0x0112] = 6
    sideways = jpeg(blur(clean), 80).transpose(Image.Transpose.ROTATE_90)
    paths["exif orientation"] = folder / "exif.jpg"
    sideways.save(paths["exif orientation"], "JPEG", quality=85, exif=exif, dpi=(DPI, DPI))
    return paths


@pytest.fixture(scope="module")
def results(engine: OcrEngine, pages: dict[str, Path]) -> dict[str, OcrResult]:
    """All degraded pages in one call, as the pipeline does it."""
    names = list(pages)
    return dict(zip(names, engine.recognise([pages[n] for n in names]), strict=True))


def tesseract_processes() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "tesseract" in child.name():
                found.append(child)
        except psutil.Error:
            pass
    return found


# --- recognition ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*DEGRADED, "exif orientation"])
def test_degraded_page_is_read_with_at_most_2_percent_character_errors(
    results: dict[str, OcrResult], name: str
) -> None:
    result = results[name]
    assert cer(LETTER, result.text) <= 0.02, result.text
    assert 0 <= result.confidence <= 100
    assert result.confidence > 80


@pytest.mark.parametrize("name", [n for n, (_, rotation) in DEGRADED.items() if rotation])
def test_turned_over_page_is_detected_and_turned_back(
    results: dict[str, OcrResult], name: str
) -> None:
    assert results[name].rotation == DEGRADED[name][1]


def test_exif_orientation_is_applied_before_anything_else(results: dict[str, OcrResult]) -> None:
    assert results["exif orientation"].rotation == 0


def test_skew_is_measured_and_corrected(results: dict[str, OcrResult]) -> None:
    assert results["turned 2.5 degrees"].deskew_angle == pytest.approx(2.5, abs=0.3)
    assert results["turned -1.5 degrees"].deskew_angle == pytest.approx(-1.5, abs=0.3)
    assert results["blurred"].deskew_angle == 0.0  # straight pages are left alone


def test_blank_page_gives_no_text_and_confidence_minus_one(
    engine: OcrEngine, tmp_path: Path
) -> None:
    white = tmp_path / "white.png"
    Image.new("L", (1654, 2339), 255).save(white)
    rgba = tmp_path / "transparent.png"
    Image.new("RGBA", (800, 600), (0, 0, 0, 0)).save(rgba)  # transparent is white, not black
    for result in engine.recognise([white, rgba]):
        assert result == OcrResult(text="", confidence=-1.0)


def test_pages_come_back_in_input_order_from_one_tesseract_per_process_slot(
    tmp_path: Path,
) -> None:
    words = ["Aberdeen", "Bristol", "Cardiff", "Dundee", "Exeter", "Falmouth"]
    paths = []
    for n, word in enumerate(words):
        path = tmp_path / f"{n}.png"
        render(f"Page {n + 1}: {word}", size=(900, 500)).save(path, dpi=(DPI, DPI))
        paths.append(path)
    seen: list[psutil.Process] = []
    environments: list[dict[str, str]] = []
    most = 0
    done = threading.Event()

    def watch() -> None:
        nonlocal most
        while not done.is_set():
            running = tesseract_processes()
            most = max(most, len(running))
            for process in running:
                if process not in seen:
                    seen.append(process)
                    with contextlib.suppress(psutil.Error):
                        if "--list-langs" not in process.cmdline():  # the language check
                            environments.append(process.environ())
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with OcrEngine(OcrSettings(processes=2)) as engine:
            results = engine.recognise(list(reversed(paths)))
    finally:
        done.set()
        watcher.join()
    for word, result in zip(reversed(words), results, strict=True):
        assert word in result.text
    assert 1 <= most <= 2
    assert environments, "no Tesseract process was seen running"
    assert all(env.get("OMP_THREAD_LIMIT") == "1" for env in environments)


def test_processes_default_to_one_per_core() -> None:
    with OcrEngine(OcrSettings(processes=0)) as engine:
        assert engine.processes == (psutil.cpu_count() or 1)


# --- bad input, timeouts ----------------------------------------------------------------------


def test_corrupt_images_are_rejected_without_crashing(engine: OcrEngine, tmp_path: Path) -> None:
    random_bytes = tmp_path / "random.png"
    random_bytes.write_bytes(random.Random(3).randbytes(5000))
    truncated = tmp_path / "truncated.png"
    buffer = io.BytesIO()
    noise(render(LETTER, size=(800, 1000))).save(buffer, "PNG")
    truncated.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    good = tmp_path / "good.png"
    render("A good page", size=(900, 400)).save(good)

    for bad in (random_bytes, truncated, empty):
        with pytest.raises(RejectedInputError) as caught:
            engine.recognise([good, bad])
        assert caught.value.reason == "corrupt"
        assert "page image 2 of 2" in str(caught.value)
        assert str(tmp_path) not in str(caught.value)
    assert "good page" in engine.recognise([good])[0].text  # and the engine still works


def test_image_with_too_many_pixels_is_rejected_as_a_bomb(
    engine: OcrEngine, pages: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # Pillow refuses twice this
    with pytest.raises(RejectedInputError) as caught:
        engine.recognise([pages["blurred"]])
    assert caught.value.reason == "bomb"


def test_timeout_rejects_and_leaves_no_tesseract_running(
    engine: OcrEngine, pages: dict[str, Path]
) -> None:
    slow = [pages["scanned (all of the above)"]] * 4
    started = time.monotonic()
    with pytest.raises(RejectedInputError) as caught:
        engine.recognise(slow, timeout=0.3)
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 3
    assert tesseract_processes() == []
    assert engine.recognise(slow[:1], timeout=60)[0].text  # still works afterwards


def test_closed_engine_refuses_work(pages: dict[str, Path]) -> None:
    engine = OcrEngine(OcrSettings(processes=1))
    engine.close()
    engine.close()  # twice is fine
    with pytest.raises(RuntimeError):
        engine.recognise([pages["blurred"]])


# --- quality measures -------------------------------------------------------------------------


def test_edit_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("flaw", "lawn") == 2
    assert edit_distance("", "abc") == edit_distance("abc", "") == 3
    assert edit_distance("same", "same") == 0
    rng = random.Random(5)
    for _ in range(30):  # against the textbook quadratic version
        a = "".join(rng.choices("abcé ", k=rng.randint(0, 12)))
        b = "".join(rng.choices("abcé ", k=rng.randint(0, 12)))
        row = list(range(len(b) + 1))
        for i, ca in enumerate(a, 1):
            prev, row[0] = row[0], i
            for j, cb in enumerate(b, 1):
                prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        assert edit_distance(a, b) == row[-1]


def test_cer_normalises_whitespace_and_counts_case_and_punctuation() -> None:
    assert normalise("  a\tb \n\n c ") == "a b c"
    assert cer("Dear  Sir,\nthank you", "Dear Sir, thank you\n") == 0.0
    assert cer("kitten", "sitting") == pytest.approx(3 / 6)
    assert cer("Council", "council") == pytest.approx(1 / 7)
    assert cer("", "") == 0.0
    assert cer("", "x") == 1.0
    assert cer("abc", "") == 1.0


def test_word_f1_ignores_order_case_and_punctuation() -> None:
    assert word_f1("the quick brown fox", "fox brown quick the") == 1.0
    assert word_f1("Dear Sir,", "dear sir") == 1.0
    assert word_f1("a b c d", "a b x y") == pytest.approx(0.5)
    assert word_f1("a b c d", "a b") == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert word_f1("the the cat", "the cat") == pytest.approx(0.8)  # a multiset
    assert word_f1("", "") == 1.0
    assert word_f1("words", "") == 0.0
