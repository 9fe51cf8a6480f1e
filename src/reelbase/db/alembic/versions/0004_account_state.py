"""account state: when users and teams last changed, a user's ban (since, why) and a vouched e-mail

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("users", "teams"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        # An existing row last changed no later than now and no earlier than it was made; its
        # creation time is the one of the two that is known to be true of some moment.
        op.execute(sa.text(f"UPDATE {table} SET updated_at = created_at"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("banned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("banned_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("banned_reason")
        batch_op.drop_column("banned_at")
        batch_op.drop_column("updated_at")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
