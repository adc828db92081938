"""Writing events (in the caller's transaction, never committed here) and reading the log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import Connection, insert
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.clock import Clock
from interlink.core.db import Base, Prepared
from interlink.core.driver import Statement, Write
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.events.models import Event
from interlink.events.repository import EventRepository
from interlink.events.types import PAYLOAD_MODELS, EventType, ProviderEvent, provider_event_type

EventRow = dict[str, Any]  # an event's column values (`EventService.row`), for `insert`
_TABLE = Base.metadata.tables[Event.__tablename__]
_INSERT = Prepared(insert(_TABLE))
_PUBLISH = Statement.insert(
    _TABLE, ("id", "workspace_id", "type", "integration_id", "payload", "created_at")
)


class EventOutbox(Protocol):
    """Where published events go to their webhook subscribers, in the same transaction."""

    def stage(self, session: AsyncSession, event_row: Event) -> None: ...

    async def delivery_writes(self, events: list[EventRow]) -> list[Write]: ...


class EventService:
    def __init__(self, clock: Clock, outbox: EventOutbox | None = None) -> None:
        self.clock = clock
        self.outbox = outbox

    def publish(
        self,
        session: AsyncSession,
        workspace_id: str,
        event_type: EventType,
        payload: BaseModel,
        *,
        integration_id: str | None = None,
        at: datetime | None = None,
        fan_out: bool = True,
    ) -> Event:
        """Add an event to the caller's transaction, with its webhook deliveries unless
        `fan_out` is False (the caller then writes the deliveries it wants)."""
        event = self.build(workspace_id, event_type, payload, integration_id=integration_id, at=at)
        EventRepository(session).add(event)
        if fan_out and self.outbox is not None:
            self.outbox.stage(session, event)
        return event

    def publish_provider(
        self, session: AsyncSession, workspace_id: str, payload: ProviderEvent
    ) -> Event:
        """Add a `provider.<type>.<event>` event (a verified incoming webhook), with its webhook
        deliveries, to the caller's transaction. These types are open-ended, so they are not
        members of `EventType`: `ProviderEvent` is the payload of all of them."""
        event = Event(
            id=new_id("evt"),
            workspace_id=workspace_id,
            type=provider_event_type(payload.provider, payload.event),
            integration_id=payload.integration_id,
            payload=payload.model_dump(mode="json"),
            created_at=payload.received_at,
        )
        EventRepository(session).add(event)
        if self.outbox is not None:
            self.outbox.stage(session, event)
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
        """An event, for a caller that adds it to its own transaction later."""
        return Event(
            **self.row(workspace_id, event_type, payload, integration_id=integration_id, at=at)
        )

    def row(
        self,
        workspace_id: str,
        event_type: EventType,
        payload: BaseModel,
        *,
        integration_id: str | None = None,
        at: datetime | None = None,
    ) -> EventRow:
        """An event's column values, for a writer of many rows at once (`insert`)."""
        expected = PAYLOAD_MODELS[event_type]
        if not isinstance(payload, expected):
            raise TypeError(f"{event_type} takes a {expected.__name__} payload")
        return {
            "id": new_id("evt"),
            "workspace_id": workspace_id,
            "type": event_type.value,
            "integration_id": integration_id,
            "payload": payload.model_dump(mode="json"),
            "created_at": at or self.clock.now(),
        }

    async def publishing(self, rows: list[EventRow]) -> list[Write]:
        """The writes that publish event `rows` (from `row`), with their webhook deliveries,
        for the caller's `Database.write`."""
        writes = [Write(_PUBLISH, row) for row in rows]
        if self.outbox is not None:
            writes += await self.outbox.delivery_writes(rows)
        return writes

    @staticmethod
    def insert(connection: Connection, rows: list[EventRow]) -> None:
        """Write event rows (from `row`) with a Core INSERT, in the caller's transaction.
        Their webhook deliveries are the caller's to write."""
        _INSERT.run(connection, rows)

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
