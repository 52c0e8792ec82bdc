"""Soak benchmark: the tantivy index over many update cycles. Prints figures; asserts nothing.

    .venv/bin/python bench/soak.py [--cycles 100000] [--documents 200] [--per-cycle 5] [--dir D]

Through the product's search backend (`TantivyBackend.index` + `commit`, the indexer's path),
re-indexes the same `--documents` documents over and over: each cycle replaces `--per-cycle`
of them and commits, as the indexer does for a small outbox batch. At intervals it prints the
index's size on disk (all files of the current generation) and the number of files, the
searchable document count, and the process's RSS (psutil). Beside them, two references in the
same run: the size of the same documents freshly built once (`TantivyBackend.rebuild`) — a
bounded index stays within a small multiple of it, one that never collects old segments grows
with the cycles — and, in a child process of its own (so its RSS is its own), the same cycles
straight on tantivy without our layer (`--raw`): memory that grows there grows in the engine.

Both ask glibc for two malloc arenas, as `edrm serve` and `edrm worker` do
(`edrm.malloc_arenas`); `--glibc-arenas` leaves glibc's default. The raw reference keeps one
index object for all its cycles; the product reopens its index every `REOPEN_EVERY` commits
(search.tantivy_backend), which is what keeps its memory flat.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import tantivy
from tantivy import Query

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose search.py would hide the search package

from edrm.malloc_arenas import ARENAS, limit_malloc_arenas  # noqa: E402
from search.base import IndexedDocument  # noqa: E402
from search.tantivy_backend import TantivyBackend  # noqa: E402
from search.tantivy_schema import build_schema, to_document  # noqa: E402
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


class RawTantivy:
    """The reference: the same cycles straight on tantivy (delete by id, add, commit, reload),
    without our layer (no lock, no generations, no error mapping)."""

    def __init__(self, directory: Path) -> None:
        self.generation = directory / "raw"
        self.generation.mkdir(parents=True)
        self.engine = tantivy.Index(build_schema(), path=str(self.generation))
        self.writer = self.engine.writer(128_000_000, 0)

    def index(self, docs: Iterable[IndexedDocument]) -> None:
        docs = list(docs)
        ids = sorted(doc.id for doc in docs)
        self.writer.delete_documents_by_query(Query.term_set_query(self.engine.schema, "id", ids))
        for doc in docs:
            self.writer.add_document(to_document(doc))

    def commit(self) -> None:
        self.writer.commit()
        self.engine.reload()

    def count(self) -> int:
        return int(self.engine.searcher().num_docs)

    def close(self) -> None:
        del self.writer


def index_size(generation: Path) -> tuple[int, int]:
    """Bytes and files of an index directory."""
    size = count = 0
    for path in generation.rglob("*"):
        try:  # a merge may remove a file between listing and stat
            size += path.stat().st_size if path.is_file() else 0
            count += path.is_file()
        except FileNotFoundError:
            continue
    return size, count


def reference_size(documents: int, where: Path) -> int:
    with TantivyBackend(where) as fresh:
        fresh.rebuild(document(n, 0) for n in range(documents))
    return index_size(where / str(read_pointer(where)))[0]


def soak(args: argparse.Namespace, directory: Path, reference: int) -> None:
    process = psutil.Process()
    every = max(1, args.cycles // 10)
    backend: TantivyBackend | RawTantivy
    if args.raw:
        backend = RawTantivy(directory)
        backend.index(document(n, 0) for n in range(args.documents))
        backend.commit()
    else:
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
            generation = (
                backend.generation if args.raw else directory / str(read_pointer(directory))
            )
            size, files = index_size(generation)
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
    parser.add_argument(
        "--reference-cycles",
        type=int,
        default=None,
        help="cycles of the raw-tantivy reference, in a child process (default: --cycles; 0: none)",
    )
    parser.add_argument("--raw", action="store_true", help="run only the raw-tantivy reference")
    parser.add_argument(
        "--glibc-arenas",
        action="store_true",
        help="leave glibc's malloc arenas as they are (edrm serve and worker ask for two)",
    )
    args = parser.parse_args()
    arenas = "glibc's default" if args.glibc_arenas or not limit_malloc_arenas() else ARENAS
    print(f"malloc arenas: {arenas}")
    tmp = Path(tempfile.mkdtemp(prefix="edrm-soak-", dir=args.dir))
    try:
        reference = reference_size(args.documents, tmp / "reference")
        what = "raw tantivy, no product layer" if args.raw else "TantivyBackend"
        print(
            f"{what}: {args.cycles} cycles of {args.per_cycle} re-indexed documents + commit; "
            f"reference size: {args.documents} documents built once = {reference / 2**20:.2f} MB"
        )
        soak(args, tmp / "soak", reference)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    more = args.cycles if args.reference_cycles is None else args.reference_cycles
    if not args.raw and more > 0:
        sys.stdout.flush()
        command = [sys.executable, __file__, "--raw", "--cycles", str(more)]
        command += ["--glibc-arenas"] if args.glibc_arenas else []
        command += ["--documents", str(args.documents), "--per-cycle", str(args.per_cycle)]
        subprocess.run([*command, *(["--dir", args.dir] if args.dir else [])], check=True)


if __name__ == "__main__":
    main()
