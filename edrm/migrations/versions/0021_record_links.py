"""record_links: a record filed in further classes or folders besides its primary one
(issue 17 part 3, multi-filing).

Revision ID: 0021_record_links
Revises: 0019_stewardships
Create Date: 2026-12-04 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0021_record_links"
down_revision: str | None = "0020_renditions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_record_links_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["node_id"], ["fileplan_nodes.id"], name=op.f("fk_record_links_node_id_fileplan_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_links")),
        sa.UniqueConstraint("document_id", "node_id", name="uq_record_links_node"),
    )
    op.create_index(
        op.f("ix_record_links_document_id"), "record_links", ["document_id"], unique=False
    )
    op.create_index(op.f("ix_record_links_node_id"), "record_links", ["node_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_record_links_node_id"), table_name="record_links")
    op.drop_index(op.f("ix_record_links_document_id"), table_name="record_links")
    op.drop_table("record_links")
