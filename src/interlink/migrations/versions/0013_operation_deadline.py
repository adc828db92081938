"""operation deadline: a synchronous call's intent is written before the call

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0013"
# TEMPORARY while other migrations of this round land: the latest revision below this one.
down_revision = max(
    p.name[:4] for p in Path(__file__).parent.glob("00[0-9][0-9]_*.py") if p.name[:4] < "0013"
)
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
