"""Retention's scheduled jobs (config/jobs.toml): plain functions taking the Runtime and
returning a short text for the scheduler's log.

None of them decides to destroy anything: the sweep only queues, reminders only count, and
`execute_approved_job` carries out only what people approved. (The blob fixity check is the
core's: `edrm.fixity`.)
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from edrm import audit, clock
from edrm.access import SYSTEM
from edrm.runtime import Runtime
from retention.execution import execute_approved
from retention.models import DisposalItem
from retention.notices import tell_reviewers
from retention.schedule import ensure_schedule
from retention.sweep import sweep

log = logging.getLogger(__name__)

#: A pending queue item waiting longer than this is overdue for review.
REMINDER_AFTER = timedelta(days=14)


def nightly_sweep(rt: Runtime) -> str:
    """Recompute retention and queue what has fallen due today (never destroys)."""
    with rt.uow() as session:
        ensure_schedule(session, rt.settings)
        result = sweep(session, as_of=clock.now().date(), actor=SYSTEM)
    return (
        f"queued {len(result.queued)}, held {result.held}, already queued "
        f"{result.already_queued}, recomputed {result.recomputed}"
    )


def review_reminders(rt: Runtime) -> str:
    """Count pending queue items waiting longer than REMINDER_AFTER, by class and stage, and
    e-mail the records managers about them (a notification, once a day at most)."""
    cutoff = clock.now() - REMINDER_AFTER
    with rt.uow() as session:
        rows = session.execute(
            select(DisposalItem.class_code, DisposalItem.stage, func.count())
            .where(DisposalItem.status == "pending", DisposalItem.queued_at < cutoff)
            .group_by(DisposalItem.class_code, DisposalItem.stage)
            .order_by(DisposalItem.class_code, DisposalItem.stage)
        ).all()
        if not rows:
            return f"no queue items waiting more than {REMINDER_AFTER.days} days"
        groups: list[dict[str, Any]] = [
            {"class_code": c, "stage": s, "count": n} for c, s, n in rows
        ]
        total = sum(g["count"] for g in groups)
        overdue_ids = session.scalars(
            select(DisposalItem.id)
            .where(DisposalItem.status == "pending", DisposalItem.queued_at < cutoff)
            .order_by(DisposalItem.queued_at, DisposalItem.id)
        ).all()
        told = tell_reviewers(session, overdue_ids, overdue_days=REMINDER_AFTER.days)
        audit.record(
            session,
            SYSTEM.username,
            "retention.review_reminder",
            "disposal_queue",
            "overdue",
            {"overdue": total, "after_days": REMINDER_AFTER.days, "groups": groups},
        )
    detail = "; ".join(f"{g['class_code']} stage {g['stage']}: {g['count']}" for g in groups)
    message = (
        f"{total} item(s) waiting more than {REMINDER_AFTER.days} days for review ({detail}); "
        f"{told} reviewer(s) notified"
    )
    log.info("review reminder: %s", message)
    return message


def execute_approved_job(rt: Runtime) -> str:
    """Carry out the disposal decisions people have approved (and nothing else)."""
    result = execute_approved(rt, actor=SYSTEM)
    failed = len(result.failed)
    return (
        f"finished {len(result.finished)} item(s), {failed} failed, "
        f"{len(result.batches)} batch(es), {len(result.certificates)} certificate(s)"
    )


def vital_review_reminders(rt: Runtime) -> str:
    """Tell the records managers of vital records whose review has fallen due."""
    from retention.vital import remind_reviewers

    with rt.uow() as session:
        due = remind_reviewers(session)
    return f"{due} vital record(s) due for review" if due else "no vital record due for review"
