"""language-model usage: each call's outcome (a failed call's error code), its duration and its
time to the first token, for monitoring per model

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("llm_usage") as table:
        table.add_column(sa.Column("error_code", sa.String(length=60), nullable=True))
        table.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
        table.add_column(sa.Column("first_token_ms", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("llm_usage") as table:
        table.drop_column("first_token_ms")
        table.drop_column("duration_ms")
        table.drop_column("error_code")
