from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from interlink.core.db import Base, create_engine
from interlink.migrations.registry import import_models

import_models()
target_metadata = Base.metadata
# Held by the migrating transaction on PostgreSQL: processes that start together on one database
# migrate one after the other (the next finds the schema at head), instead of racing to create
# the same tables.
MIGRATION_LOCK = 0x696E_746C_6D69_6772  # "intlmigr"


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _main() -> None:
    url = context.config.attributes["database_url"]
    engine = create_engine(url, pool_size=1)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_main())
