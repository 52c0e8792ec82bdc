"""The load and soak benchmarks run end to end and print their figures (behaviour only: the
figures themselves belong to bench/, never to a test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench(script: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_load_drives_a_real_server_and_prints_rates_percentiles_errors_and_memory() -> None:
    out = _bench(
        "load.py", "--seconds", "3", "--baseline-seconds", "1", "--clients", "2",
        "--documents", "30",
    )  # fmt: skip
    assert "baseline /healthz:" in out
    assert "mixed load:" in out
    assert "req/s" in out
    assert "p99 ms" in out
    assert "GET /search (page)" in out  # signed in through the form: pages answered
    assert "errors:" in out
    assert "RSS serve: start" in out
    assert "RSS worker: start" in out


@pytest.mark.slow
def test_soak_prints_index_size_beside_the_reference_and_memory() -> None:
    out = _bench("soak.py", "--cycles", "200", "--reference-cycles", "50", "--documents", "20")
    assert "reference size: 20 documents built once" in out
    assert "200 cycles in" in out
    assert "raw tantivy, no product layer: 50 cycles" in out
    assert "50 cycles in" in out
    assert "× reference" in out
    assert "RSS start" in out


@pytest.mark.slow
def test_quality_experts_files_a_tiny_dev_set_through_the_cli_and_prints_both_figures(
    tmp_path: Path,
) -> None:
    """bench/quality_experts.py on a made-up set in the expertise-dev layout (issue 15 part 2)."""
    import json

    root = tmp_path / "expertise-dev"
    root.mkdir()
    (root / "people.csv").write_text(
        "username,name\nann-lee,Ann Lee\nbob-roy,Bob Roy\ncat-kim,Cat Kim\n", encoding="utf-8"
    )
    topics = {
        "ann-lee": "culvert drainage inspection",
        "bob-roy": "tender procurement evaluation",
        "cat-kim": "flood barrier modelling",
    }
    docs = [
        {"id": f"d{n}-{u}", "author_usernames": [u], "title": f"On {t} ({n})", "year": 2020,
         "text": f"A study of {t} in the region, part {n}: {t} again."}
        for u, t in topics.items()
        for n in range(2)
    ]  # fmt: skip
    docs.append(
        {"id": "joint", "author_usernames": ["ann-lee", "cat-kim"], "year": 2021,
         "title": "Drainage and flood barriers", "text": "Culvert drainage near flood barriers."}
    )  # fmt: skip
    (root / "documents.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    queries = [
        {"id": f"q-{u}", "text": f"New work\n\nWe look at {t}.", "relevant": {u: 1}}
        for u, t in topics.items()
    ]
    for name in ("queries.jsonl", "queries-title.jsonl"):
        (root / name).write_text("".join(json.dumps(q) + "\n" for q in queries))
    out = _bench("quality_experts.py", "--data", str(tmp_path))
    assert "MAP (paragraph queries)" in out and "nDCG@10 (title queries)" in out
    assert "TF-IDF profile" in out


@pytest.mark.slow
def test_ingest_cli_times_the_whole_command_beside_the_raw_libraries(tmp_path: Path) -> None:
    """bench/ingest_cli.py on 8 files: the whole `edrm ingest` and the raw reference."""
    out = _bench("ingest_cli.py", "--files", "8", "--profile", str(tmp_path / "ingest.prof"))
    assert "(a) edrm ingest DIR --into FIN-AP-INV: 8 files (8 filed)" in out
    assert "documents/s" in out and "per core" in out
    assert "(b) reference, raw libmagic" in out
    assert "ingest per core / reference" in out
    assert "Ordered by: cumulative time" in out


@pytest.mark.slow
def test_renditions_bench_prints_the_build_beside_the_ocr_it_follows() -> None:
    """bench/renditions.py on 2 pages: the PDF/A build per page beside OcrEngine's (reference)."""
    out = _bench("renditions.py", "--count", "2", "--rounds", "1")
    assert "(a) reference: OcrEngine" in out and "(b) rendition build:" in out
    assert "(b) / (a) per page on one core:" in out
    assert "PDF/A: pdfaid part 2 conformance B" in out and "fonts embedded True" in out
