"""All SQL of the console: its sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.console.models import ConsoleSession


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: ConsoleSession) -> None:
        self.session.add(row)

    async def live(self, token_hash: str, now: datetime) -> ConsoleSession | None:
        """The session with this hash, unless it has ended or passed its absolute expiry."""
        query = select(ConsoleSession).where(
            ConsoleSession.token_hash == token_hash,
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.expires_at > now,
        )
        found: ConsoleSession | None = (await self.session.scalars(query)).first()
        return found

    async def seen(self, token_hash: str, now: datetime) -> None:
        await self.session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == token_hash)
            .values(last_seen_at=now)
        )

    async def end(self, token_hash: str, now: datetime) -> None:
        await self.session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == token_hash, ConsoleSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def end_of_key(self, key_id: str, now: datetime) -> None:
        await self.session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.key_id == key_id, ConsoleSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def purge(self, before: datetime) -> int:
        """Delete sessions that ended or expired before `before`."""
        result = await self.session.execute(
            delete(ConsoleSession).where(
                or_(ConsoleSession.ended_at < before, ConsoleSession.expires_at < before)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
