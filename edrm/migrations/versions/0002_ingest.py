"""ingest: jobs, texts, suggestions, corrections, triage documents, job locks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:10:11.825717
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "job_locks",
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("locked_until", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_started_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_locks")),
    )
    op.create_table(
        "classification_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("suggested_code", sa.String(length=100), nullable=True),
        sa.Column("chosen_code", sa.String(length=100), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_classification_corrections_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classification_corrections")),
    )
    with op.batch_alter_table("classification_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_classification_corrections_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "document_suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("class_code", sa.String(length=100), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_suggestions_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_suggestions")),
    )
    with op.batch_alter_table("document_suggestions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_suggestions_document_id"), ["document_id"], unique=False
        )

    op.create_table(
        "document_texts",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.Column("extracted_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_texts_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_texts")),
    )
    op.create_table(
        "ingest_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("heartbeat_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("original_name", sa.Text(), nullable=False),
        sa.Column("safe_name", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("into_code", sa.String(length=100), nullable=True),
        sa.Column("marking", sa.String(length=30), nullable=True),
        sa.Column("parent_document_id", sa.Integer(), nullable=True),
        sa.Column("hints", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("class_code", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("error_reason", sa.String(length=40), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_ingest_jobs_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["parent_document_id"],
            ["documents.id"],
            name=op.f("fk_ingest_jobs_parent_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_jobs")),
    )
    with op.batch_alter_table("ingest_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_jobs_batch"), ["batch"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ingest_jobs_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ingest_jobs_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingest_jobs_status"), ["status"], unique=False)

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="filed")
        )
        batch_op.alter_column("node_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_documents_status"), ["status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_status"))
        batch_op.alter_column("node_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("status")

    with op.batch_alter_table("ingest_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_ingest_jobs_sha256"))
        batch_op.drop_index(batch_op.f("ix_ingest_jobs_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_ingest_jobs_batch"))

    op.drop_table("ingest_jobs")
    op.drop_table("document_texts")
    with op.batch_alter_table("document_suggestions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_suggestions_document_id"))

    op.drop_table("document_suggestions")
    with op.batch_alter_table("classification_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classification_corrections_document_id"))

    op.drop_table("classification_corrections")
    op.drop_table("job_locks")
