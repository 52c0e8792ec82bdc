"""Benchmarks for ingest. Prints figures; asserts nothing.

    .venv/bin/python bench/ingest.py [--count 12] [--pages DIR] [--truth DIR] [--processes N]
                                     [--rounds 3] [--max-skew 3] [--format png|jpg]

Over one set of scanned pages (by default N A4 pages at 300 dpi, rendered from letter and report
text and degraded like a scan — turned up to --max-skew degrees, blurred, speckled, JPEG
artefacts — into a temporary folder with their text beside them; with --pages, the images in a
folder):
(a) raw `tesseract IMG stdout` pages per second, one process per core with OMP_THREAD_LIMIT=1;
(b) OcrEngine pages per second with the same parallelism, in the same run, and the ratio b/a
    (target: at least 0.9). The runs alternate (raw, engine, engine, raw, ...) so that drift in
    the machine's speed hits both alike, and the CPU seconds per page are printed too: on a shared
    machine they are steadier than wall-clock time;
(b') a same-work reference beside it (not the target): raw `tesseract` on the pages already
    straightened as the engine's first reading straightens them (PNG copies made before timing),
    so that raw Tesseract reads the text it otherwise loses on pages that lean; b/b' is the
    engine's own overhead;
(c) peak memory of the worker process during a run of (b) that is not timed: RSS of this process
    plus its Tesseract children (target: under 500 MB per worker process on 300 dpi A4);
then the word F1 and character error rate of both on those pages, when they have .txt files;
(d) with --truth DIR (page images with ground-truth .txt files beside them, e.g.
    ../shared/data/ocr-samples): word F1 and character error rate of OcrEngine and of raw Tesseract;
(e) born-digital documents per second through the whole pipeline (bench_born_digital).

Raw Tesseract loses most of the text of some pages that lean by 2 degrees or more, which OcrEngine
straightens first; reading that text costs time, so on such pages the ratio (b/a) understates the
engine. `--max-skew 0.25` gives pages that need no deskewing: the engine's own overhead alone.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import psutil
from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose search.py would hide the search package

from edrm.ingest.ocr import OcrEngine  # noqa: E402
from edrm.ingest.quality import cer, word_f1  # noqa: E402
from edrm.ingest.types import OcrResult, OcrSettings  # noqa: E402

T = TypeVar("T")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".pgm"}
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]

PARAGRAPHS = [
    "Thank you for your letter of 3 March 2025 about the planning application for the extension "
    "at 14 Church Lane. We have now reviewed the drawings and the survey report that you sent.",
    "The council will consult your neighbours over the next three weeks, and a planning officer "
    "will visit the site before the end of April to look at the boundary with number 16.",
    "If you would like to discuss the proposal, please call the duty officer on 020 7946 0321 or "
    "write to us quoting the reference PL/2025/0412 on every page of your reply.",
    "We aim to decide the application within eight weeks of the date on which it was validated. "
    "You can follow its progress on the planning portal using the same reference.",
    "The committee considered the revised budget for the coming financial year. Spending on "
    "road maintenance will rise by 4.5 per cent, while the library service will be held at the "
    "level agreed last year.",
    "Members asked officers to report back in September on the cost of replacing the heating "
    "system at the town hall, including the grants that may be available for heat pumps.",
    "Under the Freedom of Information Act 2000 you asked for copies of the contracts for waste "
    "collection signed since 2019. We hold this information and enclose the documents.",
    "Some names and signatures have been removed because they are personal data, and disclosing "
    "them would breach the data protection principles. The rest of each document is complete.",
    "Please find enclosed the minutes of the meeting held on 12 February, together with the "
    "action log. Items marked as complete will be removed before the next meeting.",
    "The review found that records were kept in three separate systems, that retention periods "
    "were not applied consistently, and that several files had no named owner.",
    "We recommend that each team appoints an information asset owner, that the file plan is "
    "updated by the end of June, and that old paper records are reviewed for transfer.",
    "If you are not satisfied with this response, you may ask for an internal review within "
    "forty working days, and after that complain to the Information Commissioner's Office.",
]
HEADINGS = [
    "Dear Ms Patel,",
    "Dear Mr Okafor,",
    "Minutes of the Finance Committee",
    "Internal audit report: records management",
    "Freedom of Information request FOI-2025-0187",
]


# --- pages ----------------------------------------------------------------------------------------


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def render_page(rng: random.Random, dpi: int = 300) -> tuple[Image.Image, str]:
    """A white A4 page with a heading and some paragraphs; returns it and its text."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    size = round(rng.choice([10, 11, 12]) * dpi / 72)
    font = ImageFont.truetype(rng.choice([f for f in FONTS if Path(f).exists()]), size)
    margin = dpi
    paragraphs = [rng.choice(HEADINGS), *rng.sample(PARAGRAPHS, rng.randint(3, len(PARAGRAPHS)))]
    y, lines_out = margin, []
    for paragraph in paragraphs:
        lines = _wrap(draw, paragraph, font, width - 2 * margin)
        if y + len(lines) * size * 1.4 > height - margin:
            break
        for line in lines:
            draw.text((margin, y), line, font=font, fill=0)
            lines_out.append(line)
            y += round(size * 1.4)
        y += round(size * 0.8)
    return page, "\n".join(lines_out)


def degrade(page: Image.Image, rng: random.Random, angle: float) -> Image.Image:
    """Like a cheap scan: turned slightly, blurred, speckled, JPEG-compressed."""
    noisy = np.random.default_rng(rng.randrange(2**32))
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(0.8))
    pixels = np.asarray(page, dtype=np.float32) + noisy.normal(0, 10, (page.height, page.width))
    speckle = noisy.random(pixels.shape)
    pixels[speckle < 0.001] = 0
    pixels[speckle > 0.999] = 255
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=35)
    return Image.open(io.BytesIO(buffer.getvalue()))


def _make_page(path: Path, seed: int, dpi: int, max_skew: float) -> Path:
    rng = random.Random(seed)
    page, text = render_page(rng, dpi)
    angle = rng.uniform(max_skew / 6, max_skew) * rng.choice([-1, 1])
    scan = degrade(page, rng, angle)
    path.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
    if path.suffix == ".jpg":
        scan.save(path, "JPEG", quality=35, dpi=(dpi, dpi))
    else:
        scan.save(path, dpi=(dpi, dpi))
    return path


def generate_pages(
    folder: Path, count: int, dpi: int, fmt: str, max_skew: float = 3.0, seed: int = 7
) -> list[Path]:
    """`count` degraded A4 scans with their text beside them (the same for the same seed).

    Each is turned by max_skew/6 to max_skew degrees either way.
    """
    paths = [folder / f"page-{n + 1:03d}.{fmt}" for n in range(count)]
    seeds = [seed * 1000 + n for n in range(count)]
    with ProcessPoolExecutor() as pool:
        return list(pool.map(_make_page, paths, seeds, [dpi] * count, [max_skew] * count))


# --- runners --------------------------------------------------------------------------------------


def raw_tesseract(paths: Sequence[Path], processes: int) -> list[str]:
    """`tesseract IMG stdout` per page, `processes` at a time, each with OMP_THREAD_LIMIT=1."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(path: Path) -> str:
        done = subprocess.run(
            ["tesseract", str(path), "stdout"], capture_output=True, env=env, check=False
        )
        return done.stdout.decode("utf-8", "replace")

    with ThreadPoolExecutor(processes) as pool:
        return list(pool.map(one, paths))


class PeakMemory:
    """Samples RSS of this process and its children every few milliseconds, in a thread."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_total = 0
        self.peak_self = 0
        self.peak_child = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                own = me.memory_info().rss
                children = []
                for child in me.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        children.append(child.memory_info().rss)
            except psutil.Error:
                continue
            self.peak_self = max(self.peak_self, own)
            self.peak_child = max([self.peak_child, *children])
            self.peak_total = max(self.peak_total, own + sum(children))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # CPU seconds of this process and its (finished) children


def timed(run: Callable[[], T]) -> tuple[Run, T]:
    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    cpu_start, start = cpu(), time.perf_counter()
    value = run()
    return Run(time.perf_counter() - start, cpu() - cpu_start), value


# --- benchmarks -----------------------------------------------------------------------------------


def straightened_copies(paths: list[Path], folder: Path) -> list[Path]:
    """Each page as the engine's first reading sees it (upright, lines straightened when the
    engine would straighten them), saved as PNG at the page's resolution: the same-work input."""
    from edrm.ingest.page_image import (
        analyse,
        analysis_copy,
        load_page,
        shear,
        skew_for_first_reading,
    )

    folder.mkdir(parents=True, exist_ok=True)

    def one(path: Path) -> Path:
        image, dpi = load_page(path, 300, path.name)
        skew = skew_for_first_reading(analyse(analysis_copy(image)))
        pixels = shear(np.asarray(image), skew) if skew else np.asarray(image)
        target = folder / f"{path.stem}.png"
        Image.fromarray(pixels, "L").save(target, dpi=(dpi, dpi))
        return target

    with ThreadPoolExecutor() as pool:
        return list(pool.map(one, paths))


def bench_throughput(paths: list[Path], processes: int, rounds: int, scratch: Path) -> None:
    """(a), (b), (b'), (c); then the accuracy of both on these pages if they have .txt files."""
    pages = len(paths)
    print(f"\nOCR throughput: {pages} pages, {processes} process(es), {rounds} round(s) each")
    straight = straightened_copies(paths, scratch / "straightened")
    raw: list[Run] = []
    same_work: list[Run] = []
    engine_runs: list[Run] = []
    raw_texts: list[str] = []
    results: list[OcrResult] = []
    with OcrEngine(OcrSettings(processes=processes)) as engine:
        engine.recognise(paths[:1])  # warm up: language check, page cache
        for r in range(rounds):
            order = ["raw", "engine", "straight"] if r % 2 == 0 else ["straight", "engine", "raw"]
            for which in order:
                if which == "raw":
                    run, raw_texts = timed(lambda: raw_tesseract(paths, processes))
                    raw.append(run)
                elif which == "straight":
                    run, _ = timed(lambda: raw_tesseract(straight, processes))
                    same_work.append(run)
                else:
                    run, results = timed(lambda: engine.recognise(paths))
                    engine_runs.append(run)
            print(
                f"  round {r + 1}: raw {pages / raw[-1].wall:.3f} pages/s "
                f"({raw[-1].cpu / pages:.2f} CPU s/page), engine {pages / engine_runs[-1].wall:.3f}"
                f" pages/s ({engine_runs[-1].cpu / pages:.2f} CPU s/page), raw on straightened "
                f"{pages / same_work[-1].wall:.3f} pages/s "
                f"({same_work[-1].cpu / pages:.2f} CPU s/page)"
            )
        # (c) a separate run, so that sampling does not slow down the timed ones
        with PeakMemory() as memory:
            engine.recognise(paths)

    raw_rate = pages * len(raw) / sum(run.wall for run in raw)
    engine_rate = pages * len(engine_runs) / sum(run.wall for run in engine_runs)
    print(f"  (a) raw tesseract:  {raw_rate:.3f} pages/s")
    print(f"  (b) OcrEngine:      {engine_rate:.3f} pages/s")
    print(f"      ratio engine/raw: {engine_rate / raw_rate:.3f} (target >= 0.9)")
    best = min(run.wall for run in raw) / min(run.wall for run in engine_runs)
    median = statistics.median(r.wall for r in raw) / statistics.median(r.wall for r in engine_runs)
    cpu = sum(run.cpu for run in raw) / sum(run.cpu for run in engine_runs)
    print(f"      best-round ratio {best:.3f}, median-round ratio {median:.3f}")
    print(f"      CPU-time ratio (raw CPU per page / engine CPU per page): {cpu:.3f}")
    same_rate = pages * len(same_work) / sum(run.wall for run in same_work)
    same_cpu = sum(run.cpu for run in same_work) / sum(run.cpu for run in engine_runs)
    print(
        f"  (b') same-work reference, raw tesseract on the straightened pages: {same_rate:.3f} "
        f"pages/s; engine/that {engine_rate / same_rate:.3f} (CPU {same_cpu:.3f}) (not the target)"
    )
    mb = 1024 * 1024
    print(
        f"  (c) peak RSS of the worker process with its Tesseract children: "
        f"{memory.peak_total / mb:.0f} MB (target < 500 MB); Python alone "
        f"{memory.peak_self / mb:.0f} MB, largest Tesseract process {memory.peak_child / mb:.0f} MB"
    )
    report_accuracy("Accuracy on the same pages", paths, raw_texts, results)


def report_accuracy(
    title: str, images: list[Path], raw_texts: list[str], results: list[OcrResult]
) -> None:
    """Word F1 and CER of both, per page and on average, for the pages that have a .txt."""
    rows = [
        (image, image.with_suffix(".txt").read_text(encoding="utf-8", errors="replace"), raw, res)
        for image, raw, res in zip(images, raw_texts, results, strict=True)
        if image.with_suffix(".txt").exists()
    ]
    if not rows:
        return
    print(f"\n{title} ({len(rows)} page(s)):")
    print(f"  {'page':<24} {'raw F1':>7} {'raw CER':>8} {'eng F1':>7} {'eng CER':>8}  engine notes")
    totals = np.zeros(4)
    for image, truth, raw_text, result in rows:
        scores = np.array(
            [
                word_f1(truth, raw_text),
                cer(truth, raw_text),
                word_f1(truth, result.text),
                cer(truth, result.text),
            ]
        )
        totals += scores
        notes = f"conf {result.confidence:.1f}, rotation {result.rotation}"
        notes += f", deskew {result.deskew_angle:+.2f}°"
        figures = " ".join(f"{v:>{w}.3f}" for v, w in zip(scores, (7, 8, 7, 8), strict=True))
        print(f"  {image.name:<24} {figures}  {notes}")
    mean = totals / len(rows)
    figures = " ".join(f"{v:>{w}.3f}" for v, w in zip(mean, (7, 8, 7, 8), strict=True))
    print(f"  {'mean':<24} {figures}")


def bench_truth(folder: Path, processes: int) -> None:
    """(d) Accuracy of both over a folder of page images with ground truth beside them."""
    images = [
        p
        for p in sorted(folder.iterdir())
        if p.suffix.lower() in IMAGE_SUFFIXES and p.with_suffix(".txt").exists()
    ]
    if not images:
        print(f"\n--truth {folder}: no images with a .txt beside them")
        return
    raw = raw_tesseract(images, processes)
    with OcrEngine(OcrSettings(processes=processes)) as engine:
        results = engine.recognise(images)
    report_accuracy(f"(d) Accuracy against the ground truth in {folder}", images, raw, results)


def _born_digital_files(folder: Path, count: int) -> list[Path]:
    """Demo-corpus texts as they arrive in an office: text, Markdown, CSV, HTML, PDF, DOCX."""
    import docx
    from fpdf import FPDF

    from edrm.demo.corpus import generate_documents

    paths: list[Path] = []
    for n, item in enumerate(generate_documents(seed=11, count=count)):
        text = item.content.decode("utf-8", errors="replace")
        if n % 10 == 3:
            pdf = FPDF()
            pdf.add_page()
            pdf.set_font("helvetica", size=10)
            pdf.multi_cell(0, 5, text.encode("latin-1", "replace").decode("latin-1"))
            path = folder / f"{n:04d}.pdf"
            path.write_bytes(bytes(pdf.output()))
        elif n % 10 == 7:
            document = docx.Document()
            for paragraph in text.split("\n\n"):
                document.add_paragraph(paragraph)
            path = folder / f"{n:04d}.docx"
            document.save(str(path))
        else:
            path = folder / f"{n:04d}-{item.filename.replace('/', '_')}"
            path.write_bytes(item.content)
        paths.append(path)
    return paths


def _born_digital_worker(home: str, ready: Any, go: Any) -> None:
    from edrm.ingest.worker import Worker
    from edrm.settings import load_settings
    from edrm.wiring import build_runtime

    runtime = build_runtime(load_settings({"home": home, "database_url": "", "secret_key": "b"}))
    with Worker(runtime, ocr_processes=1, poll_seconds=0.05) as worker:
        ready.set()
        go.wait()
        idle = 0
        while idle < 20:
            idle = 0 if worker.run_one() else idle + 1
            if idle:
                time.sleep(0.05)
    runtime.close()


def bench_born_digital(processes: int, count: int) -> None:
    """(e) Born-digital documents per second through the whole pipeline (sniff, extract in the
    isolated reader, metadata, classification, filing), one worker process per core.
    Target: at least 50 documents per second per core."""
    import multiprocessing as mp

    from edrm.db import migrate
    from edrm.fileplan.io import read_file
    from edrm.fileplan.service import import_rows
    from edrm.ingest import jobs
    from edrm.settings import ensure_home, load_settings
    from edrm.wiring import build_runtime

    with tempfile.TemporaryDirectory(prefix="edrm-bench-born-") as tmp:
        home = Path(tmp) / "home"
        settings = load_settings({"home": str(home), "database_url": "", "secret_key": "b"})
        ensure_home(settings)
        runtime = build_runtime(settings)
        migrate(runtime.engine)
        with runtime.uow() as session:
            import_rows(session, read_file(settings.config_path("fileplan.toml")))
        files = _born_digital_files(Path(tmp), count)
        context = mp.get_context("spawn")
        go = context.Event()
        readies = [context.Event() for _ in range(processes)]
        workers = [
            context.Process(target=_born_digital_worker, args=(str(home), r, go)) for r in readies
        ]
        for w in workers:
            w.start()
        for r in readies:
            r.wait(120)
        batch = jobs.new_batch()
        with runtime.uow() as session:
            for path in files:
                with path.open("rb") as fh:
                    jobs.submit(
                        session,
                        runtime.blobs,
                        fh,
                        path.name,
                        jobs.Submission(submitted_by="system", source="cli", batch=batch),
                    )
        start = time.perf_counter()
        go.set()
        while True:
            with runtime.uow() as session:
                counts = jobs.counts(session, batch)
            if counts["done"] + counts["failed"] >= len(files):
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        for w in workers:
            w.join(60)
        rate = len(files) / elapsed
        print(
            f"\n(e) born-digital: {len(files)} documents ({counts['failed']} failed) in "
            f"{elapsed:.2f} s with {processes} worker process(es): {rate:.1f} documents/s, "
            f"{rate / processes:.1f} per core (target 50 per core)"
        )
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=12, help="pages to generate (default 12)")
    parser.add_argument("--pages", type=Path, help="use the images in this folder instead")
    parser.add_argument("--truth", type=Path, help="folder of page images with .txt beside them")
    parser.add_argument("--processes", type=int, default=0, help="0 = one per core (default)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each (default 3)")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--format", choices=["png", "jpg"], default="png")
    parser.add_argument(
        "--max-skew", type=float, default=3.0, help="generated pages lean up to this (degrees)"
    )
    parser.add_argument(
        "--born-digital", type=int, default=300, help="born-digital documents (0 = skip)"
    )
    args = parser.parse_args()
    processes = args.processes or os.cpu_count() or 1
    version = subprocess.run(
        ["tesseract", "--version"], capture_output=True, text=True, check=False
    )
    print(
        f"{version.stdout.splitlines()[0]}, {os.cpu_count()} cores, python {sys.version.split()[0]}"
    )

    with tempfile.TemporaryDirectory(prefix="edrm-bench-ocr-") as tmp:
        if args.pages:
            paths = sorted(p for p in args.pages.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            print(f"pages: {len(paths)} image(s) from {args.pages}")
        else:
            start = time.perf_counter()
            paths = generate_pages(Path(tmp), args.count, args.dpi, args.format, args.max_skew)
            print(
                f"pages: {len(paths)} generated A4 scans at {args.dpi} dpi ({args.format}, "
                f"skew up to {args.max_skew:g} degrees), "
                f"{time.perf_counter() - start:.1f} s to make"
            )
        if paths:
            bench_throughput(paths, processes, args.rounds, Path(tmp))
    if args.truth:
        bench_truth(args.truth, processes)
    if args.born_digital:
        bench_born_digital(processes, args.born_digital)


if __name__ == "__main__":
    main()
