"""stewardships: an owner and a review date for each filed harvest record and declared skill
(issue 17 part 6, knowledge that stays fresh).

Revision ID: 0019_stewardships
Revises: 0018_record_closures
Create Date: 2026-12-04 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0019_stewardships"
down_revision: str | None = "0018_record_closures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stewardships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("review_months", sa.Integer(), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=False),
        sa.Column("reviewed_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["profiles.id"], name=op.f("fk_stewardships_owner_id_profiles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stewardships")),
        sa.UniqueConstraint("kind", "item_id", name="uq_stewardships_item"),
    )
    op.create_index(op.f("ix_stewardships_owner_id"), "stewardships", ["owner_id"], unique=False)
    op.create_index(
        op.f("ix_stewardships_review_due"), "stewardships", ["review_due"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stewardships_review_due"), table_name="stewardships")
    op.drop_index(op.f("ix_stewardships_owner_id"), table_name="stewardships")
    op.drop_table("stewardships")
