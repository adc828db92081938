from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.db import Base, UnitOfWork, write_in
from interlink.core.driver import Statement, Write
from interlink.core.pagination import PageParams, fetch_page
from interlink.events.models import Event
from interlink.events.types import EventRecord

_Row = TypeVar("_Row", bound=tuple[Any, ...])

_INSERT = Statement.insert(
    Base.metadata.tables[Event.__tablename__],
    ("id", "workspace_id", "type", "integration_id", "payload", "created_at"),
)


async def insert_events(unit: UnitOfWork, events: Sequence[EventRecord]) -> None:
    """Write the rows of `events` in `unit` (one executemany)."""
    await write_in(unit, Write(_INSERT, [vars(event) for event in events]))


class EventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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

    # Reading the log as it grows (`events/follower.py`); `workspace_id` None reads every
    # workspace's events.

    async def newest_id(self, workspace_id: str | None) -> str | None:
        query = _of(select(Event.id), workspace_id).order_by(Event.id.desc()).limit(1)
        found: str | None = await self.session.scalar(query)
        return found

    async def after(self, position: str, limit: int, workspace_id: str | None) -> Sequence[Event]:
        """The first `limit` events after the id `position`, in id order."""
        query = _of(select(Event), workspace_id).where(Event.id > position)
        return (await self.session.scalars(query.order_by(Event.id).limit(limit))).all()

    async def ids_between(self, low: str, high: str, workspace_id: str | None) -> Sequence[str]:
        """The ids from `low` up to, not including, `high`."""
        query = _of(select(Event.id), workspace_id).where(Event.id >= low, Event.id < high)
        return (await self.session.scalars(query)).all()

    async def with_ids(self, ids: Sequence[str]) -> Sequence[Event]:
        query = select(Event).where(Event.id.in_(ids)).order_by(Event.id)
        return (await self.session.scalars(query)).all()

    async def made_since(
        self, workspace_id: str, low: str, created_at: datetime, limit: int
    ) -> Sequence[Event]:
        """A workspace's events from the id `low` on, created at or after `created_at`."""
        query = select(Event).where(
            Event.workspace_id == workspace_id, Event.id >= low, Event.created_at >= created_at
        )
        return (await self.session.scalars(query.order_by(Event.id).limit(limit))).all()


def _of(query: Select[_Row], workspace_id: str | None) -> Select[_Row]:
    return query if workspace_id is None else query.where(Event.workspace_id == workspace_id)
