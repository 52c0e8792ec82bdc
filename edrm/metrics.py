"""What edrm counts and times, for `GET /metrics` (the Prometheus text format).

The places that count call the small functions here — one call at each — and never
prometheus_client itself. Counters and histograms live in the process that did the work: with
PROMETHEUS_MULTIPROC_DIR set (one empty directory shared by `edrm serve` and the `edrm worker`
processes of one machine, emptied before they start) every process writes its values there
and the process answering /metrics adds them all up (prometheus_client's multiprocess mode).
What describes the database (queue depth, ages, lag, disposal items) is not counted here but
read at scrape time by `edrm.gauges`, so it is right whichever process answers.

prometheus_client is imported when it is first needed, not with this module (it costs a
one-file `edrm ingest` some 0.03 s of CPU): without a multiprocess directory, what is counted
is kept in a short list until a scrape (or a full list: `_MAX_PENDING`) makes the real
counters, which are then given every count kept, in order; a scrape therefore reads exactly
what it would have read had they been made at import. With a multiprocess directory a count
goes to the real counters at once (its value is written to the shared directory), so the
other processes' scrapes see it as before. `REGISTRY`, `CONTENT_TYPE` and the metric objects
(`INGEST_JOBS`, …) are still there by name; asking for a metric makes them all.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.registry import Collector

P = ParamSpec("P")
R = TypeVar("R")
#: Counts kept before the counters are made; one more makes them (a long-lived process that
#: is never scraped does not keep a growing list).
_MAX_PENDING = 256


@dataclass(frozen=True)
class _Spec:
    """One counter or histogram, as prometheus_client is asked to make it."""

    kind: str  # "counter" or "histogram"
    name: str
    documentation: str
    labelnames: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None  # a histogram's; None: prometheus_client's own


_SPECS = {
    "INGEST_JOBS": _Spec(
        "counter",
        "edrm_ingest_jobs",
        "Ingest jobs finished, by outcome (filed, triage, duplicate, failed, lost) and reason",
        ("outcome", "reason"),
    ),
    "OCR_PAGES": _Spec("counter", "edrm_ocr_pages", "Page images sent to OCR"),
    "OCR_SECONDS": _Spec("counter", "edrm_ocr_seconds", "Seconds spent in OCR"),
    "SEARCH_SECONDS": _Spec(
        "histogram",
        "edrm_search_seconds",
        "Search latency, by kind (text, browse, similar, experts)",
        ("kind",),
        (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    ),
    "SCHEDULED_JOBS": _Spec(
        "counter",
        "edrm_scheduler_jobs",
        "Scheduled job runs, by job and result (ok, failed, skipped)",
        ("job", "result"),
    ),
    "SCHEDULED_JOB_SECONDS": _Spec(
        "histogram",
        "edrm_scheduler_job_seconds",
        "How long scheduled jobs ran, by job",
        ("job",),
        (0.1, 1.0, 10.0, 60.0, 300.0, 1800.0, 3600.0, 4 * 3600.0, 12 * 3600.0),
    ),
    "SIGN_IN_FAILURES": _Spec(
        "counter",
        "edrm_sign_in_failures",
        "Failed password sign-ins, by reason (credentials, locked_out, passwords_off)",
        ("reason",),
    ),
    "SIGN_IN_LOCKOUTS": _Spec(
        "counter",
        "edrm_sign_in_lockouts",
        "Sign-in lockouts placed, by kind (account, address)",
        ("kind",),
    ),
    "HTTP_REQUESTS": _Spec(
        "counter",
        "edrm_http_requests",
        "HTTP requests answered, by route (the Flask endpoint), method and status",
        ("route", "method", "status"),
    ),
    "HTTP_SECONDS": _Spec(
        "histogram",
        "edrm_http_request_seconds",
        "HTTP request duration, by route (the Flask endpoint)",
        ("route",),
    ),
}

_lock = threading.Lock()
#: The real counters and histograms, by the names above, and "REGISTRY"; empty until made.
_live: dict[str, Any] = {}
#: Counts not yet given to the real counters: (metric, label values, inc or observe, amount).
_pending: list[tuple[str, dict[str, str], str, float]] = []


def _make() -> dict[str, Any]:
    """The real counters (made once, under the lock), given every count kept so far."""
    if not _live:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        # This process's counters and histograms (not prometheus_client's global registry).
        registry = CollectorRegistry(auto_describe=True)
        made: dict[str, Any] = {"REGISTRY": registry}
        for key, spec in _SPECS.items():
            if spec.kind == "counter":
                made[key] = Counter(
                    spec.name, spec.documentation, spec.labelnames, registry=registry
                )
            else:
                made[key] = Histogram(
                    spec.name,
                    spec.documentation,
                    spec.labelnames,
                    registry=registry,
                    buckets=spec.buckets or Histogram.DEFAULT_BUCKETS,
                )
        for key, labels, op, amount in _pending:
            _apply(made[key], labels, op, amount)
        _pending.clear()
        _live.update(made)
    return _live


def _apply(metric: Any, labels: dict[str, str], op: str, amount: float) -> None:
    child = metric.labels(**labels) if labels else metric
    if op == "inc":
        child.inc(amount)
    else:
        child.observe(amount)


def _count(key: str, labels: dict[str, str], op: str, amount: float) -> None:
    """One count: kept for later, or given to the real metric now (see the module's note)."""
    with _lock:
        if not _live and not multiprocess_dir() and len(_pending) < _MAX_PENDING:
            _pending.append((key, labels, op, amount))
            return
        metric = _make()[key]
    _apply(metric, labels, op, amount)


def __getattr__(name: str) -> Any:
    """`metrics.REGISTRY`, `metrics.INGEST_JOBS` and the others: the real objects, made now;
    `metrics.CONTENT_TYPE`: the media type of what `exposition` gives (prometheus_client's)."""
    if name == "CONTENT_TYPE":
        from prometheus_client.exposition import CONTENT_TYPE_LATEST

        return CONTENT_TYPE_LATEST
    if name == "REGISTRY" or name in _SPECS:
        with _lock:
            return _make()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- the instrumentation points ------------------------------------------------------------


def ingest_job_finished(outcome: str, reason: str | None) -> None:
    _count("INGEST_JOBS", {"outcome": outcome, "reason": reason or ""}, "inc", 1)


@contextmanager
def ocr(pages: int) -> Iterator[None]:
    """Around one OCR call of `pages` page images (counted whether or not it succeeds)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        _count("OCR_PAGES", {}, "inc", pages)
        _count("OCR_SECONDS", {}, "inc", time.perf_counter() - started)


@contextmanager
def search_timer(kind: str) -> Iterator[None]:
    """Around one search of this kind (timed as prometheus_client's `time()` times it)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        _count("SEARCH_SECONDS", {"kind": kind}, "observe", max(time.perf_counter() - started, 0))


def timed_search(kind: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator: each call of the function is one search of this kind."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            with search_timer(kind):
                return function(*args, **kwargs)

        return timed

    return decorate


def scheduled_job(job_id: str, result: str, seconds: float) -> None:
    """One run of a scheduled job, with the result text it reported."""
    kind = "failed" if result.startswith("failed") else "ok"
    if result.startswith("skipped"):
        kind = "skipped"
    _count("SCHEDULED_JOBS", {"job": job_id, "result": kind}, "inc", 1)
    if kind != "skipped":
        _count("SCHEDULED_JOB_SECONDS", {"job": job_id}, "observe", seconds)


def sign_in_failed(reason: str) -> None:
    _count("SIGN_IN_FAILURES", {"reason": reason}, "inc", 1)


def lockout_placed(kind: str) -> None:
    _count("SIGN_IN_LOCKOUTS", {"kind": kind}, "inc", 1)


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    _count("HTTP_REQUESTS", {"route": route, "method": method, "status": str(status)}, "inc", 1)
    _count("HTTP_SECONDS", {"route": route}, "observe", seconds)


# --- the exposition ------------------------------------------------------------------------


class _Collected:
    """A collector's metrics, offered to a scrape's registry without registering its names."""

    def __init__(self, source: Collector | CollectorRegistry) -> None:
        self.source = source

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterable[Any]:
        return self.source.collect()


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text format: every process's counters (multiprocess mode) or this process's, and
    the `extra` collectors (the database gauges), collected now."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.exposition import generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    with _lock:
        own = _make()["REGISTRY"]
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Collected(own))
    for collector in extra:
        registry.register(_Collected(collector))
    return generate_latest(registry)
