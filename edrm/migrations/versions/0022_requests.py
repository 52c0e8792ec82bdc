"""requests: information requests (FOI, EIR, SAR) with their events, clarifications, bundle
records, saved searches and logged time (issue 18 parts 1 and 2).

Revision ID: 0022_requests
Revises: 0019_stewardships
Create Date: 2026-12-04 21:38:34.984691
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0022_requests"
down_revision: str | None = "0019_stewardships"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "info_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("case_officer_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("requester_name", sa.String(length=300), nullable=False),
        sa.Column("requester_email", sa.String(length=320), nullable=False),
        sa.Column("requester_address", sa.Text(), nullable=False),
        sa.Column("requester_erased_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("aggregated", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("responded_on", sa.Date(), nullable=True),
        sa.Column("closed_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("hold_lifted_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("created_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_officer_id"], ["users.id"], name=op.f("fk_info_requests_case_officer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_requests")),
        sa.UniqueConstraint("kind", "year", "number", name="uq_info_requests_number"),
        sa.UniqueConstraint("reference", name=op.f("uq_info_requests_reference")),
    )
    with op.batch_alter_table("info_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_requests_case_officer_id"), ["case_officer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_info_requests_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_info_requests_due_on"), ["due_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_info_requests_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_info_requests_status"), ["status"], unique=False)

    op.create_table(
        "info_request_clarifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.id"],
            name=op.f("fk_info_request_clarifications_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_request_clarifications")),
    )
    with op.batch_alter_table("info_request_clarifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_clarifications_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "info_request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.id"],
            name=op.f("fk_info_request_events_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_request_events")),
    )
    with op.batch_alter_table("info_request_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_events_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "info_request_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("run_as", sa.String(length=100), nullable=False),
        sa.Column("run_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.id"],
            name=op.f("fk_info_request_searches_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_request_searches")),
    )
    with op.batch_alter_table("info_request_searches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_searches_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "info_request_time",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=200), nullable=False),
        sa.Column("logged_on", sa.Date(), nullable=False),
        sa.Column("logged_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.id"],
            name=op.f("fk_info_request_time_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_request_time")),
    )
    with op.batch_alter_table("info_request_time", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_time_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "info_request_items",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("added_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_info_request_items_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["info_requests.id"],
            name=op.f("fk_info_request_items_request_id_info_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["search_id"],
            ["info_request_searches.id"],
            name=op.f("fk_info_request_items_search_id_info_request_searches"),
        ),
        sa.PrimaryKeyConstraint("request_id", "document_id", name=op.f("pk_info_request_items")),
    )
    with op.batch_alter_table("info_request_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_request_items_document_id"), ["document_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("info_request_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_items_document_id"))

    op.drop_table("info_request_items")
    with op.batch_alter_table("info_request_time", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_time_request_id"))

    op.drop_table("info_request_time")
    with op.batch_alter_table("info_request_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_searches_request_id"))

    op.drop_table("info_request_searches")
    with op.batch_alter_table("info_request_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_events_request_id"))

    op.drop_table("info_request_events")
    with op.batch_alter_table("info_request_clarifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_request_clarifications_request_id"))

    op.drop_table("info_request_clarifications")
    with op.batch_alter_table("info_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_requests_status"))
        batch_op.drop_index(batch_op.f("ix_info_requests_kind"))
        batch_op.drop_index(batch_op.f("ix_info_requests_due_on"))
        batch_op.drop_index(batch_op.f("ix_info_requests_closed_at"))
        batch_op.drop_index(batch_op.f("ix_info_requests_case_officer_id"))

    op.drop_table("info_requests")
