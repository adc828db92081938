from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.pagination import PageParams, fetch_page
from interlink.events.models import Event


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, event: Event) -> None:
        self.session.add(event)

    async def page(
        self,
        workspace_id: str,
        params: PageParams,
        *,
        type_: str | None,
        since: datetime | None,
        integration_id: str | None,
    ) -> tuple[Sequence[Event], int]:
        query = select(Event).where(Event.workspace_id == workspace_id)
        if type_:
            query = query.where(Event.type == type_)
        if since:
            query = query.where(Event.created_at >= since)
        if integration_id:
            query = query.where(Event.integration_id == integration_id)
        return await fetch_page(self.session, query, params, (), Event.id)
