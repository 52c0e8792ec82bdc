"""The notification tables: one row per notification to one person (the outbox), and each
person's choice per kind (on or off, immediately or in the daily digest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime

# status: pending (to send) → sent | failed (for good) | skipped (nothing to say: no address,
# nothing the person may see) | digested (folded into a digest row, which is sent instead)
PENDING, SENT, FAILED, SKIPPED, DIGESTED = "pending", "sent", "failed", "skipped", "digested"
# delivery: sent on its own as soon as possible, or kept for the daily digest
IMMEDIATE, DIGEST = "immediate", "digest"


class Notification(Base):
    """One notification for one person, written in the transaction of the event that caused
    it. `summary` is plain text that names nothing the person may not know (never a document
    title); `document_ids` are the documents it is about, titled at sending time for what the
    person may see then."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100), index=True)  # username
    kind: Mapped[str] = mapped_column(String(40))
    delivery: Mapped[str] = mapped_column(String(20), default=IMMEDIATE)
    summary: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str] = mapped_column(String(500), default="")  # a path on this service
    document_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    key: Mapped[str] = mapped_column(String(200), default="", index=True)  # de-duplication
    status: Mapped[str] = mapped_column(String(20), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(20), default="")  # smtp | notify, once sent
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    def as_dict(self) -> dict[str, Any]:
        """For administrators: what was sent to whom, and how it went (no titles)."""
        return {
            "id": self.id,
            "recipient": self.recipient,
            "kind": self.kind,
            "delivery": self.delivery,
            "status": self.status,
            "attempts": self.attempts,
            "documents": len(self.document_ids or []),
            "digest": self.digest_id,
            "channel": self.channel,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }


class NotificationPreference(Base):
    """A person's choice for one kind; no row means the kind's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("username", "kind", name="uq_notification_pref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    timing: Mapped[str] = mapped_column(String(20), default=IMMEDIATE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
