"""Who to tell: narrow queries over the people table that the producing areas use to name
recipients (records managers, HR, the people who filed some documents)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.people.models import PERSON, User
from edrm.people.roles import Role


def usernames_with_role(session: Session, *roles: Role) -> list[str]:
    """Active people (not service accounts) holding one of `roles`."""
    return list(
        session.scalars(
            select(User.username)
            .where(
                User.role_value.in_([r.value for r in roles]),
                User.active.is_(True),
                User.kind == PERSON,
            )
            .order_by(User.username)
        )
    )


def usernames_by_id(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """{user id: username} for the ids given (None and unknown ids are left out)."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())
