"""redactions: the redactions proposed on a request's records (term or area, with an exemption,
approved by a second person) and the response sent for a request (issue 18 parts 3 and 4).

Revision ID: 0023_redactions
Revises: 0022_requests
Create Date: 2026-12-04 21:42:04.369034
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0023_redactions"
down_revision: str | None = "0022_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "info_request_redactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("term", sa.Text(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("x", sa.Float(), nullable=True),
        sa.Column("y", sa.Float(), nullable=True),
        sa.Column("w", sa.Float(), nullable=True),
        sa.Column("h", sa.Float(), nullable=True),
        sa.Column("exemption", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposed_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_info_request_redactions_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.id"],
            name=op.f("fk_info_request_redactions_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_request_redactions")),
    )
    with op.batch_alter_table("info_request_redactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_redactions_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_info_request_redactions_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_info_request_redactions_status"), ["status"], unique=False
        )

    op.create_table(
        "info_request_responses",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("letter", sa.String(length=20), nullable=False),
        sa.Column("letter_document_id", sa.Integer(), nullable=False),
        sa.Column("bundle_document_id", sa.Integer(), nullable=True),
        sa.Column("exemptions", sa.JSON(), nullable=False),
        sa.Column("public_interest", sa.Text(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("sent_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_document_id"],
            ["documents.id"],
            name=op.f("fk_info_request_responses_bundle_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["letter_document_id"],
            ["documents.id"],
            name=op.f("fk_info_request_responses_letter_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.id"],
            name=op.f("fk_info_request_responses_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_info_request_responses")),
    )
    with op.batch_alter_table("info_request_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_responses_published"), ["published"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("info_request_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_responses_published"))

    op.drop_table("info_request_responses")
    with op.batch_alter_table("info_request_redactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_redactions_status"))
        batch_op.drop_index(batch_op.f("ix_info_request_redactions_request_id"))
        batch_op.drop_index(batch_op.f("ix_info_request_redactions_document_id"))

    op.drop_table("info_request_redactions")
