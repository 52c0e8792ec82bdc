"""Search benchmark. Prints figures; asserts nothing.

    .venv/bin/python bench/search.py [--docs N] [--queries Q] [--dir PATH] [--keep] [--reuse]

Builds a seeded synthetic corpus (titles and ~300-word bodies drawn from a Zipf-like word
distribution: a real English head of function and government words, then a long tail of
made-up words), indexes it through `TantivyBackend.rebuild` (documents per second, corpus
generation time excluded) and through `index`+`commit` batches (the indexer's path), then times
query mixes through `TantivyBackend.search` as a person with a visibility filter (3 of 4
markings, 200 of 1,000 access keys), and the same queries directly on the tantivy index
(`searcher.search` without our layer: no visibility filter, no parsing of our language) in the
same run, with the ratio; and the same work done by hand on tantivy (our visibility clauses,
the page's stored documents, facets and snippets where the mix asks for them). Each column
gives wall-clock percentiles and the mean CPU per query (every thread of the process, so a
helper thread's work is counted). Peak memory is the process's RSS (psutil, sampled every 20 ms) and
its anonymous (non-file) part.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import psutil
import tantivy
from tantivy import FieldType, Occur, Query

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] != str(ROOT):  # ahead of bench/ itself, whose search.py would shadow search/
    sys.path.insert(0, str(ROOT))

from search.base import FACETS, IndexedDocument, SearchQuery, Visibility  # noqa: E402
from search.tantivy_backend import TantivyBackend  # noqa: E402
from search.tantivy_schema import FACET_FIELDS  # noqa: E402
from search.tantivy_store import read_pointer  # noqa: E402

_HEAD_TEXT = """
the of and to a in is that for it as was with be by on not he this are or his from at which but
have an they you were her she there been one all we their has would when if so no will can more
other what about up out them some into its only time could new these two may then do first any
my now such like our over man me even most made after also did many before must through back
years where much your way well down should because each just those people how too little state
good very make world still own see men work long get here between both life being under never
day same another know while last might us great old year off come since against go came right
used take three council department minister policy public service services report review board
committee meeting minutes budget finance financial contract contracts procurement supplier
suppliers invoice invoices payment payments tender tenders risk register records record
management information data security access officer officers staff employee employees appraisal
guidance strategy plan plans project projects programme flood defence defences river water
environment planning housing transport road roads school schools health safety social care
training audit compliance legal case cases claim claims hearing notes letter memo email request
requests response consultation approval approved draft final annual quarterly monthly local
national regional central government authority agency office offices section unit team teams
manager managers director directors chief executive secretary treasury cabinet parliament bill
act regulation regulations standard standards framework assessment evaluation performance
target targets outcome outcomes cost costs savings income expenditure capital revenue grant
grants fund funding asset assets property estate building buildings maintenance repair repairs
equipment system systems network software licence licences digital online website portal
application applications permit permits inspection inspections incident incidents emergency
response recovery resilience security vetting clearance classification retention disposal
archive transfer
"""
HEAD = _HEAD_TEXT.split()
TAIL_WORDS = 60_000
ZIPF_S = 1.07
MARKINGS = ["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"]
MARKING_WEIGHTS = [0.70, 0.20, 0.08, 0.02]
_TYPES_TEXT = "letter memo report minutes invoice contract email spreadsheet guidance case"
TYPES = _TYPES_TEXT.split()
ONSETS = "b c d f g h j k l m n p r s t v w br cr dr fl gr pl pr sh st th tr"
VOWELS = "a e i o u ai ea ee oo ou"
N_CLASSES, N_CREATORS, N_NODES, PERSON_KEYS = 300, 2000, 1000, 200


def vocabulary(rng: random.Random) -> list[str]:
    onsets = ONSETS.split()
    vowels = VOWELS.split()
    codas = ["", "n", "r", "s", "t", "l", "nd", "st", "ng", "rk", "ck"]
    seen = set(HEAD)
    words = list(dict.fromkeys(HEAD))
    while len(words) < len(HEAD) + TAIL_WORDS:
        word = "".join(
            rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
            for _ in range(rng.choice((1, 2, 2, 2, 3)))
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


@dataclass
class Corpus:
    """A seeded stream of documents; `seconds` is the time spent generating them."""

    size: int
    seed: int = 42
    seconds: float = 0.0

    def __post_init__(self) -> None:
        words = vocabulary(random.Random(self.seed))
        self.words = words
        self.head = set(words[:150])
        self.spaced = np.array([f"{w} " for w in words], dtype=object)
        self.char_lengths = np.array([len(w) + 1 for w in words], dtype=np.int64)
        self.phrases: list[str] = []
        start = datetime(2010, 1, 1, tzinfo=UTC)
        self.days = [start + timedelta(days=d) for d in range(16 * 365)]
        self.classes = [f"C{i:03d}" for i in range(N_CLASSES)]
        self.creators = [f"Person {i:04d}" for i in range(N_CREATORS)]
        self.nodes = [f"node:{i}" for i in range(N_NODES)]

    def phrase(self, body: str) -> str:
        """Two adjacent words of `body`, not both among the 150 commonest (people search for
        "risk register", not "of the")."""
        tokens = body.split(" ")
        for a, b in itertools.pairwise(tokens[10:]):
            if a not in self.head or b not in self.head:
                return f"{a} {b}"
        return " ".join(tokens[:2])

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Word ranks (0-based) with P(rank r) roughly proportional to r ** -ZIPF_S."""
        top = float(len(self.words) + 1)
        u = rng.random(n)
        ranks = ((top ** (1 - ZIPF_S) - 1) * u + 1) ** (1 / (1 - ZIPF_S))
        return np.minimum(ranks.astype(np.int64) - 1, len(self.words) - 1)

    def texts(self, rng: np.random.Generator, lengths: np.ndarray) -> list[str]:
        """One string per length, of that many words, built with one join per chunk."""
        ranks = self.draw(rng, int(lengths.sum()))
        big = "".join(self.spaced[ranks].tolist())
        ends = np.cumsum(self.char_lengths[ranks])
        word_ends = np.cumsum(lengths)
        char_ends = ends[word_ends - 1]
        char_starts = np.concatenate(([0], char_ends[:-1]))
        return [
            big[a : b - 1] for a, b in zip(char_starts.tolist(), char_ends.tolist(), strict=True)
        ]

    def __iter__(self) -> Iterator[IndexedDocument]:
        rng = np.random.default_rng(self.seed)
        chunk = 5000
        for first in range(0, self.size, chunk):
            t0 = time.perf_counter()
            n = min(chunk, self.size - first)
            bodies = self.texts(rng, np.clip(rng.normal(300, 60, n).astype(np.int64), 50, 600))
            titles = self.texts(rng, rng.integers(4, 10, n))
            classes = (self.draw(rng, n) % N_CLASSES).tolist()
            creators = (self.draw(rng, n) % N_CREATORS).tolist()
            markings = rng.choice(len(MARKINGS), n, p=MARKING_WEIGHTS).tolist()
            types = rng.integers(0, len(TYPES), n).tolist()
            nodes = rng.integers(0, N_NODES, (n, 2)).tolist()
            two_keys = (rng.random(n) < 0.3).tolist()
            days = rng.integers(0, len(self.days), n).tolist()
            docs = []
            for i in range(n):
                if len(self.phrases) < 400 and i % 97 == 0:
                    self.phrases.append(self.phrase(bodies[i]))
                doc_id = first + i + 1
                created = self.days[days[i]]
                a, b = nodes[i]
                docs.append(
                    IndexedDocument(
                        id=doc_id,
                        title=titles[i].capitalize(),
                        body=bodies[i],
                        class_code=self.classes[classes[i]],
                        folder_code=f"{self.classes[classes[i]]}-F{created.year}",
                        doc_type=TYPES[types[i]],
                        creator=self.creators[creators[i]],
                        marking=MARKINGS[markings[i]],
                        created=created,
                        references=(f"REF/{created.year}/{doc_id:07d}",),
                        access_keys=(self.nodes[a], self.nodes[b])
                        if two_keys[i]
                        else (self.nodes[a],),
                    )
                )
            self.seconds += time.perf_counter() - t0
            yield from docs


class MemoryWatch:
    """Peak RSS and peak anonymous RSS of this process, sampled in a thread."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak_rss = 0
        self.peak_anon = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        self.peak_rss = max(self.peak_rss, self.proc.memory_info().rss)
        try:
            with open("/proc/self/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("RssAnon:"):
                        self.peak_anon = max(self.peak_anon, int(line.split()[1]) * 1024)
        except OSError:
            pass

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self._sample()

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


@dataclass
class Mix:
    name: str
    ours: list[Callable[[], object]]
    bare: list[Callable[[], object]]
    by_hand: list[Callable[[], object]]


def build_mixes(
    backend: TantivyBackend, directory: Path, corpus: Corpus, person: Visibility, count: int
) -> list[Mix]:
    """Each mix: our search service, the bare engine (the same query, count and top 20, nothing
    else), and the engine doing our work by hand (the same visibility clauses, the page's
    stored documents, and facets and snippets where the mix asks for them)."""
    rng = random.Random(7)
    words = corpus.words
    generation = read_pointer(directory)
    assert generation is not None
    index = tantivy.Index.open(str(directory / generation))
    schema = index.schema
    searcher = index.searcher()
    assert person.keys is not None
    restrict = [
        (Occur.Must, Query.term_set_query(schema, "keys", sorted(person.keys))),
        (Occur.MustNot, Query.term_query(schema, "marking", "TOP SECRET")),
    ]
    aggs = {name: {"terms": {"field": FACET_FIELDS[name], "size": 50}} for name in FACETS}

    def parsed(text: str) -> Query:
        return index.parse_query(
            text, ["title", "body"], field_boosts={"title": 3.0}, conjunction_by_default=True
        )

    def bare(query: Query) -> Callable[[], object]:
        return lambda: searcher.search(query, 20, count=True)

    def by_hand(query: Query, full: bool = False) -> Callable[[], object]:
        restricted = Query.boolean_query([(Occur.Must, query), *restrict])

        def run() -> object:
            found = searcher.search(restricted, 20, count=True)
            docs = [searcher.doc(address) for _, address in found.hits]
            if full:
                searcher.aggregate(restricted, aggs)
                snippets = tantivy.SnippetGenerator.create(searcher, query, schema, "body")
                return [snippets.snippet_from_doc(doc).to_html() for doc in docs]
            return docs

        return run

    def ours(text: str, full: bool = False, **kw: object) -> Callable[[], object]:
        facets = tuple(FACETS) if full else ()
        query = SearchQuery(text, person, facets=facets, highlight=full, **kw)  # type: ignore[arg-type]
        return lambda: backend.search(query)

    def mix(name: str, texts: list[str], full: bool = False) -> Mix:
        return Mix(
            name,
            [ours(t, full) for t in texts],
            [bare(parsed(t)) for t in texts],
            [by_hand(parsed(t), full) for t in texts],
        )

    def common_pair() -> str:
        return f"{words[rng.randrange(0, 150)]} {words[rng.randrange(150, 400)]}"

    mixes = [
        mix("selective terms", [words[rng.randrange(2_000, 20_000)] for _ in range(count)]),
        mix("common terms", [common_pair() for _ in range(count)]),
        mix("phrases", [f'"{corpus.phrases[i % len(corpus.phrases)]}"' for i in range(count)]),
    ]
    fielded = Mix("fielded with filters", [], [], [])
    for _ in range(count):
        word = words[rng.randrange(100, 3_000)]
        lo = rng.randrange(2010, 2022)
        cls = f"C{rng.randrange(0, 20):03d}"
        types = ["letter", "memo", "report"]
        fielded.ours.append(
            ours(f"title:{word} year:{lo}..{lo + 3}", filters={"class": [cls], "type": types})
        )
        query = Query.boolean_query(
            [
                (Occur.Must, index.parse_query(f"title:{word}")),  # analysed: the word's stem
                (Occur.Must, Query.range_query(schema, "year", FieldType.Unsigned, lo, lo + 3)),
                (Occur.Must, Query.term_query(schema, "class_code", cls)),
                (Occur.Must, Query.term_set_query(schema, "doc_type", types)),
            ]
        )
        fielded.bare.append(bare(query))
        fielded.by_hand.append(by_hand(query))
    mixes.append(fielded)
    faceted = [words[rng.randrange(150, 2_000)] for _ in range(count)]
    mixes.append(mix("faceted with highlights", faceted, full=True))
    mixes.append(mix("common terms, whole page", [common_pair() for _ in range(count)], True))
    return mixes


@dataclass
class Timing:
    """Milliseconds per query: wall clock, and CPU of the whole process (every thread)."""

    wall: list[float]
    cpu: list[float]

    @property
    def p50(self) -> float:
        return percentiles(self.wall)[0]

    @property
    def p95(self) -> float:
        return percentiles(self.wall)[1]

    @property
    def p99(self) -> float:
        return percentiles(self.wall)[2]

    @property
    def cpu_mean(self) -> float:
        return statistics.mean(self.cpu)


def typo_mix(
    backend: TantivyBackend, directory: Path, corpus: Corpus, person: Visibility, count: int
) -> Mix:
    """Misspelt words (a letter dropped): ours offers "did you mean"; by hand is the same word
    searched within the visibility clauses, with the page's stored documents (and no
    spelling: tantivy has none), so the ratio is what did-you-mean costs on top."""
    typos = [
        w[:3] + w[4:] for w in (str(corpus.words[i]) for i in range(200, 200 + count)) if len(w) > 5
    ]

    def ours(text: str) -> Callable[[], object]:
        query = SearchQuery(text, person, facets=(), highlight=False)
        return lambda: backend.search(query)

    generation = read_pointer(directory)
    assert generation is not None and person.keys is not None
    index = tantivy.Index.open(str(directory / generation))
    searcher = index.searcher()
    restrict = [
        (Occur.Must, Query.term_set_query(index.schema, "keys", sorted(person.keys))),
        (Occur.MustNot, Query.term_query(index.schema, "marking", "TOP SECRET")),
    ]

    def by_hand(text: str) -> Callable[[], object]:
        query = index.parse_query(
            text, ["title", "body"], field_boosts={"title": 3.0}, conjunction_by_default=True
        )
        restricted = Query.boolean_query([(Occur.Must, query), *restrict])

        def run() -> object:
            found = searcher.search(restricted, 20, count=True)
            return [searcher.doc(address) for _, address in found.hits]

        return run

    return Mix("typo (did you mean)", [ours(t) for t in typos], [], [by_hand(t) for t in typos])


def timed(calls: list[Callable[[], object]]) -> Timing:
    for call in calls[:5]:  # warm-up
        call()
    wall, cpu = [], []
    for call in calls:
        c0, t0 = time.process_time(), time.perf_counter()
        call()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return Timing(wall, cpu)


HEADER = (
    f"{'mix':<26} {'ours p50':>8} {'p95':>6} {'p99':>6} {'cpu':>6} | {'bare p50':>8} {'p95':>6} | "
    f"{'by hand p50':>11} {'p95':>6} {'cpu':>6} | {'p95 ratio: bare':>15} {'by hand':>7}"
)


def row(name: str, ours: Timing, bare: Timing | None, hand: Timing) -> str:
    """One line of the table: ours, the bare engine (when there is one), by hand, ratios."""
    bare_cols = f"{bare.p50:>6.1f}ms {bare.p95:>4.1f}ms" if bare else f"{'-':>8} {'-':>6}"
    bare_ratio = f"{ours.p95 / bare.p95:>14.1f}x" if bare else f"{'-':>15}"
    return (
        f"{name:<26} {ours.p50:>6.1f}ms {ours.p95:>4.1f}ms {ours.p99:>4.1f}ms "
        f"{ours.cpu_mean:>4.1f}ms | {bare_cols} | {hand.p50:>9.1f}ms {hand.p95:>4.1f}ms "
        f"{hand.cpu_mean:>4.1f}ms | {bare_ratio} {ours.p95 / hand.p95:>6.1f}x"
    )


def fmt_mb(n: int) -> str:
    return f"{n / 1_048_576:,.0f} MB"


def index_corpus(
    backend: TantivyBackend,
    corpus: Corpus,
    workdir: Path,
    docs_wanted: int,
    progress: Callable[[int], None],
) -> None:
    """Rebuild with `corpus`, then add 2,000 more documents through index+commit batches."""
    t0 = time.perf_counter()
    backend.rebuild(corpus, progress)
    elapsed = time.perf_counter() - t0
    index_seconds = elapsed - corpus.seconds
    size = sum(p.stat().st_size for p in workdir.rglob("*") if p.is_file())
    print(
        f"rebuild: {docs_wanted / index_seconds:,.0f} documents/s indexing "
        f"({index_seconds:.1f} s; corpus generation {corpus.seconds:.1f} s more; "
        f"end to end {docs_wanted / elapsed:,.0f} documents/s); index {fmt_mb(size)} on disk"
    )

    extra = Corpus(2_000, seed=99)
    batch_latency = []
    docs = list(extra)
    for start in range(0, len(docs), 100):
        batch = [
            IndexedDocument(
                id=docs_wanted + d.id,
                title=d.title,
                body=d.body,
                class_code=d.class_code,
                folder_code=d.folder_code,
                doc_type=d.doc_type,
                creator=d.creator,
                marking=d.marking,
                created=d.created,
                references=d.references,
                access_keys=d.access_keys,
            )
            for d in docs[start : start + 100]
        ]
        t1 = time.perf_counter()
        backend.index(batch)
        backend.commit()
        batch_latency.append((time.perf_counter() - t1) * 1000)
    p50, p95, _ = percentiles(batch_latency)
    print(
        f"indexer path: batches of 100 documents, index+commit p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms ({100_000 / statistics.mean(batch_latency):,.0f} documents/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per mix")
    parser.add_argument("--dir", type=Path, default=None, help="index directory (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the index directory")
    parser.add_argument("--heap-mb", type=int, default=256, help="indexing heap")
    parser.add_argument(
        "--reuse", action="store_true", help="with --dir: query the index already there, if whole"
    )
    parser.add_argument(
        "--no-helper-threads",
        action="store_true",
        help="search on the calling thread alone (facets after the hits, not meanwhile)",
    )
    args = parser.parse_args()

    workdir = args.dir or Path(tempfile.mkdtemp(prefix="edrm-bench-search-"))
    print(
        f"search bench: {args.docs:,} documents, {args.queries} queries per mix, index in {workdir}"
    )
    print(
        f"machine: {psutil.cpu_count()} cores, tantivy {tantivy.__version__}, helper threads "
        f"{'off' if args.no_helper_threads else 'on'}"
    )
    with MemoryWatch() as memory:
        backend = TantivyBackend(
            workdir,
            writer_heap_bytes=args.heap_mb * 1_000_000,
            helper_threads=not args.no_helper_threads,
        )
        corpus = Corpus(args.docs)
        done = {"n": 0}

        def progress(n: int) -> None:
            if n % 100_000 == 0 and n != done["n"]:
                print(f"  indexed {n:,}", flush=True)
            done["n"] = n

        if args.reuse and not backend.needs_rebuild() and backend.count() >= args.docs:
            print(f"reusing the index of {backend.count():,} documents in {workdir}")
            sample = Corpus(min(args.docs, 40_000))  # the same first documents: their phrases
            for _ in sample:
                pass
            corpus.phrases = sample.phrases
        else:
            index_corpus(backend, corpus, workdir, args.docs, progress)
        keys = frozenset(f"node:{i}" for i in random.Random(3).sample(range(N_NODES), PERSON_KEYS))
        person = Visibility(frozenset(MARKINGS[:3]), keys)
        everything = Visibility.everything()
        visible = backend.search(SearchQuery("", person, facets=(), highlight=False)).total
        total = backend.search(SearchQuery("", everything, facets=(), highlight=False)).total
        print(
            f"person: 3 of 4 markings, {PERSON_KEYS} of {N_NODES} access keys: "
            f"sees {visible:,} of {total:,} documents"
        )
        gc.collect()
        print(HEADER)
        print(f"{'':<26} (cpu: mean CPU per query, every thread of the process)")
        mixes = build_mixes(backend, workdir, corpus, person, args.queries)
        for mix in [*mixes, typo_mix(backend, workdir, corpus, person, args.queries)]:
            ours = timed(mix.ours)
            bare = timed(mix.bare) if mix.bare else None
            hand = timed(mix.by_hand)
            print(row(mix.name, ours, bare, hand), flush=True)
        lat = timed(
            [lambda i=i: backend.similar(i, person) for i in range(1, args.docs, args.docs // 200)]
        )
        print(
            f"{'similar records':<26} {lat.p50:>6.1f}ms {lat.p95:>4.1f}ms {lat.p99:>4.1f}ms "
            f"{lat.cpu_mean:>4.1f}ms"
        )
        backend.close()
    print(f"peak memory: RSS {fmt_mb(memory.peak_rss)} (anonymous {fmt_mb(memory.peak_anon)})")
    if not args.keep and args.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
