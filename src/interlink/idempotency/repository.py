"""All SQL of idempotency records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.idempotency.models import IdempotencyRecord


class IdempotencyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, workspace_id: str, caller: str, key: str) -> IdempotencyRecord | None:
        return await self.session.get(IdempotencyRecord, (workspace_id, caller, key))

    async def add(self, record: IdempotencyRecord) -> None:
        """Insert now: a claim of the same key by a request running meanwhile fails here
        (IntegrityError)."""
        self.session.add(record)
        await self.session.flush()

    async def delete(self, record: IdempotencyRecord) -> None:
        await self.session.delete(record)
        await self.session.flush()

    async def delete_made_before(self, before: datetime) -> None:
        await self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < before)
        )

    async def sealed_under(self, key_ids: set[str], limit: int) -> Sequence[IdempotencyRecord]:
        """Up to `limit` records whose response is sealed under one of `key_ids`."""
        query = select(IdempotencyRecord).where(IdempotencyRecord.key_id.in_(key_ids)).limit(limit)
        return (await self.session.scalars(query)).all()
