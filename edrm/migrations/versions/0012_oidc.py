"""single sign-on: the OpenID provider's subject (issuer + sub) linked to each account that
signs in through it (issue 13 part 1)

Revision ID: 0012_oidc
Revises: 0011
Create Date: 2026-12-03 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import edrm.db

revision: str = "0012_oidc"
down_revision: str | None = "0012_mail_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oidc_identities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", edrm.db.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("issuer", "subject", name="uq_oidc_identities_subject"),
    )
    op.create_index("ix_oidc_identities_user_id", "oidc_identities", ["user_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_oidc_identities_user_id", table_name="oidc_identities")
    op.drop_table("oidc_identities")
