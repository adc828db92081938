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
        """Insert the hook unless one of the integration has the same delivery id or the same
        body digest; True if this call stored it. The database skips a conflict with either
        unique constraint, so concurrent duplicates neither fail nor need a retry."""
        statement: postgresql.Insert | sqlite.Insert
        if self.session.bind.dialect.name == "postgresql":
            statement = postgresql.insert(IncomingHook).values(**values).on_conflict_do_nothing()
        else:
            statement = sqlite.insert(IncomingHook).values(**values).on_conflict_do_nothing()
        stored = await self.session.execute(statement.returning(IncomingHook.id))
        return stored.scalar_one_or_none() is not None
