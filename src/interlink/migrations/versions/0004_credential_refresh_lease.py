"""credential refresh lease

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 07:45:12.204518
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refreshing_by", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("refreshing_until", interlink.core.db.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("refreshing_until")
        batch_op.drop_column("refreshing_by")
