"""the filing date: when each document was filed in the plan, set once and never changed
(issue 17 part 3, immutable facts). Documents filed before it have their first version's
date; the database refuses any change to it once set.

Revision ID: 0016_filing_date
Revises: 0015_vital_records
Create Date: 2026-12-04 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0016_filing_date"
down_revision: str | None = "0015_vital_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSED = "the filing date is kept as it was set and cannot be changed"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION edrm_filing_date_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_REFUSED}: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$
"""


def upgrade() -> None:
    op.add_column(
        "documents", sa.Column("filed_at", edrm.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE documents SET filed_at = (SELECT v.created_at FROM document_versions v"
        " WHERE v.document_id = documents.id AND v.number = 1) WHERE status <> 'triage'"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER documents_filing_date_kept BEFORE UPDATE OF filed_at ON documents"
            " FOR EACH ROW WHEN (OLD.filed_at IS NOT NULL"
            " AND NEW.filed_at IS DISTINCT FROM OLD.filed_at)"
            " EXECUTE FUNCTION edrm_filing_date_kept()"
        )
    else:
        op.execute(
            "CREATE TRIGGER documents_filing_date_kept BEFORE UPDATE OF filed_at ON documents"
            " WHEN OLD.filed_at IS NOT NULL AND NEW.filed_at IS NOT OLD.filed_at"
            f" BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS documents_filing_date_kept ON documents")
        op.execute("DROP FUNCTION IF EXISTS edrm_filing_date_kept()")
    else:
        op.execute("DROP TRIGGER IF EXISTS documents_filing_date_kept")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("filed_at")
