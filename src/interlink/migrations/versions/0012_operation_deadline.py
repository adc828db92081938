"""operation deadline: a synchronous call's intent is written before the call

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_RUNNING = sa.text("status = 'running'")


def upgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deadline_at", interlink.core.db.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            "ix_operations_running_deadline",
            ["deadline_at"],
            unique=False,
            sqlite_where=_RUNNING,
            postgresql_where=_RUNNING,
        )


def downgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index("ix_operations_running_deadline")
        batch_op.drop_column("deadline_at")
