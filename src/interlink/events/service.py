"""Publishing events (in the caller's unit of work, never committed here) and reading the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.db import UnitOfWork
from interlink.core.pagination import PageParams
from interlink.events.models import Event
from interlink.events.repository import EventRepository, insert_events
from interlink.events.types import EventRecord


class EventDeliveries(Protocol):
    """Where published events go to their webhook subscribers: their deliveries are written in
    the unit of work that writes the events."""

    async def stage(self, unit: UnitOfWork, events: Sequence[EventRecord]) -> None: ...


class EventService:
    def __init__(self, deliveries: EventDeliveries | None = None) -> None:
        self.deliveries = deliveries

    async def publish(self, unit: UnitOfWork, *events: EventRecord, deliver: bool = True) -> None:
        """Write `events` (from `new_event`) in `unit`, with a webhook delivery for each
        endpoint subscribed to them; `deliver` False: none, the caller writes the ones it wants.

        `unit` is an open transaction (`Database.transaction()`), or the list of writes the
        caller runs in one `Database.write` with its own (`core.db.write_in`)."""
        if not events:
            return
        await insert_events(unit, events)
        if deliver and self.deliveries is not None:
            await self.deliveries.stage(unit, events)

    async def page(
        self,
        session: AsyncSession,
        workspace_id: str,
        params: PageParams,
        *,
        type_: str | None = None,
        since: datetime | None = None,
        integration_id: str | None = None,
    ) -> tuple[Sequence[Event], int]:
        return await EventRepository(session).page(
            workspace_id, params, type_=type_, since=since, integration_id=integration_id
        )
