"""credential allowed hosts: where a credential may be sent

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:00:00.000000

A credential with no provider had no host of its own; the credentials that integrations use are
given the hosts of those integrations' api_url, so that what worked before the upgrade still works.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("allowed_hosts", sa.JSON(), nullable=True))
    connection = op.get_bind()
    used = connection.execute(
        sa.text(
            "SELECT credential_id, configuration FROM integrations WHERE credential_id IS NOT NULL"
        )
    ).all()
    hosts: dict[str, set[str]] = {}
    for credential_id, configuration in used:
        host = _host(configuration)
        if host:
            hosts.setdefault(credential_id, set()).add(host)
    credentials = sa.table(
        "credentials", sa.column("id", sa.String()), sa.column("allowed_hosts", sa.JSON())
    )
    for credential_id, names in hosts.items():
        connection.execute(
            credentials.update()
            .where(credentials.c.id == credential_id)
            .values(allowed_hosts=sorted(names))
        )


def _host(configuration: Any) -> str | None:
    document = json.loads(configuration) if isinstance(configuration, str) else configuration
    url = document.get("api_url") if isinstance(document, dict) else None
    host = urlsplit(url).hostname if isinstance(url, str) else None
    return host.removesuffix(".") if host else None


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_column("allowed_hosts")
