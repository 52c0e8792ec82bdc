"""Benchmarks for the records core. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_core.py [--documents N]

Measures, on a fresh SQLite data directory in a temporary folder:
- filing documents (blob write with fsync + rows + audit event), documents per second;
- `audit verify` over the resulting chain, entries per second;
- a folder listing trimmed to what a civil servant may see, milliseconds (median of 20).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from edrm import audit
from edrm.access import Principal
from edrm.db import migrate
from edrm.documents.service import NewDocument, add_document, list_in_node
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import get_node, import_rows
from edrm.people.service import add_user
from edrm.settings import ensure_home, load_settings
from edrm.wiring import build_runtime

PLAN = """code,parent,kind,title,retention
FIN,,function,Finance,
FIN-AP,FIN,activity,Accounts payable,
FIN-AP-INV,FIN-AP,transaction,Supplier invoices,DESTROY-7Y
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"home": str(Path(tmp) / "home"), "database_url": ""})
        ensure_home(settings)
        rt = build_runtime(settings)
        migrate(rt.engine)
        with rt.uow() as s:
            import_rows(s, parse_csv(PLAN))
            clerk = Principal.of(add_user(s, "clerk", "x" * 12, "civil_servant", "OFFICIAL"))

        markings = ["OFFICIAL", "OFFICIAL", "OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET"]
        start = time.perf_counter()
        batch = 100
        for first in range(0, args.documents, batch):
            with rt.uow() as s:
                for n in range(first, min(first + batch, args.documents)):
                    body = f"Invoice {n}\n\nAmount due: £{n * 17 % 9000}.00\n".encode()
                    add_document(
                        s,
                        rt.blobs,
                        io.BytesIO(body),
                        NewDocument(
                            f"invoice-{n}.txt", "FIN-AP-INV", marking=markings[n % len(markings)]
                        ),
                    )
        elapsed = time.perf_counter() - start
        print(
            f"file documents: {args.documents} in {elapsed:.2f} s "
            f"= {args.documents / elapsed:.0f} documents/s (batches of {batch})"
        )

        with rt.uow() as s:
            start = time.perf_counter()
            result = audit.verify(s)
            elapsed = time.perf_counter() - start
        print(
            f"audit verify: {result.checked} entries in {elapsed:.3f} s "
            f"= {result.checked / elapsed:.0f} entries/s (ok={result.ok})"
        )

        timings = []
        with rt.uow() as s:
            node = get_node(s, "FIN-AP-INV")
            for _ in range(20):
                start = time.perf_counter()
                _docs, total = list_in_node(s, node, clerk, page=3, per_page=25)
                timings.append((time.perf_counter() - start) * 1000)
        print(
            f"folder listing (civil servant, page 3 of {total} visible): "
            f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms"
        )
        rt.close()


if __name__ == "__main__":
    main()
