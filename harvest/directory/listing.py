"""The directory listing: every active account's entry by name, filtered by a name, unit or
title fragment, unit and location, and the units and locations to browse by.

Listing makes the entries missing for active accounts (in the caller's transaction).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from edrm.people.models import User
from harvest.directory.profiles import ensure_all_profiles
from harvest.models import Profile


@dataclass(frozen=True)
class DirectoryEntry:
    username: str
    name: str
    unit: str
    location: str
    role_title: str
    opted_out: bool


def list_people(
    session: Session,
    *,
    text: str = "",
    unit: str = "",
    location: str = "",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[DirectoryEntry], int]:
    """The directory, by name, filtered by a name/unit/title fragment, unit and location.
    Every active account has an entry (made on first listing)."""
    ensure_all_profiles(session)
    query = (
        select(Profile, User.username)
        .join(User, User.id == Profile.user_id)
        .where(User.active.is_(True))
    )
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(
            func.lower(Profile.name).like(like)
            | func.lower(Profile.unit).like(like)
            | func.lower(Profile.role_title).like(like)
            | func.lower(User.username).like(like)
        )
    if unit:
        query = query.where(Profile.unit == unit)
    if location:
        query = query.where(Profile.location == location)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(func.lower(Profile.name), Profile.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    return [
        DirectoryEntry(u, p.name, p.unit, p.location, p.role_title, p.opted_out) for p, u in rows
    ], total


def units_and_locations(session: Session) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Each unit and each location with its number of people (for browsing)."""
    active = select(User.id).where(User.active.is_(True))

    def counts(column: InstrumentedAttribute[str]) -> list[tuple[str, int]]:
        return [
            (value, n)
            for value, n in session.execute(
                select(column, func.count())
                .where(Profile.user_id.in_(active), column != "")
                .group_by(column)
                .order_by(column)
            )
        ]

    return counts(Profile.unit), counts(Profile.location)
