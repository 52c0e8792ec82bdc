"""retention rule versions: every change to a rule kept, with who, why, when and the records
it re-dated (issue 17 part 2).

Revision ID: 0017_rule_versions
Revises: 0016_filing_date
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0017_rule_versions"
down_revision: str | None = "0016_filing_date"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_rule_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=True),
        sa.Column("changed_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("records_redated", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rule_versions")),
        sa.UniqueConstraint("code", "version", name="uq_rule_versions_code_version"),
    )
    op.create_index(
        op.f("ix_retention_rule_versions_code"), "retention_rule_versions", ["code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_retention_rule_versions_code"), table_name="retention_rule_versions")
    op.drop_table("retention_rule_versions")
