"""Benchmark: born-digital `edrm ingest DIR --into CODE`, the whole process. Prints figures;
asserts nothing.

    .venv/bin/python bench/ingest_cli.py [--files 1000] [--into FIN-AP-INV] [--processes N]
                                         [--rounds 1] [--profile FILE]

Builds a demo data directory (a temporary EDRM_HOME, `edrm init`, `edrm demo --documents 8`),
writes --files small files into a folder (text, HTML, CSV and one-page PDFs made with fpdf2, a
quarter each, every one different), then times the whole `edrm ingest DIR --into CODE --json`
process (start-up, submitting, the pipeline, filing, the answer) and prints:

(a) documents per second, and per core (the machine's cores: `edrm ingest` uses them all by
    default), with the CPU seconds per document of the process and its children;
(b) the reference, in the same run: the raw extraction libraries in a plain loop in this
    process over the same files (libmagic on the bytes, then the text decoded, the HTML read by
    BeautifulSoup with lxml, the CSV by the csv module, the PDF's text layer by pypdfium2), one
    core: documents per second, and the ratio a(per core)/b.

Target (issue 16): at least 50 documents per second per core for (a).
With --profile FILE the ingest runs a second time in this process, under cProfile (worker and
filing; one process), and the 20 functions with the most cumulative time are printed.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose search.py would hide the search package

KINDS = ("txt", "html", "csv", "pdf")


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env.update(
        EDRM_HOME=str(home),
        EDRM_LOG_LEVEL="WARNING",
        EDRM_SECRET_KEY="bench-secret-key",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
    )
    return env


def edrm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "edrm", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,  # `python -m` puts the working directory first on the path
    )
    if done.returncode not in (0, 1):  # 1: some file failed or went to triage (counted below)
        raise SystemExit(f"edrm {' '.join(args)} failed: {done.stderr.strip() or done.stdout}")
    return done


def make_files(folder: Path, count: int) -> list[Path]:
    """`count` small files, a quarter of each kind, from the demo corpus's texts (a serial
    number in each, so no two hold the same bytes)."""
    from fpdf import FPDF

    from edrm.demo.corpus import generate_documents

    texts = [d.content.decode("utf-8", "replace")[:1500] for d in generate_documents(7, 40)]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        body = f"Document {n:05d}\n\n{texts[n % len(texts)]}"
        path = folder / f"{n:05d}.{kind}"
        if kind == "txt":
            path.write_text(body, encoding="utf-8")
        elif kind == "html":
            paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
            path.write_text(
                f"<!doctype html><html><head><title>Document {n:05d}</title></head>"
                f"<body>{paragraphs}</body></html>",
                encoding="utf-8",
            )
        elif kind == "csv":
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["line", "text"])
            for i, line in enumerate(body.splitlines()):
                if line.strip():
                    writer.writerow([i, line])
            path.write_text(out.getvalue(), encoding="utf-8")
        else:
            pdf = FPDF()
            pdf.add_page()
            pdf.set_font("helvetica", size=9)
            pdf.multi_cell(0, 4, body[:1200].encode("latin-1", "replace").decode("latin-1"))
            path.write_bytes(bytes(pdf.output()))
        paths.append(path)
    return paths


def reference(paths: list[Path]) -> float:
    """(b) Seconds for the raw libraries to read every file, in a plain loop, one core."""
    import magic
    import pypdfium2 as pdfium
    from bs4 import BeautifulSoup

    start = time.perf_counter()
    chars = 0
    for path in paths:
        data = path.read_bytes()
        mime = magic.from_buffer(data, mime=True)
        magic.from_buffer(data)
        if mime == "application/pdf":
            document = pdfium.PdfDocument(data)
            text = "".join(page.get_textpage().get_text_range() for page in document)
            document.close()
        elif path.suffix == ".html":
            text = BeautifulSoup(data, "lxml").get_text("\n")
        elif path.suffix == ".csv":
            text = "\n".join(" ".join(row) for row in csv.reader(io.StringIO(data.decode())))
        else:
            text = data.decode("utf-8")
        chars += len(text)
    elapsed = time.perf_counter() - start
    assert chars > 0
    return elapsed


def timed_ingest(
    env: dict[str, str], folder: Path, into: str, processes: int | None
) -> tuple[float, float, dict[str, int]]:
    """(wall seconds, CPU seconds of the process and its children, count per status)."""
    import json

    args = [sys.executable, "-m", "edrm", "ingest", str(folder), "--into", into, "--json"]
    if processes is not None:
        args += ["--processes", str(processes)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    statuses: dict[str, int] = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            status = json.loads(line)["status"]
            statuses[status] = statuses.get(status, 0) + 1
    if not statuses:
        raise SystemExit(f"edrm ingest failed: {done.stderr[-2000:]}")
    return elapsed, cpu, statuses


def fresh_home(template: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template, target)
    return target


def profile(home: Path, folder: Path, into: str, out: Path) -> None:
    """The same ingest in this process under cProfile (one process: the worker and filing)."""
    import cProfile
    import pstats

    from click.testing import CliRunner

    for key, value in environment(home).items():
        os.environ[key] = value
    from edrm.cli import main
    from edrm.cli.ingest import ingest

    args = ["ingest", str(folder), "--into", into, "--json"]
    if any(option.name == "processes" for option in ingest.params):
        args += ["--processes", "1"]
    profiler = cProfile.Profile()
    profiler.enable()
    result = CliRunner().invoke(main, args)
    profiler.disable()
    if result.exit_code not in (0, 1):
        raise SystemExit(f"profiled ingest failed: {result.output[-2000:]}")
    profiler.dump_stats(str(out))
    stats = pstats.Stats(str(out))
    stats.sort_stats("cumulative").print_stats(20)
    stats.sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--into", default="FIN-AP-INV")
    parser.add_argument("--processes", type=int, default=None, help="passed to edrm ingest")
    parser.add_argument("--rounds", type=int, default=1, help="timed ingests (median)")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    used = args.processes or cores
    with tempfile.TemporaryDirectory(prefix="edrm-bench-ingest-cli-") as tmp:
        base = Path(tmp)
        template = base / "template"
        env = environment(template)
        edrm(env, "init")
        edrm(env, "demo", "--documents", "8")
        folder = base / "files"
        paths = make_files(folder, args.files)
        walls, cpus = [], []
        statuses: dict[str, int] = {}
        for round_ in range(args.rounds):
            home = fresh_home(template, base / f"home-{round_}")
            wall, cpu, statuses = timed_ingest(environment(home), folder, args.into, args.processes)
            walls.append(wall)
            cpus.append(cpu)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        rate = len(paths) / wall
        print(
            f"(a) edrm ingest DIR --into {args.into}: {len(paths)} files "
            f"({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))}) in {wall:.2f} s "
            f"(median of {args.rounds}: {', '.join(f'{w:.2f}' for w in walls)}), "
            f"{used} process(es) on {cores} core(s): {rate:.1f} documents/s, "
            f"{rate / cores:.1f} per core (target 50); "
            f"{cpu / len(paths) * 1000:.1f} CPU ms per document"
        )
        ref = reference(paths)
        ref_rate = len(paths) / ref
        print(
            f"(b) reference, raw libmagic + text/HTML/CSV/PDF extractors in a loop, one core: "
            f"{len(paths)} files in {ref:.2f} s, {ref_rate:.1f} documents/s "
            f"({ref / len(paths) * 1000:.2f} ms per document); "
            f"ingest per core / reference = {rate / cores / ref_rate:.3f}"
        )
        if args.profile is not None:
            home = fresh_home(template, base / "home-profile")
            profile(home, folder, args.into, args.profile)


if __name__ == "__main__":
    main()
