"""What the CLI and pages ask of notifications: the outbox for administrators, and one
person's preferences."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.errors import RefusedError
from edrm.notifications.models import Notification
from edrm.people.roles import Role


def require_administrator(actor: Principal, what: str) -> None:
    if not (actor.is_system or actor.role == Role.ADMINISTRATOR):
        raise RefusedError(f"only administrators may {what}")


def list_notifications(
    session: Session, *, actor: Principal, status: str | None = None, limit: int = 100
) -> list[Notification]:
    """The newest notifications (administrators): who, what kind, how it went; never titles."""
    require_administrator(actor, "list notifications")
    statement = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if status:
        statement = statement.where(Notification.status == status)
    return list(session.scalars(statement))
