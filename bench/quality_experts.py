"""Expert finding on real data (issue 15 part 2), as a person runs it, beside a TF-IDF profile.

    .venv/bin/python bench/quality.py --part experts [--data DIR] [--quick]
    .venv/bin/python bench/quality_experts.py [--data DIR] [--quick] [--keep DIR]

Reads ``DATA/expertise-dev/`` (people.csv, documents.jsonl, queries.jsonl, queries-title.jsonl;
its README gives the source and licence) and copies nothing into the repository. In a fresh
EDRM_HOME in a temporary directory it runs the real CLI entry point: ``edrm init``, ``edrm
fileplan import`` (one class for the papers), ``edrm user add`` for every person and for the
records manager who files and asks, then ``edrm ingest --into RES-PUB-PAP --creator A
--creator B ... FILES`` once per set of co-authors (every paper filed once, naming all its
authors from people.csv), then ``edrm expert find --batch FILE --json --limit 100`` once per
query style as a subprocess. The ranking it prints is scored by MAP and nDCG@10 (binary
relevance, log2 discount, people it does not list ranked last) beside the baseline of the
data set's README, recomputed here in the same run on the same documents and queries: a
``TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2)`` fitted on the
documents, each person's profile the concatenation of their documents, ranked by cosine.

``--quick`` keeps 60 people (seeded), the documents with at least one of them and the queries
that have one of them among their authors. Nothing asserts: the figures are for people to read.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality_figures import Figure, table  # noqa: E402

CLASS = "RES-PUB-PAP"
ASKER = "registrar"
QUICK_PEOPLE = 60
SEED = 20240601
_PLAN = """
[[node]]
code = "RES"
parent = ""
kind = "function"
title = "Research"
description = "The organisation's research."
marking = "OFFICIAL"
access = []
owner_unit = "Research"

[[node]]
code = "RES-PUB"
parent = "RES"
kind = "activity"
title = "Publications"
description = "Papers written by staff."
marking = "OFFICIAL"
access = []
owner_unit = "Research"

[[node]]
code = "RES-PUB-PAP"
parent = "RES-PUB"
kind = "transaction"
title = "Papers"
description = "Published papers and their abstracts."
marking = "OFFICIAL"
access = []
owner_unit = "Research"
retention = "REVIEW-10Y"
"""


@dataclass(frozen=True)
class DevSet:
    people: list[tuple[str, str]]  # (username, name)
    documents: list[dict]
    queries: dict[str, list[dict]]  # file name -> queries


def _lines(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load(data: Path, quick: bool) -> DevSet:
    root = data / "expertise-dev"
    with open(root / "people.csv", encoding="utf-8") as fh:
        people = [(r["username"], r["name"]) for r in csv.DictReader(fh)]
    documents = _lines(root / "documents.jsonl")
    queries = {name: _lines(root / name) for name in ("queries.jsonl", "queries-title.jsonl")}
    if not quick:
        return DevSet(people, documents, queries)
    kept = {u for u, _n in random.Random(SEED).sample(people, QUICK_PEOPLE)}
    people = [p for p in people if p[0] in kept]
    documents = [
        {**d, "author_usernames": [u for u in d["author_usernames"] if u in kept]}
        for d in documents
        if any(u in kept for u in d["author_usernames"])
    ]
    for name, found in queries.items():
        queries[name] = [
            {**q, "relevant": {u: g for u, g in q["relevant"].items() if u in kept}}
            for q in found
            if any(u in kept for u in q["relevant"])
        ]
    return DevSet(people, documents, queries)


# --- metrics ------------------------------------------------------------------------------------


def average_precision(ranked: Sequence[str], relevant: dict[str, float]) -> float:
    hits, total = 0, 0.0
    for i, person in enumerate(ranked, 1):
        if person in relevant:
            hits += 1
            total += hits / i
    return total / max(1, len(relevant))


def ndcg_at_10(ranked: Sequence[str], relevant: dict[str, float]) -> float:
    dcg = sum(relevant.get(u, 0.0) / math.log2(i + 1) for i, u in enumerate(ranked[:10], 1))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, 1))
    return dcg / idcg if idcg > 0 else 0.0


def scores(
    rankings: list[list[str]], queries: list[dict], people: list[str]
) -> tuple[float, float]:
    """MAP and nDCG@10; people a ranking leaves out follow it in username order."""
    ap = nd = 0.0
    for ranked, query in zip(rankings, queries, strict=True):
        shown = [u for u in ranked if u in set(people)]
        full = shown + sorted(set(people) - set(shown))
        relevant = {u: float(g) for u, g in query["relevant"].items()}
        ap += average_precision(full, relevant)
        nd += ndcg_at_10(full, relevant)
    n = max(1, len(queries))
    return ap / n, nd / n


# --- the baseline -------------------------------------------------------------------------------


def tfidf_profile(dev: DevSet, queries: list[dict]) -> list[list[str]]:
    """The README's TF-IDF profile baseline: every person ranked by cosine with the query."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    people = [u for u, _n in dev.people]
    texts = [d["title"] + ". " + d["text"] for d in dev.documents]
    vectoriser = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2)
    vectoriser.fit(texts)
    profile: dict[str, list[str]] = defaultdict(list)
    for document, text in zip(dev.documents, texts, strict=True):
        for person in document["author_usernames"]:
            profile[person].append(text)
    matrix = normalize(vectoriser.transform([" ".join(profile[u]) for u in people]))
    asked = normalize(vectoriser.transform([q["text"] for q in queries]))
    similarity = (asked @ matrix.T).toarray()
    rankings = []
    for row in similarity:
        order = sorted(range(len(people)), key=lambda j: (-row[j], j))
        rankings.append([people[j] for j in order])
    return rankings


# --- edrm, through its CLI ----------------------------------------------------------------------


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["EDRM_HOME"] = str(home)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def edrm(home: Path, *args: str, stdin: str | None = None) -> str:
    """`edrm ARGS` as a subprocess, as a person runs it; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "edrm", *args],
        env=_env(home),
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"edrm {' '.join(args[:3])} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


@contextmanager
def _in_process(home: Path) -> Iterator[object]:
    """click's runner against the real entry point (`edrm.cli.main`): the same commands, without
    starting Python for each of the many calls."""
    from click.testing import CliRunner

    if sys.path[0] != str(ROOT):  # bench/ holds a search.py that would hide the package
        sys.path.insert(0, str(ROOT))
    from edrm.cli import main

    runner = CliRunner()
    env = {"EDRM_HOME": str(home)}

    def call(*args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> str:
        result = runner.invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)
        if result.exit_code not in ok:
            raise RuntimeError(f"edrm {' '.join(args[:3])} failed: {result.output[-2000:]}")
        return result.output

    yield call


def build(home: Path, dev: DevSet, work: Path) -> dict[str, float]:
    """A fresh data directory with the people and every paper filed through the CLI; the
    seconds each stage took."""
    took: dict[str, float] = {}
    start = time.perf_counter()
    edrm(home, "init")
    plan = work / "plan.toml"
    plan.write_text(_PLAN, encoding="utf-8")
    edrm(home, "fileplan", "import", str(plan))
    with _in_process(home) as call:
        assert callable(call)
        call(
            "user", "add", ASKER, "--role", "records_manager", "--clearance", "SECRET",
            "--full-name", "Registry Clerk", "--password-stdin", stdin="correct horse battery\n",
        )  # fmt: skip
        for username, name in dev.people:
            call(
                "user", "add", username, "--role", "civil_servant", "--clearance", "OFFICIAL",
                "--full-name", name, "--password-stdin", stdin="correct horse battery\n",
            )  # fmt: skip
        took["people"] = time.perf_counter() - start
        start = time.perf_counter()
        by_authors: dict[tuple[str, ...], list[Path]] = defaultdict(list)
        papers = work / "papers"
        for n, document in enumerate(dev.documents):
            folder = papers / f"{n // 500:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"paper-{n:05d}.txt"
            path.write_text(f"{document['title']}\n\n{document['text']}\n", encoding="utf-8")
            by_authors[tuple(document["author_usernames"])].append(path)
        for authors, paths in by_authors.items():
            creators = [arg for u in authors for arg in ("--creator", u)]
            out = call(
                "ingest", "--as", ASKER, "--into", CLASS, "--json", *creators, *map(str, paths),
                ok=(0, 1),
            )  # fmt: skip
            lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            took["failed"] = took.get("failed", 0) + sum(1 for x in lines if x["status"] != "filed")
    took["ingest"] = time.perf_counter() - start
    return took


def ask(home: Path, queries: list[dict], work: Path) -> tuple[list[list[str]], float]:
    """`edrm expert find --batch` over the queries (one line each): the usernames it ranks."""
    batch = work / "queries.txt"
    batch.write_text("".join(" ".join(q["text"].split()) + "\n" for q in queries), encoding="utf-8")
    start = time.perf_counter()
    out = edrm(
        home, "expert", "find", "--as", ASKER, "--batch", str(batch), "--json", "--limit", "100"
    )
    took = time.perf_counter() - start
    rankings = [[p["username"] for p in json.loads(line)["people"]] for line in out.splitlines()]
    return rankings, took


def measure(data: Path, quick: bool, keep: Path | None = None) -> list[Figure]:
    dev = load(data, quick)
    people = [u for u, _n in dev.people]
    work = Path(tempfile.mkdtemp(prefix="edrm-quality-experts-"))
    home = work / "home"
    figures: list[Figure] = []
    try:
        took = build(home, dev, work)
        sample = (
            f"{len(people)} people, {len(dev.documents)} papers"
            f"{' (quick)' if quick else ''}; filed in {took['ingest']:.0f} s"
            f" ({took.get('failed', 0):.0f} not filed)"
        )
        for name, style in (("queries.jsonl", "paragraph"), ("queries-title.jsonl", "title")):
            queries = dev.queries[name]
            rankings, seconds = ask(home, queries, work)
            edrm_map, edrm_ndcg = scores(rankings, queries, people)
            base_map, base_ndcg = scores(tfidf_profile(dev, queries), queries, people)
            note = f"{len(queries)} queries, {seconds / max(1, len(queries)):.2f} s each; {sample}"
            figures.append(
                Figure("experts", f"MAP ({style} queries)", edrm_map, "TF-IDF profile", base_map,
                       note=note)
            )  # fmt: skip
            figures.append(
                Figure("experts", f"nDCG@10 ({style} queries)", edrm_ndcg, "TF-IDF profile",
                       base_ndcg)
            )  # fmt: skip
    finally:
        if keep is not None:
            shutil.copytree(home, keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", type=Path, help="copy the data directory here afterwards")
    args = parser.parse_args()
    print(table(measure(args.data, args.quick, args.keep)))


if __name__ == "__main__":
    main()
