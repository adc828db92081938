from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.pagination import PageParams, fetch_page
from interlink.integrations.models import IntegrationStatsHour, Operation


class OperationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, operation: Operation) -> None:
        self.session.add(operation)

    async def get(
        self, workspace_id: str, integration_id: str, operation_id: str
    ) -> Operation | None:
        query = select(Operation).where(
            Operation.workspace_id == workspace_id,
            Operation.integration_id == integration_id,
            Operation.id == operation_id,
        )
        return (await self.session.scalars(query)).first()

    async def page(
        self,
        workspace_id: str,
        integration_id: str,
        params: PageParams,
        *,
        operation: str | None,
        status: str | None,
    ) -> tuple[Sequence[Operation], int]:
        query = select(Operation).where(
            Operation.workspace_id == workspace_id, Operation.integration_id == integration_id
        )
        if operation:
            query = query.where(Operation.operation == operation)
        if status:
            query = query.where(Operation.status == status)
        return await fetch_page(self.session, query, params, (Operation.started_at,), Operation.id)


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count_call(
        self, integration_id: str, at: datetime, duration_ms: int, failed: bool
    ) -> None:
        hour = at.replace(minute=0, second=0, microsecond=0)
        dialect = sqlite if self.session.bind.dialect.name == "sqlite" else postgresql
        row = {
            "integration_id": integration_id,
            "hour": hour,
            "calls": 1,
            "failures": int(failed),
            "total_ms": duration_ms,
            "last_call_at": at,
        }
        insert = dialect.insert(IntegrationStatsHour).values(**row)
        table = IntegrationStatsHour.__table__.c
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=[table.integration_id, table.hour],
                set_={
                    "calls": table.calls + 1,
                    "failures": table.failures + int(failed),
                    "total_ms": table.total_ms + duration_ms,
                    "last_call_at": insert.excluded.last_call_at,
                },
            )
        )

    async def totals(
        self, integration_id: str, since: datetime | None = None
    ) -> tuple[int, int, int, datetime | None]:
        """(calls, failures, total_ms, last call) of an integration, since a time if given."""
        query = select(
            func.coalesce(func.sum(IntegrationStatsHour.calls), 0),
            func.coalesce(func.sum(IntegrationStatsHour.failures), 0),
            func.coalesce(func.sum(IntegrationStatsHour.total_ms), 0),
            func.max(IntegrationStatsHour.last_call_at),
        ).where(IntegrationStatsHour.integration_id == integration_id)
        if since is not None:
            query = query.where(IntegrationStatsHour.hour >= since)
        calls, failures, total_ms, last = (await self.session.execute(query)).one()
        return int(calls), int(failures), int(total_ms), last
