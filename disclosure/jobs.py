"""Disclosure's scheduled jobs (config/jobs.toml): plain functions taking the Runtime and
returning a short text for the scheduler's log. Each runs in one unit of work of its own: a job
that fails changes nothing, and the next run starts afresh.
"""

from __future__ import annotations

from disclosure.closure import closure_run
from disclosure.loader import load_config
from disclosure.reminders import send_reminders
from edrm.runtime import Runtime


def request_reminders(runtime: Runtime) -> str:
    """Remind case officers of requests due soon or overdue (once a working day)."""
    with runtime.uow() as session:
        return send_reminders(session, load_config(runtime.settings))


def request_closures(runtime: Runtime) -> str:
    """Lift the holds of, and erase the requesters of, requests closed long enough ago."""
    with runtime.uow() as session:
        return closure_run(session, load_config(runtime.settings)).message
