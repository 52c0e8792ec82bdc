"""Harvest's scheduled jobs (config/jobs.toml): plain functions taking the Runtime and returning
a short text for the scheduler's log. Each runs in one unit of work of its own: a job that
fails changes nothing, and the next run starts afresh.
"""

from __future__ import annotations

from edrm.runtime import Runtime
from harvest.inference import recompute
from harvest.loader import load_harvest_config
from harvest.reminders import send_reminders


def interview_reminders(runtime: Runtime) -> str:
    """Note each leaver whose date nears with no harvest interview held (once a day)."""
    with runtime.uow() as session:
        return send_reminders(session, load_harvest_config(runtime.settings.config_dir))


def scheduled_recompute(runtime: Runtime) -> str:
    """Recompute expertise inferred from records, except for people who opted out."""
    with runtime.uow() as session:
        return recompute(session).message


def knowledge_freshness(runtime: Runtime) -> str:
    """Owners for new harvest records and skills, leavers' ones passed on, reminders sent."""
    from harvest.stewardship import freshness_run

    with runtime.uow() as session:
        return freshness_run(session, months=runtime.settings.knowledge_review_months).message
