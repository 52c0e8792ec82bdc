"""Demo leavers, so HR's dashboard shows something after `edrm demo`: one person leaving soon
with a harvest plan started, one leaving later, and one who has left (idempotent)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from edrm.access import SYSTEM
from edrm.errors import NotFoundError
from edrm.people.models import User
from edrm.people.service import principal_for
from edrm.runtime import Runtime
from harvest.interviews.plans import start_plan
from harvest.interviews.questions import load_question_banks
from harvest.leavers import leaver_by_username, register_leaver
from harvest.loader import load_harvest_config
from harvest.risk import today_date

# username, days from today, successor, line manager, reason, start a plan
DEMO_LEAVERS = (
    ("dwilliams", 45, "bjones", "jbaker", "Secondment to another department", True),
    ("gmurray", 150, "bjones", "jbaker", "Retirement", False),
    ("ehughes", -30, "asmith", "jbaker", "Moved to a new employer", False),
)


def load_demo_leavers(runtime: Runtime) -> int:
    """Register the demo leavers that are not registered yet; returns how many were added."""
    config = load_harvest_config(runtime.settings.config_dir)
    banks = load_question_banks(runtime.settings.config_dir)
    added = 0
    with runtime.uow() as session:
        known = set(session.scalars(select(User.username)))
        try:
            hr = principal_for(session, "hpatel")
        except NotFoundError:
            hr = SYSTEM
        today = today_date()
        for username, days, successor, manager, reason, plan in DEMO_LEAVERS:
            if not {username, successor, manager} <= known:
                continue
            try:
                leaver_by_username(session, username)
                continue
            except NotFoundError:
                pass
            register_leaver(
                session,
                username,
                today + timedelta(days=days),
                successor=successor,
                manager=manager,
                reason=reason,
                actor=hr,
            )
            if plan:
                start_plan(session, username, actor=hr, config=config, banks=banks)
            added += 1
    return added
