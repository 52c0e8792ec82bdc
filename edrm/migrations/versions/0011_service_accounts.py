"""service accounts: users.kind is "person" (signs in) or "service" (another system: no
password, acts only through API tokens)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="person")
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("kind")
