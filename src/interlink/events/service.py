"""Writing events (in the caller's transaction, never committed here) and reading the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.clock import Clock
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.events.models import Event
from interlink.events.repository import EventRepository
from interlink.events.types import PAYLOAD_MODELS, EventType


class EventService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def publish(
        self,
        session: AsyncSession,
        workspace_id: str,
        event_type: EventType,
        payload: BaseModel,
        *,
        integration_id: str | None = None,
        at: datetime | None = None,
    ) -> Event:
        """Add an event to the caller's transaction."""
        event = self.build(workspace_id, event_type, payload, integration_id=integration_id, at=at)
        EventRepository(session).add(event)
        return event

    def build(
        self,
        workspace_id: str,
        event_type: EventType,
        payload: BaseModel,
        *,
        integration_id: str | None = None,
        at: datetime | None = None,
    ) -> Event:
        """An event row, for a caller that writes it later in its own transaction."""
        expected = PAYLOAD_MODELS[event_type]
        if not isinstance(payload, expected):
            raise TypeError(f"{event_type} takes a {expected.__name__} payload")
        return Event(
            id=new_id("evt"),
            workspace_id=workspace_id,
            type=event_type.value,
            integration_id=integration_id,
            payload=payload.model_dump(mode="json"),
            created_at=at or self.clock.now(),
        )

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
