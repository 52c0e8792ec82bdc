"""Gauges read from the database when /metrics is scraped, so they are right whichever process
answers and however many workers there are: the ingest queue, the search outbox's lag, the
live workers and the scheduled jobs' last runs (the core's), and whatever the composition root
adds (disposal items by status: `edrm.wiring.observability`).

Each gauge is a query of its own in one read-only session; one that fails (a table locked, a
database gone) is left out of the scrape and logged, and the others still answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.ingest import heartbeats
from edrm.ingest.models import QUEUED, RUNNING, IngestJob
from edrm.job_lock import JobLock
from edrm.outbox import OutboxEntry

log = logging.getLogger(__name__)

Samples = Iterable[tuple[Sequence[str], float]]


@dataclass(frozen=True)
class StateGauge:
    """A gauge family whose samples (label values, value) a query gives."""

    name: str
    documentation: str
    labels: Sequence[str]
    read: Callable[[Session], Samples]


def age_seconds(since: datetime | None) -> float:
    return max(0.0, (clock.now() - since).total_seconds()) if since is not None else 0.0


def _queue_depth(session: Session) -> Samples:
    counts = dict(
        session.execute(
            select(IngestJob.status, func.count())
            .where(IngestJob.status.in_((QUEUED, RUNNING)))
            .group_by(IngestJob.status)
        ).all()
    )
    return [((status,), float(counts.get(status, 0))) for status in (QUEUED, RUNNING)]


def _queue_oldest(session: Session) -> Samples:
    oldest = session.scalar(
        select(func.min(IngestJob.created_at)).where(IngestJob.status == QUEUED)
    )
    return [((), age_seconds(oldest))]


def outbox_lag(session: Session) -> float:
    """Seconds since the oldest index change not yet applied (0 when none waits)."""
    return age_seconds(
        session.scalar(
            select(func.min(OutboxEntry.created_at)).where(OutboxEntry.done_at.is_(None))
        )
    )


def _outbox(session: Session) -> Samples:
    return [((), outbox_lag(session))]


def _pending(session: Session) -> Samples:
    count = session.scalar(select(func.count()).where(OutboxEntry.done_at.is_(None)))
    return [((), float(count or 0))]


def _live_workers_of(stale_after: timedelta) -> Callable[[Session], Samples]:
    def read(session: Session) -> Samples:
        return [((), float(len(heartbeats.live_workers(session, stale_after))))]

    return read


def _job_last_runs(session: Session) -> Samples:
    rows = session.execute(select(JobLock.job_id, JobLock.last_started_at)).all()
    return [((job,), when.timestamp()) for job, when in rows if when is not None]


def core_gauges(worker_stale_seconds: int) -> list[StateGauge]:
    return [
        StateGauge(
            "edrm_ingest_queue_depth", "Ingest jobs waiting or running", ["status"], _queue_depth
        ),
        StateGauge(
            "edrm_ingest_queue_oldest_age_seconds",
            "Age of the oldest ingest job waiting (0 when none waits)",
            [],
            _queue_oldest,
        ),
        StateGauge(
            "edrm_outbox_lag_seconds",
            "Age of the oldest change not yet applied to the search index (0 when none)",
            [],
            _outbox,
        ),
        StateGauge(
            "edrm_outbox_pending", "Changes waiting to be applied to the search index", [], _pending
        ),
        StateGauge(
            "edrm_ingest_workers_live",
            "Ingest workers heard from within worker_stale_seconds",
            [],
            _live_workers_of(timedelta(seconds=worker_stale_seconds)),
        ),
        StateGauge(
            "edrm_scheduler_job_last_started_timestamp_seconds",
            "When each scheduled job last started (Unix time)",
            ["job"],
            _job_last_runs,
        ),
    ]


class DatabaseCollector:
    """A prometheus_client collector: each gauge's query, run at scrape time in the given
    session (the scrape request's own: on SQLite a second connection would wait behind the
    write lock the request's session may hold)."""

    def __init__(self, session: Session, gauges: Sequence[StateGauge]) -> None:
        self.session = session
        self.gauges = gauges

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        for gauge in self.gauges:
            try:
                samples = list(gauge.read(self.session))
            except Exception:
                self.session.rollback()
                log.warning("metrics: gauge %s could not be read", gauge.name, exc_info=True)
                continue
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labels)
            for labels, value in samples:
                family.add_metric(list(labels), value)
            yield family
