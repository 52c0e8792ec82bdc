"""e-mail in: the transmission data of messages filed by e-mail, which no one can change

Revision ID: 0012_mail_in
Revises: 0011
Create Date: 2026-12-03 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0012_mail_in"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSED = "transmission data is kept as received and cannot be changed"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION edrm_mail_transmission_unchanged() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_REFUSED}: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "mail_transmissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingest_job_id", sa.Integer(), nullable=False),
        sa.Column("receipt_key", sa.String(length=500), nullable=False),
        sa.Column("received_via", sa.String(length=10), nullable=False),
        sa.Column("received_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_as", sa.String(length=100), nullable=False),
        sa.Column("envelope_sender", sa.Text(), nullable=False),
        sa.Column("envelope_recipients", sa.JSON(), nullable=False),
        sa.Column("from_header", sa.Text(), nullable=False),
        sa.Column("to_header", sa.Text(), nullable=False),
        sa.Column("cc_header", sa.Text(), nullable=False),
        sa.Column("date_header", sa.Text(), nullable=False),
        sa.Column("sent_at", edrm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("distribution", sa.JSON(), nullable=False),
        sa.Column("class_chosen_by", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingest_job_id"],
            ["ingest_jobs.id"],
            name=op.f("fk_mail_transmissions_ingest_job_id_ingest_jobs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_transmissions")),
        sa.UniqueConstraint("ingest_job_id", name=op.f("uq_mail_transmissions_ingest_job_id")),
        sa.UniqueConstraint("receipt_key", name=op.f("uq_mail_transmissions_receipt_key")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER mail_transmissions_unchanged BEFORE UPDATE ON mail_transmissions"
            " FOR EACH ROW EXECUTE FUNCTION edrm_mail_transmission_unchanged()"
        )
    else:
        op.execute(
            "CREATE TRIGGER mail_transmissions_unchanged BEFORE UPDATE ON mail_transmissions"
            f" BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS mail_transmissions_unchanged ON mail_transmissions")
        op.execute("DROP FUNCTION IF EXISTS edrm_mail_transmission_unchanged()")
    else:
        op.execute("DROP TRIGGER IF EXISTS mail_transmissions_unchanged")
    op.drop_table("mail_transmissions")
