"""OCR of page images: Tesseract, one process per core, pages in parallel.

    with OcrEngine(settings.ocr) as engine:
        results = engine.recognise([page1, page2], timeout=300)

Each page goes through, on a pool thread:

1. Pillow decodes it (first frame only), applies the EXIF orientation and makes it greyscale
   (transparent areas become white).
2. A cheap analysis on a ~100 dpi copy: a page without contrast is blank (no Tesseract run at
   all); the skew of the text lines comes from the variance of the projection profile over small
   angles; the same profile across the page tells a page turned on its side.
3. The first reading is the page as it is, with Tesseract's default page segmentation — what raw
   Tesseract reads — except that lines sloping by more than MIN_SKEW_DEGREES are straightened
   first, by a vertical shear (a tenth of the cost of a rotation, and nearly as good for
   Tesseract at a few degrees), when the profile gives clear evidence of the slope
   (STRONG_SKEW_GAIN), or when the slope is small (SMALL_SKEW_DEGREES: a shear that small cannot
   spoil a page). Raw Tesseract loses most of the text of some noisy scans that lean by 2 degrees
   or more; on the UNLV magazine scan in the shared OCR samples, 0.4 degrees of deskew halves the
   character error rate (the reading order improves).
4. One Tesseract run writes both the plain text (exactly what `tesseract img stdout` prints) and
   the TSV with per-word confidences, so a page costs one recognition, like raw Tesseract. The
   page is handed over as an uncompressed greyscale TIFF with --dpi: Leptonica reads that in a
   hundredth of a second, where a 300 dpi PNG costs it about as much as Pillow's decoding did.
5. A first reading with a mean word confidence of CONFIDENT or more is the answer, and nothing
   else runs (upright text reads at 80-97, upside-down text at about 35), unless its lines hold
   a word or two (TABLE_WORDS_PER_LINE): a table, whose cells the default segmentation may read
   confidently and still drop, gets the other page segmentations below. Otherwise, in this
   order, stopping as soon as a reading is confident (and not such a table):
   - orientation, when the reading is poor (LOW_CONFIDENCE) or the profile across the page is
     sharper than along it: OSD (`--psm 0`, on a copy reduced to 150 dpi; about as long as
     recognising a short letter) says how to turn it; when OSD cannot tell, both quarter turns
     are read (a page that looks sideways) or a half turn;
   - the other deskew decision: straightened by weaker evidence, or not straightened at all;
   - other page segmentation modes (OTHER_LAYOUTS): one column of lines (tables, forms), one
     uniform block; not for a page with nothing readable (MIN_USEFUL_CONFIDENCE), where they
     only find noise.
   Each of these readings replaces the best so far only when it has clearly more confident
   dictionary words (words in Tesseract's own word list, or numbers, weighted by their
   confidence; see edrm/ingest/lexicon.py): BETTER_BY, or LAYOUT_BETTER_BY for another page
   segmentation, which changes the reading order. So preprocessing can never replace a good
   reading by a worse one on the say-so of a projection profile. (Before, a page that merely
   looked sideways to the profile — staggered columns beside a dark scanner edge, say — was
   turned 90 degrees whenever OSD was unsure and never read upright: the likeliest way a clean
   multi-column scan went from word F1 0.98 to 0.19 in issue 15.)

Tesseract runs as a subprocess with OMP_THREAD_LIMIT=1, one per pool thread: one per core by
default, which measured about 2.5 times the throughput of Tesseract's own threading on 2 cores.
pytesseract cannot give a subprocess its own environment, nor hand back the process so that a
deadline over many pages can kill it, so the engine starts the processes itself — with
pytesseract's binary setting (`pytesseract.pytesseract.tesseract_cmd`), its language list and its
OSD parser.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
import weakref
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

from edrm.errors import EdrmError
from edrm.ingest.types import OcrResult, OcrSettings, OcrWord, RejectedInputError

# numpy, Pillow and pytesseract (with the page analysis and the lexicon that use them) are
# imported when a page is read, not with this module: the worker makes an engine in every
# process, and most documents (born-digital, and `edrm ingest` of one text file) need no OCR.
if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from edrm.ingest.lexicon import Lexicon
    from edrm.ingest.page_image import Analysis

# A first reading with at least this mean word confidence is kept as it is: nothing else is tried.
CONFIDENT: Final = 85.0
# Below this mean word confidence a page may be turned the wrong way: run OSD and try again.
LOW_CONFIDENCE: Final = 60.0
# ... but only when Tesseract found at least this many words (a few specks are not a page of text).
MIN_WORDS_FOR_OSD: Final = 3
# Page segmentation modes tried, in this order, when the first reading (mode 3, Tesseract's
# default: find the columns and blocks) is not confident or looks like a table: 4 reads one
# column of lines of different sizes, which keeps the rows of a table that mode 3 breaks into
# cells and sometimes drops (a confident 0.80 word F1 against 0.97 on a faint table); 6 reads
# the page as one uniform block.
OTHER_LAYOUTS: Final = (4, 6)
# A confident first reading looks like a table, and other layouts are tried, when its lines hold
# fewer words than this (median): prose reads at 4.5-12 words a line, a table's cells at 1-2.
TABLE_WORDS_PER_LINE: Final = 3.0
# A reading with a lower mean word confidence than this is noise: it can replace nothing (a page
# that cannot be read at all gives thousands of "words" at 10-20, some of them in the dictionary).
MIN_USEFUL_CONFIDENCE: Final = 40.0
# Another reading replaces the best so far only when it has this many times more confident
# dictionary words (a near tie keeps the plain reading) ...
BETTER_BY: Final = 1.02
# ... and a different page segmentation this many times more (it changes the reading order).
LAYOUT_BETTER_BY: Final = 1.05
# OSD needs about 150 dpi to be reliable (at 100 dpi it often gets 0 and 180 wrong) ...
MIN_OSD_DPI: Final = 150
# ... and its answer is trusted when its orientation confidence is at least this (clear pages
# give 10-20; guesses under 3).
MIN_OSD_CONFIDENCE: Final = 3.0


def _turned(image: Image.Image, rotation: int) -> Image.Image:
    """The image turned clockwise by `rotation` (90, 180 or 270) degrees."""
    from PIL import Image

    transpose = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    return image.transpose(transpose[rotation])


class OcrUnavailableError(EdrmError):
    """Tesseract or the language data it needs is not installed: no fault of the file."""


class _Cancelled(Exception):
    """The batch was abandoned (timeout or another page failed): stop without a result."""


class _DeadlinePassed(Exception):
    """A Tesseract run hit the batch's deadline (the process has been killed)."""


class _TesseractFailed(Exception):
    """Tesseract exited with an error of its own about the page."""


@dataclass(eq=False)
class _Batch:
    """One recognise() call: its deadline and the Tesseract processes running for it."""

    deadline: float | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancelled: bool = False
    processes: set[subprocess.Popen[bytes]] = field(default_factory=set)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def abort(self) -> None:
        """Stop the batch: kill its processes; no new one can start."""
        with self.lock:
            self.cancelled = True
            for process in self.processes:
                process.kill()


@dataclass(frozen=True)
class _Reading:
    """One recognition of the page, and the evidence it gives of being right."""

    result: OcrResult
    words: list[tuple[str, float]]  # each word Tesseract found, and its confidence
    per_line: float  # median number of words in its lines
    psm: int = 3

    @property
    def confident(self) -> bool:
        return self.result.confidence >= CONFIDENT

    @property
    def tabular(self) -> bool:
        """Lines of a word or two: a table (or a form) that mode 3 may have read in scraps."""
        return len(self.words) >= MIN_WORDS_FOR_OSD and self.per_line < TABLE_WORDS_PER_LINE

    @property
    def final(self) -> bool:
        return self.confident and not self.tabular

    def score(self, lexicon: Lexicon) -> float:
        """Confident dictionary words: the sum of the confidences (0-1) of the words that are in
        Tesseract's dictionary (two letters or more) or are numbers. Noise and text read upside
        down score near 0; a reading less confident than MIN_USEFUL_CONFIDENCE scores 0."""
        if self.result.confidence < MIN_USEFUL_CONFIDENCE:
            return 0.0
        return sum(c for word, c in self.words if len(word) > 1 and lexicon.is_word(word)) / 100.0


class OcrEngine:
    """A pool of OCR workers; thread-safe, one Tesseract process per worker at a time."""

    def __init__(self, settings: OcrSettings) -> None:
        self.settings = settings
        self.processes: int = settings.processes or os.cpu_count() or 1
        self._env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        self._pool = ThreadPoolExecutor(max_workers=self.processes, thread_name_prefix="edrm-ocr")
        self._workdir = Path(tempfile.mkdtemp(prefix="edrm-ocr-"))
        # removes the work folder at close(), or when the engine is collected or Python exits
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._workdir, ignore_errors=True)
        self._lock = threading.Lock()
        self._batches: set[_Batch] = set()
        self._checked = False
        self._closed = False
        self._lexicon: Lexicon | None = None

    # --- public ---------------------------------------------------------------------------------

    def recognise(self, paths: Sequence[Path], *, timeout: float | None = None) -> list[OcrResult]:
        """OCR each page image; results in the order given.

        OcrResult.rotation is how far the page was turned clockwise (0, 90, 180, 270) after its
        EXIF orientation was applied; deskew_angle is the counter-clockwise tilt that was
        straightened out (a page scanned 2 degrees anticlockwise gives 2.0, clockwise -2.0).

        Raises RejectedInputError("corrupt"/"bomb") for an image that cannot be read (the message
        says which of the pages), RejectedInputError("timeout") when all pages are not done within
        `timeout` seconds — no Tesseract process of this call is left running either way — and
        OcrUnavailableError when Tesseract or the language is not installed.
        """
        if self._closed:
            raise RuntimeError("the OCR engine is closed")
        if not paths:
            return []
        self._check_tesseract()
        deadline = None if timeout is None else time.monotonic() + timeout
        batch = _Batch(deadline)
        with self._lock:
            self._batches.add(batch)
        total = len(paths)
        futures: list[Future[OcrResult]] = []
        finished = False
        try:
            futures = [
                self._pool.submit(self._page, batch, Path(path), number, total)
                for number, path in enumerate(paths, start=1)
            ]
            done, pending = wait(futures, timeout=batch.remaining(), return_when=FIRST_EXCEPTION)
            for future in futures:  # the first failure in page order, if any
                if future in done and future.exception() is not None:
                    error = future.exception()
                    if isinstance(error, _DeadlinePassed):
                        break
                    if isinstance(error, _Cancelled):
                        raise RuntimeError("the OCR engine was closed while it was working")
                    assert error is not None
                    raise error
            if pending or any(f.exception() is not None for f in done):
                raise RejectedInputError(
                    "timeout", f"OCR of {total} page(s) took longer than {timeout or 0:g} seconds"
                )
            results = [future.result() for future in futures]
            finished = True
            return results
        finally:
            if not finished:
                batch.abort()
                for future in futures:
                    future.cancel()
                wait(futures)  # the running pages stop promptly: their processes are dead
            with self._lock:
                self._batches.discard(batch)

    def close(self) -> None:
        """Stop every running Tesseract process, the pool and remove the work folder."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            batches = list(self._batches)
        for batch in batches:
            batch.abort()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._cleanup()

    def __enter__(self) -> OcrEngine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- one page, on a pool thread -------------------------------------------------------------

    def _page(self, batch: _Batch, path: Path, number: int, total: int) -> OcrResult:
        """Read the page as it is; only if that reading is not confident, try others.

        Every other reading (turned as OSD says, deskewed or not, another page segmentation) is
        kept only when it has clearly more confident dictionary words than the best so far, so
        preprocessing can never replace a good reading by a worse one on its own say-so.
        """
        if batch.cancelled:
            raise _Cancelled
        what = f"page image {number} of {total}"
        from edrm.ingest.page_image import analyse, analysis_copy, load_page

        image, dpi = load_page(path, self.settings.dpi, what)
        small = analysis_copy(image)
        analysis = analyse(small)
        if analysis.blank:
            return OcrResult(text="", confidence=-1.0)
        try:
            return self._best_reading(batch, image, small, analysis, dpi).result
        except _TesseractFailed as exc:
            raise RejectedInputError("corrupt", f"{what} could not be recognised ({exc})") from None

    def _best_reading(
        self, batch: _Batch, image: Image.Image, small: Image.Image, analysis: Analysis, dpi: int
    ) -> _Reading:
        from edrm.ingest.page_image import (
            MAX_SKEW_DEGREES,
            MIN_SKEW_DEGREES,
            MIN_SKEW_GAIN,
            skew_for_first_reading,
        )

        first_skew = skew_for_first_reading(analysis)
        best = self._read(batch, image, 0, first_skew, 3, dpi)
        if best.final:
            return best
        if not best.confident:
            best = self._reorient(batch, image, small, analysis, best, dpi)
            if best.final:
                return best
        if not best.confident and best.result.rotation == 0:
            # deskew by the weaker evidence, or undo a deskew that gave no confident reading
            if first_skew:
                other_skew: float | None = 0.0
            elif (
                MIN_SKEW_DEGREES < abs(analysis.skew) < MAX_SKEW_DEGREES - 0.25  # not the edge
                and analysis.gain >= MIN_SKEW_GAIN
            ):
                other_skew = analysis.skew
            else:
                other_skew = None
            if other_skew is not None:
                candidate = self._read(batch, image, 0, other_skew, 3, dpi)
                if self._better(best, candidate):
                    best = candidate
                if best.final:
                    return best
        if best.result.confidence < MIN_USEFUL_CONFIDENCE:
            return best  # nothing readable: other layouts only find noise in it
        # page segmentation: tables and forms often read better as lines or one block
        rotation, skew = best.result.rotation, -best.result.deskew_angle
        for psm in OTHER_LAYOUTS:
            candidate = self._read(batch, image, rotation, skew, psm, dpi)
            if self._better(best, candidate):
                best = candidate
            if best.final:
                break
        return best

    def _reorient(
        self,
        batch: _Batch,
        image: Image.Image,
        small: Image.Image,
        analysis: Analysis,
        best: _Reading,
        dpi: int,
    ) -> _Reading:
        """The best of `best` and the page turned as OSD says (or, when OSD cannot tell, a
        quarter turn either way for a page that looks sideways, a half turn otherwise).

        Only when the profile says sideways or the reading is poor: upright text reads at
        80-97, upside-down text at about 35, a page on its side lower still.
        """
        from edrm.ingest.page_image import analyse, skew_for_first_reading

        if not analysis.sideways and (
            best.result.confidence >= LOW_CONFIDENCE or len(best.words) < MIN_WORDS_FOR_OSD
        ):
            return best
        osd = self._osd(batch, image, dpi)
        if osd is not None:
            turns = [osd] if osd else []
        else:
            turns = [90, 270] if analysis.sideways else [180]
        for rotation in turns:
            seen = analyse(_turned(small, rotation))
            skew = skew_for_first_reading(seen)
            candidate = self._read(batch, image, rotation, skew, 3, dpi)
            if self._better(best, candidate):
                best = candidate
        return best

    def _read(
        self, batch: _Batch, image: Image.Image, rotation: int, skew: float, psm: int, dpi: int
    ) -> _Reading:
        """Turn the page clockwise by `rotation`, straighten lines sloping by `skew` degrees and
        recognise it with page segmentation mode `psm`."""
        import numpy as np

        from edrm.ingest.page_image import shear, unshear_boxes

        if rotation:
            image = _turned(image, rotation)
        pixels = np.asarray(image)
        if skew:
            pixels = shear(pixels, skew)
        text, confidence, words, per_line, boxes = self._recognise(batch, pixels, dpi, psm)
        result = OcrResult(
            text=text,
            confidence=confidence,
            rotation=rotation,
            deskew_angle=round(-skew, 2) + 0.0,  # the page's counter-clockwise tilt, corrected
            words=tuple(unshear_boxes(boxes, image.width, skew)) if skew else tuple(boxes),
            size=(image.width, image.height),
            dpi=dpi,
        )
        return _Reading(result, words, per_line, psm)

    def _better(self, best: _Reading, other: _Reading) -> bool:
        """Does `other` have clearly more confident dictionary words than `best`?"""
        from edrm.ingest.lexicon import Lexicon

        if self._lexicon is None:  # only pages that are not read confidently at once need it
            self._lexicon = Lexicon.for_languages(self.settings.language)
        factor = BETTER_BY if other.psm == best.psm else LAYOUT_BETTER_BY
        return other.score(self._lexicon) > best.score(self._lexicon) * factor

    def _recognise(
        self, batch: _Batch, pixels: np.ndarray, dpi: int, psm: int = 3
    ) -> tuple[str, float, list[tuple[str, float]], float, list[OcrWord]]:
        """One Tesseract run: text, mean word confidence (or -1), the words with their
        confidences, the median number of words in a line, and the words' boxes."""
        from edrm.ingest.page_image import write_tiff

        base = self._workdir / uuid.uuid4().hex
        source = base.with_suffix(".tif")
        try:
            write_tiff(source, pixels, dpi)
            args = [str(source), str(base), "-l", self.settings.language, "--dpi", str(dpi)]
            if psm != 3:
                args += ["--psm", str(psm)]
            code, _, err = self._run(batch, [*args, "txt", "tsv"])
            if code > 0:
                raise _TesseractFailed(_tail(err))
            if code < 0:  # killed by a signal (out of memory?): not the page's fault
                raise RuntimeError(f"tesseract was killed by signal {-code}")
            text = base.with_suffix(".txt").read_text(encoding="utf-8", errors="replace")
            tsv = base.with_suffix(".tsv").read_text(encoding="utf-8", errors="replace")
        finally:
            for suffix in (".tif", ".txt", ".tsv"):
                base.with_suffix(suffix).unlink(missing_ok=True)
        words, per_line, boxes = _words(tsv)
        text = text.replace("\f", "").strip()
        if not words or not text:
            return "", -1.0, [], 0.0, []
        mean = min(100.0, max(0.0, sum(c for _, c in words) / len(words)))
        return text, round(mean, 2), words, per_line, boxes

    def _osd(self, batch: _Batch, image: Image.Image, dpi: int) -> int | None:
        """Tesseract's orientation detection: degrees to turn the page clockwise, None if unsure.

        Runs on a copy reduced to no less than MIN_OSD_DPI: at 300 dpi, half size is as reliable
        as full size at half the cost.
        """
        import numpy as np
        import pytesseract

        from edrm.ingest.page_image import write_tiff

        factor = max(1, dpi // MIN_OSD_DPI)
        half = image.reduce(factor) if factor > 1 else image
        half_dpi = dpi // factor
        source = self._workdir / f"{uuid.uuid4().hex}.tif"
        try:
            write_tiff(source, np.asarray(half), half_dpi)
            code, out, _ = self._run(
                batch, [str(source), "stdout", "--psm", "0", "--dpi", str(half_dpi)]
            )
        finally:
            source.unlink(missing_ok=True)
        if code != 0:  # "Too few characters", or no osd.traineddata
            return None
        osd = pytesseract.pytesseract.osd_to_dict(out.decode("utf-8", "replace"))
        rotate, confidence = osd.get("rotate"), osd.get("orientation_conf", 0.0)
        if rotate not in (0, 90, 180, 270) or confidence < MIN_OSD_CONFIDENCE:
            return None
        return int(rotate)

    def _run(self, batch: _Batch, args: list[str]) -> tuple[int, bytes, bytes]:
        """Run Tesseract for the batch, killed when the deadline passes or the batch is aborted."""
        import pytesseract

        with batch.lock:
            if batch.cancelled:
                raise _Cancelled
            remaining = batch.remaining()
            if remaining is not None and remaining <= 0:
                raise _DeadlinePassed
            process = subprocess.Popen(
                [pytesseract.pytesseract.tesseract_cmd, *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self._env,
            )
            batch.processes.add(process)
        try:
            out, err = process.communicate(timeout=remaining)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise _DeadlinePassed from None
        finally:
            if process.returncode is None:  # interrupted some other way
                process.kill()
                process.wait()
            with batch.lock:
                batch.processes.discard(process)
        if batch.cancelled:
            raise _Cancelled
        return process.returncode, out, err

    def _check_tesseract(self) -> None:
        if self._checked:
            return
        import pytesseract

        try:
            installed = set(pytesseract.get_languages(config=""))
        except pytesseract.TesseractNotFoundError:
            raise OcrUnavailableError(
                f"Tesseract is not installed (looked for {pytesseract.pytesseract.tesseract_cmd!r})"
            ) from None
        missing = [lang for lang in self.settings.language.split("+") if lang not in installed]
        if missing:
            raise OcrUnavailableError(
                f"Tesseract has no language data for {', '.join(missing)} "
                f"(installed: {', '.join(sorted(installed)) or 'none'})"
            )
        self._checked = True


def _words(tsv: str) -> tuple[list[tuple[str, float]], float, list[OcrWord]]:
    """The words in Tesseract's TSV (level 5 rows with text) with their confidences, the
    median number of words in a line, and each word's box."""
    words = []
    boxes = []
    lines: Counter[tuple[str, ...]] = Counter()
    for line in tsv.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[0] == "5" and cells[11].strip():
            try:
                confidence = float(cells[10])
            except ValueError:
                continue
            if confidence >= 0:
                words.append((cells[11].strip(), confidence))
                lines[tuple(cells[1:5])] += 1  # page, block, paragraph, line
                left, top, width, height = (int(v) for v in cells[6:10])
                boxes.append(OcrWord(cells[11].strip(), left, top, width, height))
    per_line = float(statistics.median(lines.values())) if lines else 0.0
    return words, per_line, boxes


def _tail(err: bytes) -> str:
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return " ".join(lines[-2:])[:300]
