"""scheduler: the leadership lease (one scheduler leads, the others wait) and the record of each
job's last run a new leader catches up from (issue 14 part 3). Each scheduler now keeps its jobs
in memory, so APScheduler's shared job store table goes.

Revision ID: 0013_scheduler
Revises: 0012_notifications
Create Date: 2026-12-03 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from edrm.db import UTCDateTime

revision: str = "0013_scheduler"
down_revision: str | None = "0012_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "leader_leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("host", sa.String(length=200), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("acquired_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("renewed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leader_leases")),
    )
    with op.batch_alter_table("job_locks") as batch:
        batch.add_column(sa.Column("last_outcome", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("scheduled_since", UTCDateTime(timezone=True), nullable=True))
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def downgrade() -> None:
    with op.batch_alter_table("job_locks") as batch:
        batch.drop_column("scheduled_since")
        batch.drop_column("last_outcome")
    op.drop_table("leader_leases")
