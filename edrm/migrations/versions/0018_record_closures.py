"""record closures: closure metadata in the shape of The National Archives' transfer metadata
schema, captured before transfer (issue 17 part 5).

Revision ID: 0018_record_closures
Revises: 0017_rule_versions
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0018_record_closures"
down_revision: str | None = "0017_rule_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_closures",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("closure_type", sa.String(length=10), nullable=False),
        sa.Column("closure_period", sa.Integer(), nullable=True),
        sa.Column("closure_start_date", sa.Date(), nullable=True),
        sa.Column("foi_exemption_code", sa.String(length=200), nullable=False),
        sa.Column("foi_exemption_asserted", sa.Date(), nullable=True),
        sa.Column("title_closed", sa.Boolean(), nullable=False),
        sa.Column("description_closed", sa.Boolean(), nullable=False),
        sa.Column("title_alternate", sa.String(length=500), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_record_closures_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_record_closures")),
    )


def downgrade() -> None:
    op.drop_table("record_closures")
