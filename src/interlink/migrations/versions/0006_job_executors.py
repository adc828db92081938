"""job executors: the heartbeats the reaper reads

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_executors",
        sa.Column("executor_id", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("started_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("executor_id", name=op.f("pk_job_executors")),
    )
    with op.batch_alter_table("job_executors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_job_executors_heartbeat_at"), ["heartbeat_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("job_executors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_executors_heartbeat_at"))
    op.drop_table("job_executors")
