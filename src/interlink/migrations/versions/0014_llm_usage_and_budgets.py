"""language models' usage per call, budgets and their spend per period

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import interlink.core.db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("integration_id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_nanos", sa.BigInteger(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("created_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_usage")),
    )
    op.create_index("ix_llm_usage_workspace_at", "llm_usage", ["workspace_id", "created_at"])
    op.create_index("ix_llm_usage_integration_at", "llm_usage", ["integration_id", "created_at"])
    op.create_table(
        "llm_budgets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("workspace_id", sa.String(length=40), nullable=False),
        sa.Column("integration_id", sa.String(length=40), nullable=True),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("threshold_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_llm_budgets_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_budgets")),
    )
    op.create_index("ix_llm_budgets_workspace", "llm_budgets", ["workspace_id", "created_at"])
    op.create_table(
        "llm_budget_spend",
        sa.Column("budget_id", sa.String(length=40), nullable=False),
        sa.Column("period_start", interlink.core.db.UTCDateTime(), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("threshold_sent", sa.Boolean(), nullable=False),
        sa.Column("exhausted_sent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("budget_id", "period_start", name=op.f("pk_llm_budget_spend")),
    )


def downgrade() -> None:
    op.drop_table("llm_budget_spend")
    op.drop_index("ix_llm_budgets_workspace", table_name="llm_budgets")
    op.drop_table("llm_budgets")
    op.drop_index("ix_llm_usage_integration_at", table_name="llm_usage")
    op.drop_index("ix_llm_usage_workspace_at", table_name="llm_usage")
    op.drop_table("llm_usage")
