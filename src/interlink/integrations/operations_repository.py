from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Insert, TextClause, bindparam, func, select, text, update
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

    async def mark_running(self, operation_id: str, at: datetime) -> None:
        await self.session.execute(
            update(Operation)
            .where(Operation.id == operation_id, Operation.status.in_(("queued", "running")))
            .values(status="running", started_at=at)
        )

    async def overdue(self, now: datetime, limit: int) -> Sequence[Operation]:
        """Synchronous operations still running past their deadline: their process died."""
        query = (
            select(Operation)
            .where(Operation.status == "running", Operation.deadline_at < now)
            .order_by(Operation.deadline_at)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()

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


@dataclass
class CallTally:
    """Calls of one integration within one hour, to add to its stats in one statement."""

    integration_id: str
    hour: datetime
    calls: int = 0
    failures: int = 0
    total_ms: int = 0
    last_call_at: datetime | None = None

    @staticmethod
    def hour_of(at: datetime) -> datetime:
        return at.replace(minute=0, second=0, microsecond=0)

    def count(self, at: datetime, duration_ms: int, failed: bool) -> None:
        self.calls += 1
        self.failures += int(failed)
        self.total_ms += duration_ms
        self.last_call_at = at if self.last_call_at is None else max(self.last_call_at, at)


def _upsert_statement(dialect_name: str) -> Insert:
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    insert = dialect.insert(IntegrationStatsHour)
    table, given = IntegrationStatsHour.__table__.c, insert.excluded
    latest = func.max if dialect is sqlite else func.greatest  # of two values, not an aggregate
    upsert: Insert = insert.on_conflict_do_update(
        index_elements=[table.integration_id, table.hour],
        set_={
            "calls": table.calls + given.calls,
            "failures": table.failures + given.failures,
            "total_ms": table.total_ms + given.total_ms,
            "last_call_at": latest(table.last_call_at, given.last_call_at),
        },
    )
    return upsert


@cache
def upsert_calls(dialect_name: str) -> TextClause:
    """INSERT of `CallTally` rows that adds to the row of the same integration and hour.

    SQLAlchemy cannot cache the compiled form of an ON CONFLICT clause, so the upsert would be
    compiled again at every write (about 1 ms here): it is compiled once, to a text statement
    whose parameters keep their column types."""
    named = sqlite.dialect if dialect_name == "sqlite" else postgresql.dialect
    compiled = _upsert_statement(dialect_name).compile(dialect=named(paramstyle="named"))
    columns = IntegrationStatsHour.__table__.c
    binds = [bindparam(name, type_=columns[name].type) for name in compiled.binds]
    return text(str(compiled)).bindparams(*binds)


class StatsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
