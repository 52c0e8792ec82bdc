"""Each person's notification preferences: every kind on or off, sent immediately or listed in
the daily digest. A kind with no stored choice takes its default (`kinds.KINDS`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.errors import InvalidInputError
from edrm.notifications.kinds import BY_NAME, KINDS, TIMINGS
from edrm.notifications.models import NotificationPreference


@dataclass(frozen=True)
class Preference:
    kind: str
    enabled: bool
    timing: str  # immediate | digest

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "enabled": self.enabled, "timing": self.timing}


def preferences_of(session: Session, username: str) -> dict[str, Preference]:
    """Every kind's preference for the person, defaults filled in, in the kinds' order."""
    stored = {
        p.kind: p
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.username == username)
        )
    }
    found: dict[str, Preference] = {}
    for k in KINDS:
        row = stored.get(k.name)
        found[k.name] = (
            Preference(k.name, row.enabled, row.timing)
            if row is not None
            else Preference(k.name, True, k.timing)
        )
    return found


def timing_for(session: Session, username: str, kind: str) -> str | None:
    """How to send the person a notification of `kind`: "immediate", "digest", or None (off)."""
    row = session.scalar(
        select(NotificationPreference).where(
            NotificationPreference.username == username, NotificationPreference.kind == kind
        )
    )
    if row is None:
        return BY_NAME[kind].timing
    return row.timing if row.enabled else None


def set_preferences(
    session: Session, username: str, choices: Mapping[str, tuple[bool, str]]
) -> dict[str, Preference]:
    """Store the person's choices ({kind: (enabled, timing)}); kinds not named keep theirs.
    Audited (what changed, not why)."""
    for name, (_enabled, timing) in choices.items():
        if name not in BY_NAME:
            raise InvalidInputError(f"unknown notification kind {name!r}")
        if timing not in TIMINGS:
            raise InvalidInputError(
                f"{name}: timing must be one of {', '.join(TIMINGS)} (got {timing!r})"
            )
    before = preferences_of(session, username)
    rows = {
        p.kind: p
        for p in session.scalars(
            select(NotificationPreference).where(NotificationPreference.username == username)
        )
    }
    now = clock.now()
    changed: dict[str, dict[str, object]] = {}
    for name, (enabled, timing) in choices.items():
        if before[name] == Preference(name, enabled, timing):
            continue
        row = rows.get(name)
        if row is None:
            row = NotificationPreference(username=username, kind=name)
            session.add(row)
        row.enabled = enabled
        row.timing = timing
        row.updated_at = now
        changed[name] = {"enabled": enabled, "timing": timing}
    if changed:
        session.flush()
        audit.record(session, username, "notifications.preferences", "user", username, changed)
    return preferences_of(session, username)
