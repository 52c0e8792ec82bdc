"""Start-up times of the `edrm` command line, whole process. Prints figures; asserts nothing.

    .venv/bin/python bench/cli.py [--runs 7] [--edrm PATH] [--documents 8]

On a fresh demo data directory (EDRM_HOME in a temporary folder: `edrm init`, then
`edrm demo --documents 8`; neither is timed), runs each command --runs times, the commands taking
turns so that drift in the machine's speed hits them alike, and prints for each the median wall
time and the median CPU time (user + system of the child; on a shared machine it is steadier than
wall time), beside the references measured in the same run:

    python -c pass            the interpreter's own start (the floor of everything)
    python -c 'import click'  the floor of a click command line
    edrm --version            target <= 0.3 s
    edrm --help               lists every command with its short help
    edrm ingest FILE --into C one new small text file each run (target <= 1.5 s)
    edrm search QUERY
    edrm doc show ID --json

The `edrm` run is the console script beside this interpreter when there is one (else
`python -m edrm`); PYTHONPATH passes through, so a checkout's code is what runs. Bytecode is
cached as an installation caches it (pip compiles every module when it installs): the
children run without PYTHONDONTWRITEBYTECODE, and one untimed round of every command compiles
what they import, so no timed run pays for compiling source. The demo's own ingest unpacks the
language model into the user's cache before anything is timed. Eight demo documents are too few
to train the classifier, so ingest runs on the rules alone; with `--documents 160` (the default
demo, a few minutes to load) a trained model is loaded too (its numpy-only form, without
scikit-learn, when it has one): the line above the table says which.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

TARGETS = {"edrm --version": 0.3, "edrm ingest FILE --into CODE": 1.5}


def _edrm_command(given: str | None) -> list[str]:
    if given:
        return [given]
    script = Path(sys.executable).parent / "edrm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "edrm"]


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one whole process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(
            f"bench/cli.py: {' '.join(argv)} failed ({done.returncode}): "
            f"{done.stderr.decode(errors='replace').strip()[-500:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _classifier(env: dict[str, str]) -> str:
    """Which classifier `edrm ingest` loads in this data directory."""
    models = Path(env["EDRM_HOME"]) / "models"
    pointer = models / "current"
    if not pointer.exists():
        return "rules only, no model"
    name = pointer.read_text(encoding="utf-8").strip()
    if (models / name.replace(".joblib", ".npz")).exists():
        return f"a trained model, {name} in its numpy-only form (no scikit-learn)"
    return f"a trained model, {name} (scikit-learn loads)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (median)")
    parser.add_argument("--edrm", default=None, help="the edrm executable (default: beside python)")
    parser.add_argument("--into", default="FIN-AP-INV", help="the class ingest files into")
    parser.add_argument("--query", default="invoice")
    parser.add_argument("--documents", type=int, default=8, help="demo documents to load")
    args = parser.parse_args()
    edrm = _edrm_command(args.edrm)
    with tempfile.TemporaryDirectory(prefix="edrm-bench-cli-") as tmp:
        env = dict(os.environ, EDRM_HOME=str(Path(tmp) / "home"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # cache bytecode, as an installation does
        print(f"edrm: {' '.join(edrm)}; data directory {env['EDRM_HOME']}", flush=True)
        _run([*edrm, "init"], env)
        _run([*edrm, "demo", "--documents", str(args.documents)], env)
        print(f"demo of {args.documents} documents; classifier: {_classifier(env)}", flush=True)
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()

        def ingest_argv(n: int) -> list[str]:
            path = inbox / f"note-{n}.txt"
            path.write_text(f"Supplier invoice {n} for stationery, {n * 17 % 900} GBP.\n")
            return [*edrm, "ingest", str(path), "--into", args.into, "--json"]

        commands: dict[str, Callable[[int], list[str]]] = {
            "python -c pass": lambda n: [sys.executable, "-c", "pass"],
            "python -c 'import click'": lambda n: [sys.executable, "-c", "import click"],
            "edrm --version": lambda n: [*edrm, "--version"],
            "edrm --help": lambda n: [*edrm, "--help"],
            "edrm ingest FILE --into CODE": ingest_argv,
            f"edrm search {args.query}": lambda n: [*edrm, "search", args.query],
            "edrm doc show 1 --json": lambda n: [*edrm, "doc", "show", "1", "--json"],
        }
        for argv in commands.values():  # untimed: compiles and caches the bytecode
            _run(argv(args.runs), env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for n in range(args.runs):
            for name, argv in commands.items():
                wall, cpu = _run(argv(n), env)
                walls[name].append(wall)
                cpus[name].append(cpu)
    print(f"\nmedians of {args.runs} runs, whole process (load average {os.getloadavg()[0]:.1f})")
    print(f"{'command':<34} {'wall s':>7} {'cpu s':>7} {'target':>7}  vs python -c pass")
    floor = statistics.median(walls["python -c pass"])
    for name in commands:
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpus[name])
        target = f"{TARGETS[name]:.2f}" if name in TARGETS else ""
        print(f"{name:<34} {wall:7.3f} {cpu:7.3f} {target:>7}  {wall / floor:6.1f}x")


if __name__ == "__main__":
    main()
