"""Which ingest workers are alive: each one notes itself in `system_state` every heartbeat
(key `worker:<identity>`, value the time), whether or not it has a job, and removes its note
when it stops. A note older than `worker_stale_seconds` is a worker that died (killed, or its
machine lost); such notes are cleared by the next beat of any worker after a day.

`/readyz` and the `edrm_ingest_workers_live` gauge count the fresh notes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.system_state import SystemState

PREFIX = "worker:"
FORGET_AFTER = timedelta(days=1)


def _key(identity: str) -> str:
    return (PREFIX + identity)[:100]


def beat(session: Session, identity: str) -> None:
    """Note that this worker is alive now (in the caller's transaction)."""
    now = clock.now()
    row = session.get(SystemState, _key(identity))
    if row is None:
        session.add(SystemState(key=_key(identity), value=now.isoformat()))
    else:
        row.value = now.isoformat()
    for key, when in _notes(session):
        if when is None or when < now - FORGET_AFTER:
            session.execute(delete(SystemState).where(SystemState.key == key))


def forget(session: Session, identity: str) -> None:
    """This worker has stopped."""
    session.execute(delete(SystemState).where(SystemState.key == _key(identity)))


def _notes(session: Session) -> list[tuple[str, datetime | None]]:
    rows = session.execute(
        select(SystemState.key, SystemState.value).where(SystemState.key.startswith(PREFIX))
    )
    notes: list[tuple[str, datetime | None]] = []
    for key, value in rows:
        try:
            notes.append((key, datetime.fromisoformat(value)))
        except ValueError:
            notes.append((key, None))
    return notes


def live_workers(session: Session, stale_after: timedelta) -> list[str]:
    """The identities of the workers heard from within `stale_after`."""
    since = clock.now() - stale_after
    return sorted(
        key[len(PREFIX) :] for key, when in _notes(session) if when is not None and when >= since
    )
