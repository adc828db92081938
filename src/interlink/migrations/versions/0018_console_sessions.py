"""console sessions: a signed-in browser, kept as the hash of its cookie's token

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", interlink.core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )
    op.create_index("ix_console_sessions_workspace_id", "console_sessions", ["workspace_id"])
    op.create_index("ix_console_sessions_key_id", "console_sessions", ["key_id"])
    op.create_index("ix_console_sessions_ended_at", "console_sessions", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_ended_at", table_name="console_sessions")
    op.drop_index("ix_console_sessions_key_id", table_name="console_sessions")
    op.drop_index("ix_console_sessions_workspace_id", table_name="console_sessions")
    op.drop_table("console_sessions")
