"""The demo's retention: the default schedule, one legal hold, and a first sweep so that the
records manager finds records due for review in the disposal queue."""

from __future__ import annotations

from sqlalchemy import select

from edrm import clock
from edrm.access import SYSTEM
from edrm.demo.corpus import demo_folders
from edrm.fileplan.models import FilePlanNode
from edrm.runtime import Runtime
from retention.holds import list_holds, place_hold
from retention.schedule import ensure_schedule
from retention.sweep import sweep


def demo_hold_folder() -> str:
    """A closed case folder: the demo's litigation hold keeps it from disposal."""
    return next(f.code for f in demo_folders() if f.closed and f.parent_code.startswith("CASE-"))


def load_demo_retention(runtime: Runtime) -> str:
    """Idempotent: loads the schedule if none, places the demo hold once, sweeps as of today."""
    folder = demo_hold_folder()
    with runtime.uow() as session:
        loaded = ensure_schedule(session, runtime.settings)
        placed = False
        exists = session.scalar(select(FilePlanNode.id).where(FilePlanNode.code == folder))
        if exists is not None and not list_holds(session):
            place_hold(
                session,
                reason="Litigation: judicial review of the grant decision (demo)",
                authority="Government Legal Department litigation hold notice",
                actor=SYSTEM,
                folder_code=folder,
            )
            placed = True
        result = sweep(session, as_of=clock.now().date(), actor=SYSTEM)
    parts = ["schedule loaded" if loaded else "schedule already loaded"]
    if placed:
        parts.append(f"legal hold on {folder}")
    parts.append(f"{len(result.queued)} records queued for disposal review ({result.held} held)")
    return "; ".join(parts)
