"""What edrm counts and times, for `GET /metrics` (the Prometheus text format).

The places that count call the small functions here — one call at each — and never
prometheus_client itself. Counters and histograms live in the process that did the work: with
PROMETHEUS_MULTIPROC_DIR set (one empty directory shared by `edrm serve` and the `edrm worker`
processes of one machine, emptied before they start) every process writes its values there
and the process answering /metrics adds them all up (prometheus_client's multiprocess mode).
What describes the database (queue depth, ages, lag, disposal items) is not counted here but
read at scrape time by `edrm.gauges`, so it is right whichever process answers.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

P = ParamSpec("P")
R = TypeVar("R")
#: This process's counters and histograms (not prometheus_client's global registry).
REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST

INGEST_JOBS = Counter(
    "edrm_ingest_jobs",
    "Ingest jobs finished, by outcome (filed, triage, duplicate, failed, lost) and reason",
    ["outcome", "reason"],
    registry=REGISTRY,
)
OCR_PAGES = Counter("edrm_ocr_pages", "Page images sent to OCR", registry=REGISTRY)
OCR_SECONDS = Counter("edrm_ocr_seconds", "Seconds spent in OCR", registry=REGISTRY)
SEARCH_SECONDS = Histogram(
    "edrm_search_seconds",
    "Search latency, by kind (text, browse, similar, experts)",
    ["kind"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
SCHEDULED_JOBS = Counter(
    "edrm_scheduler_jobs",
    "Scheduled job runs, by job and result (ok, failed, skipped)",
    ["job", "result"],
    registry=REGISTRY,
)
SCHEDULED_JOB_SECONDS = Histogram(
    "edrm_scheduler_job_seconds",
    "How long scheduled jobs ran, by job",
    ["job"],
    buckets=(0.1, 1.0, 10.0, 60.0, 300.0, 1800.0, 3600.0, 4 * 3600.0, 12 * 3600.0),
    registry=REGISTRY,
)
SIGN_IN_FAILURES = Counter(
    "edrm_sign_in_failures",
    "Failed password sign-ins, by reason (credentials, locked_out, passwords_off)",
    ["reason"],
    registry=REGISTRY,
)
SIGN_IN_LOCKOUTS = Counter(
    "edrm_sign_in_lockouts",
    "Sign-in lockouts placed, by kind (account, address)",
    ["kind"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "edrm_http_requests",
    "HTTP requests answered, by route (the Flask endpoint), method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "edrm_http_request_seconds",
    "HTTP request duration, by route (the Flask endpoint)",
    ["route"],
    registry=REGISTRY,
)


# --- the instrumentation points ------------------------------------------------------------


def ingest_job_finished(outcome: str, reason: str | None) -> None:
    INGEST_JOBS.labels(outcome=outcome, reason=reason or "").inc()


@contextmanager
def ocr(pages: int) -> Iterator[None]:
    """Around one OCR call of `pages` page images (counted whether or not it succeeds)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        OCR_PAGES.inc(pages)
        OCR_SECONDS.inc(time.perf_counter() - started)


def search_timer(kind: str) -> AbstractContextManager[Any]:
    """Around one search of this kind."""
    return SEARCH_SECONDS.labels(kind=kind).time()


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
    SCHEDULED_JOBS.labels(job=job_id, result=kind).inc()
    if kind != "skipped":
        SCHEDULED_JOB_SECONDS.labels(job=job_id).observe(seconds)


def sign_in_failed(reason: str) -> None:
    SIGN_IN_FAILURES.labels(reason=reason).inc()


def lockout_placed(kind: str) -> None:
    SIGN_IN_LOCKOUTS.labels(kind=kind).inc()


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    HTTP_SECONDS.labels(route=route).observe(seconds)


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
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_Collected(REGISTRY))
    for collector in extra:
        registry.register(_Collected(collector))
    return generate_latest(registry)
