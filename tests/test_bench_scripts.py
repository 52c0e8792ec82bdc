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
