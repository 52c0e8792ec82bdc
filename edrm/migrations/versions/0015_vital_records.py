"""vital records: the records flagged as vital, why, by whom, and when each is next reviewed
(issue 17 part 3).

Revision ID: 0015_vital_records
Revises: 0014_contributors
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0015_vital_records"
down_revision: str | None = "0014_contributors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vital_records",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_vital_records_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_vital_records")),
    )
    op.create_index(
        op.f("ix_vital_records_review_due"), "vital_records", ["review_due"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_vital_records_review_due"), table_name="vital_records")
    op.drop_table("vital_records")
