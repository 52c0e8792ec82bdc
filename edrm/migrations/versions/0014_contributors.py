"""contributors: the people who created a document and those who contributed to it (e-GMS
`creator` and `contributor`), several of each, credited in expert finding (issue 15 part 2).

Revision ID: 0014_contributors
Revises: 0013_scheduler
Create Date: 2026-12-03 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_contributors"
down_revision: str | None = "0013_scheduler"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_people_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_document_people_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_people")),
        sa.UniqueConstraint("document_id", "user_id", "role", name="uq_document_people_role"),
    )
    op.create_index(
        op.f("ix_document_people_document_id"), "document_people", ["document_id"], unique=False
    )
    op.create_index(
        op.f("ix_document_people_user_id"), "document_people", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_document_people_user_id"), table_name="document_people")
    op.drop_index(op.f("ix_document_people_document_id"), table_name="document_people")
    op.drop_table("document_people")
