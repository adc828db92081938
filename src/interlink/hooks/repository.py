"""All SQL of incoming hooks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.hooks.models import IncomingHook


class HookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_once(self, values: dict[str, Any]) -> bool:
        """Insert the hook unless one with the same (integration, delivery id) exists; True if
        this call stored it. The database skips a conflict, so concurrent duplicates neither
        fail nor need a retry."""
        keys = ["integration_id", "delivery_id"]
        statement: postgresql.Insert | sqlite.Insert
        if self.session.bind.dialect.name == "postgresql":
            pg = postgresql.insert(IncomingHook).values(**values)
            statement = pg.on_conflict_do_nothing(index_elements=keys)
        else:
            lite = sqlite.insert(IncomingHook).values(**values)
            statement = lite.on_conflict_do_nothing(index_elements=keys)
        stored = await self.session.execute(statement.returning(IncomingHook.id))
        return stored.scalar_one_or_none() is not None
