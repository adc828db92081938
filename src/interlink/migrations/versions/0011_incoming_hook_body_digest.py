"""incoming hook body digest: a signed body is stored once per integration

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00.000000

Hooks stored before get the digest of their body, in batches; where one integration received
the same body more than once (replays), only the first keeps it, so the constraint holds.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_BATCH = 500
_HOOKS = sa.table(
    "incoming_hooks",
    sa.column("id", sa.String),
    sa.column("integration_id", sa.String),
    sa.column("body", sa.LargeBinary),
    sa.column("body_digest", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("incoming_hooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_digest", sa.String(length=64), nullable=True))
    _digest_stored_bodies(op.get_bind())
    _keep_first_of_each_body(op.get_bind())
    with op.batch_alter_table("incoming_hooks", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_incoming_hooks_body_digest", ["integration_id", "body_digest"]
        )


def downgrade() -> None:
    with op.batch_alter_table("incoming_hooks", schema=None) as batch_op:
        batch_op.drop_constraint("uq_incoming_hooks_body_digest", type_="unique")
        batch_op.drop_column("body_digest")


def _digest_stored_bodies(connection: sa.Connection) -> None:
    """Ids sort by time: the rows are read in pages of ids, never all at once."""
    save = (
        sa.update(_HOOKS)
        .where(_HOOKS.c.id == sa.bindparam("b_id"))
        .values(body_digest=sa.bindparam("b_digest"))
    )
    after = ""
    while True:
        page = connection.execute(
            sa.select(_HOOKS.c.id, _HOOKS.c.body)
            .where(_HOOKS.c.id > after)
            .order_by(_HOOKS.c.id)
            .limit(_BATCH)
        ).all()
        if not page:
            return
        digests = [{"b_id": i, "b_digest": hashlib.sha256(body).hexdigest()} for i, body in page]
        connection.execute(save, digests)
        after = page[-1][0]


def _keep_first_of_each_body(connection: sa.Connection) -> None:
    first = (
        sa.select(sa.func.min(_HOOKS.c.id))
        .where(_HOOKS.c.body_digest.is_not(None))
        .group_by(_HOOKS.c.integration_id, _HOOKS.c.body_digest)
    )
    connection.execute(
        sa.update(_HOOKS)
        .where(_HOOKS.c.body_digest.is_not(None), _HOOKS.c.id.not_in(first))
        .values(body_digest=None)
    )
