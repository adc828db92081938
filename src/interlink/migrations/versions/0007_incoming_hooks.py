"""incoming provider webhooks

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 13:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incoming_hooks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=True),
        sa.Column("event", sa.String(length=100), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_incoming_hooks_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_incoming_hooks_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_hooks")),
        sa.UniqueConstraint(
            "integration_id", "delivery_id", name=op.f("uq_incoming_hooks_integration_id")
        ),
    )
    with op.batch_alter_table("incoming_hooks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incoming_hooks_workspace_received", ["workspace_id", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incoming_hooks", schema=None) as batch_op:
        batch_op.drop_index("ix_incoming_hooks_workspace_received")
    op.drop_table("incoming_hooks")
