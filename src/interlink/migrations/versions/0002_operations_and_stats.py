"""operations and stats

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 05:54:15.317774
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "integration_stats",
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("hour", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("total_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_call_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("integration_id", "hour", name=op.f("pk_integration_stats")),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("started_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("completed_at", interlink.core.db.UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_operations_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_operations_integration_started", ["integration_id", "started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index("ix_operations_integration_started")

    op.drop_table("operations")
    op.drop_table("integration_stats")
