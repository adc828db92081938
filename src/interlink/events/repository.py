from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.pagination import PageParams
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
        where = [Event.workspace_id == workspace_id]
        if type_:
            where.append(Event.type == type_)
        if since:
            where.append(Event.created_at >= since)
        if integration_id:
            where.append(Event.integration_id == integration_id)
        total = await self.session.scalar(select(func.count()).select_from(Event).where(*where))
        order = Event.id.asc() if params.sort_order == "asc" else Event.id.desc()
        rows = await self.session.scalars(
            select(Event)
            .where(*where)
            .order_by(order)
            .offset(params.offset)
            .limit(params.page_size)
        )
        return rows.all(), total or 0
