"""language-model budget holds: each call's hold until it is settled, so a dead call's is let go

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_budget_holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("budget_id", sa.String(length=40), nullable=False),
        sa.Column("period_start", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", "budget_id", name=op.f("pk_llm_budget_holds")),
    )
    op.create_index("ix_llm_budget_holds_expires_at", "llm_budget_holds", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_llm_budget_holds_expires_at", table_name="llm_budget_holds")
    op.drop_table("llm_budget_holds")
