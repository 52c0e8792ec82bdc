"""notifications: the e-mail outbox and each person's notification preferences (issue 13
part 5). users.email already exists.

Revision ID: 0012_notifications
Revises: 0011
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from edrm.db import UTCDateTime

revision: str = "0012_notifications"
down_revision: str | None = "0012_oidc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("digest_id", sa.Integer(), sa.ForeignKey("notifications.id"), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
    )
    for column in ("recipient", "key", "status", "next_attempt_at", "digest_id"):
        op.create_index(f"ix_notifications_{column}", "notifications", [column])
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("timing", sa.String(length=20), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", "kind", name="uq_notification_pref"),
    )
    op.create_index(
        "ix_notification_preferences_username", "notification_preferences", ["username"]
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_table("notifications")
