"""Soak benchmark: the tantivy index over many update cycles. Prints figures; asserts nothing.

    .venv/bin/python bench/soak.py [--cycles 100000] [--documents 200] [--per-cycle 5] [--dir D]

Through the product's search backend (`TantivyBackend.index` + `commit`, the indexer's path),
re-indexes the same `--documents` documents over and over: each cycle replaces `--per-cycle`
of them and commits, as the indexer does for a small outbox batch. At intervals it prints the
index's size on disk (all files of the current generation) and the number of files, the
searchable document count, and the process's RSS (psutil). Beside them, the reference in the
same run: the size of the same documents freshly built once (`TantivyBackend.rebuild`). A
bounded index stays within a small multiple of the reference; one that never collects old
segments grows with the cycles.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose search.py would hide the search package

from search.base import IndexedDocument  # noqa: E402
from search.tantivy_backend import TantivyBackend  # noqa: E402
from search.tantivy_store import read_pointer  # noqa: E402

WORDS = [
    "flood",
    "defence",
    "budget",
    "review",
    "council",
    "minutes",
    "contract",
    "supplier",
    "invoice",
    "payment",
    "grant",
    "policy",
    "consultation",
    "housing",
    "transport",
    "planning",
    "audit",
    "risk",
    "register",
    "retention",
    "archive",
]


def document(doc_id: int, version: int) -> IndexedDocument:
    """Document `doc_id` as it reads after its `version`th edit (its body changes each time)."""
    body = " ".join(WORDS[(doc_id * 7 + version + i) % len(WORDS)] for i in range(300))
    return IndexedDocument(
        id=doc_id,
        title=f"Record {doc_id} (edit {version})",
        body=body,
        class_code=f"C{doc_id % 12:02d}",
        folder_code="",
        doc_type="report",
        creator=f"Person {doc_id % 9}",
        marking="OFFICIAL",
        created=datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=doc_id),
        references=(f"REF-{doc_id}",),
        access_keys=(f"node:{doc_id % 5}",),
        status="record",
    )


def index_size(directory: Path) -> tuple[int, int]:
    """Bytes and files of the generation `current` points at."""
    name = read_pointer(directory)
    size = count = 0
    for path in (directory / str(name)).rglob("*"):
        try:  # a merge may remove a file between listing and stat
            size += path.stat().st_size if path.is_file() else 0
            count += path.is_file()
        except FileNotFoundError:
            continue
    return size, count


def reference_size(documents: int, where: Path) -> int:
    with TantivyBackend(where) as fresh:
        fresh.rebuild(document(n, 0) for n in range(documents))
    return index_size(where)[0]


def soak(args: argparse.Namespace, directory: Path, reference: int) -> None:
    process = psutil.Process()
    every = max(1, args.cycles // 10)
    backend = TantivyBackend(directory)
    backend.rebuild(document(n, 0) for n in range(args.documents))
    rss_start = process.memory_info().rss / 2**20
    largest, start = 0, time.perf_counter()
    print(f"  {'cycle':>8} {'index MB':>9} {'× ref':>6} {'files':>6} {'docs':>6} {'RSS MB':>7}")
    for cycle in range(1, args.cycles + 1):
        first = (cycle * args.per_cycle) % args.documents
        ids = [(first + k) % args.documents for k in range(args.per_cycle)]
        backend.index(document(n, cycle) for n in ids)
        backend.commit()
        if cycle % every == 0 or cycle == args.cycles:
            size, files = index_size(directory)
            largest = max(largest, size)
            rss = process.memory_info().rss / 2**20
            print(
                f"  {cycle:>8} {size / 2**20:>9.2f} {size / reference:>6.1f} {files:>6} "
                f"{backend.count():>6} {rss:>7.0f}"
            )
    elapsed = time.perf_counter() - start
    rss_end = process.memory_info().rss / 2**20
    backend.close()
    print(
        f"{args.cycles} cycles in {elapsed:.1f} s = {args.cycles / elapsed:.0f} cycles/s; "
        f"largest index {largest / 2**20:.2f} MB = {largest / reference:.1f} × reference; "
        f"RSS start {rss_start:.0f} MB, end {rss_end:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--per-cycle", type=int, default=5)
    parser.add_argument("--dir", help="where to build the indexes (default: a temporary folder)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="edrm-soak-", dir=args.dir))
    try:
        reference = reference_size(args.documents, tmp / "reference")
        print(
            f"reference: {args.documents} documents built once = {reference / 2**20:.2f} MB; "
            f"soak: {args.cycles} cycles of {args.per_cycle} re-indexed documents + commit"
        )
        soak(args, tmp / "soak", reference)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
