"""audit evidence: entries name the key that MACs them; the database refuses to change the trail

Entries written before this revision keep their plain SHA-256 links (key_id stays empty); the
first entry written after it is MACed with the key from the key file and its MAC covers the last
plain link, which anchors the old chain.

Triggers make audit_events append-only (UPDATE and DELETE are refused) and let audit_head only
move forward (no DELETE, no UPDATE that does not advance last_seq), on SQLite and PostgreSQL.
TRUNCATE fires no row trigger: on PostgreSQL, revoke it (and UPDATE, DELETE) from the
application's role (README, "The audit trail").

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSED = "the audit trail is append-only"

# name: (table, when it fires, what is refused)
_SQLITE_TRIGGERS = {
    "audit_events_no_update": ("audit_events", "BEFORE UPDATE", "UPDATE"),
    "audit_events_no_delete": ("audit_events", "BEFORE DELETE", "DELETE"),
    "audit_head_no_delete": ("audit_head", "BEFORE DELETE", "DELETE"),
    "audit_head_forward_only": ("audit_head", "BEFORE UPDATE", "UPDATE"),
}
_SQLITE_WHEN = {"audit_head_forward_only": " WHEN NEW.last_seq <= OLD.last_seq"}

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION edrm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{_REFUSED}: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$
"""

# name: (table, when it fires)
_PG_TRIGGERS = {
    "audit_events_append_only": ("audit_events", "BEFORE UPDATE OR DELETE"),
    "audit_head_no_delete": ("audit_head", "BEFORE DELETE"),
    "audit_head_forward_only": ("audit_head", "BEFORE UPDATE"),
}
_PG_WHEN = {"audit_head_forward_only": " WHEN (NEW.last_seq <= OLD.last_seq)"}


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("key_id", sa.String(length=40), nullable=True))
    op.add_column("audit_head", sa.Column("key_id", sa.String(length=40), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for name, (table, timing) in _PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW"
                f"{_PG_WHEN.get(name, '')} EXECUTE FUNCTION edrm_audit_append_only()"
            )
        return
    for name, (table, timing, what) in _SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} {timing} ON {table}{_SQLITE_WHEN.get(name, '')} BEGIN"
            f" SELECT RAISE(ABORT, '{_REFUSED}: {what} on {table} refused'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, _timing) in _PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS edrm_audit_append_only()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("key_id")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("key_id")
