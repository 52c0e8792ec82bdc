"""renditions: derived copies of a version (a scan's searchable PDF/A, an office file's PDF),
each with its own checksum and blob (issue 17 part 1).

Revision ID: 0020_renditions
Revises: 0019_stewardships
Create Date: 2026-12-04 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0020_renditions"
down_revision: str | None = "0019_stewardships"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("created_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_renditions_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_versions.id"],
            name=op.f("fk_renditions_version_id_document_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("version_id", "kind", name="uq_renditions_version_kind"),
    )
    op.create_index(op.f("ix_renditions_document_id"), "renditions", ["document_id"], unique=False)
    op.create_index(op.f("ix_renditions_sha256"), "renditions", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_renditions_sha256"), table_name="renditions")
    op.drop_index(op.f("ix_renditions_document_id"), table_name="renditions")
    op.drop_table("renditions")
