"""The SQL of the workflow event follower (`workflows/follower.py`) on the caller's session: the
open waits, the workflows an event may trigger, and the position it has read the log up to."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.workflows.models import EventCursor, ExecutionWait, Workflow


class FollowerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_waits(self) -> Sequence[ExecutionWait]:
        query = select(ExecutionWait).where(ExecutionWait.status == "open")
        return (await self.session.scalars(query)).all()

    async def match(self, wait_id: str, event_id: str) -> None:
        """The wait got `event_id`, unless it was closed meanwhile."""
        await self.session.execute(
            update(ExecutionWait)
            .where(ExecutionWait.id == wait_id, ExecutionWait.status == "open")
            .values(status="matched", event_id=event_id)
        )

    async def enabled_in(self, workspaces: Collection[str]) -> Sequence[Workflow]:
        query = select(Workflow).where(
            Workflow.workspace_id.in_(workspaces), Workflow.enabled.is_(True)
        )
        return (await self.session.scalars(query)).all()

    async def position(self, name: str) -> str | None:
        query = select(EventCursor.position).where(EventCursor.name == name)
        found: str | None = await self.session.scalar(query)
        return found

    async def save_position(self, name: str, position: str, at: datetime) -> None:
        """One upsert that only moves forward: workers that start together each save the first
        position, and a read-then-insert made one of them fail on the primary key."""
        dialect = sqlite if self.session.get_bind().dialect.name == "sqlite" else postgresql
        insert = dialect.insert(EventCursor).values(name=name, position=position, updated_at=at)
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[EventCursor.name],
                set_={"position": position, "updated_at": at},
                where=EventCursor.position < position,
            )
        )
