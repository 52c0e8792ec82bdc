"""What /metrics reads from the database (composition root: it may name the area packages):
the core's gauges and the disposal queue's items by status."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm.gauges import DatabaseCollector, Samples, StateGauge, core_gauges
from edrm.runtime import Runtime
from retention.models import DisposalItem


def _disposal_items(session: Session) -> Samples:
    rows = session.execute(
        select(DisposalItem.status, func.count()).group_by(DisposalItem.status)
    ).all()
    return [((status,), float(count)) for status, count in rows]


def state_gauges(runtime: Runtime) -> list[StateGauge]:
    return [
        *core_gauges(runtime.settings.worker_stale_seconds),
        StateGauge(
            "edrm_disposal_items",
            "Records in the disposal queue, by status",
            ["status"],
            _disposal_items,
        ),
    ]


def database_collector(runtime: Runtime, session: Session) -> DatabaseCollector:
    """The gauges, read in `session` when collected."""
    return DatabaseCollector(session, state_gauges(runtime))
