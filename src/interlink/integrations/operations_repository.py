from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.db import Base
from interlink.core.driver import Statement, Write
from interlink.core.pagination import PageParams, fetch_page
from interlink.integrations.models import Integration, IntegrationStatsHour, Operation


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
    """INSERT of `CallTally` rows that adds to the row of the same integration and hour."""
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    table = IntegrationStatsHour.__table__.c
    insert = dialect.insert(IntegrationStatsHour).values(
        {name: bindparam(name, type_=table[name].type) for name in CallTally.__dataclass_fields__}
    )
    given = insert.excluded
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


# The recorder's writes of many operations at once (`operation_recorder.py`).
_OPERATIONS = Base.metadata.tables[Operation.__tablename__]
_INSERT_OPERATIONS = Statement.insert(_OPERATIONS, tuple(_OPERATIONS.c.keys()))
# An outcome updates the row of its intent (or of its queueing), keyed by `written_id`: only the
# columns an outcome sets, so SQLite leaves the indexes of the others alone.
OUTCOME_COLUMNS = ("status", "result", "error", "completed_at", "duration_ms")
_SAVE_OUTCOMES = Statement.of(
    update(_OPERATIONS)
    .where(_OPERATIONS.c.id == bindparam("written_id"))
    .values({name: bindparam(name, type_=_OPERATIONS.c[name].type) for name in OUTCOME_COLUMNS})
)
_COUNT_CALLS = Statement(_upsert_statement)  # compiled once per dialect: SQLAlchemy cannot cache
# an ON CONFLICT clause, so it compiled it again at every execution (about 1 ms here)


def insert_operations(rows: Sequence[Mapping[str, Any]]) -> Write:
    """New operation rows (every column's value)."""
    return Write(_INSERT_OPERATIONS, rows)


def save_outcomes(rows: Sequence[Mapping[str, Any]]) -> Write:
    """Outcomes of operations: `written_id` and the `OUTCOME_COLUMNS` of each."""
    return Write(_SAVE_OUTCOMES, rows)


def count_calls(tallies: Sequence[CallTally]) -> Write:
    """Add each tally to the stats of its integration and hour."""
    return Write(_COUNT_CALLS, [vars(tally) for tally in tallies])


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

    async def hourly(
        self, workspace_id: str, since: datetime, integration_id: str | None = None
    ) -> list[tuple[datetime, int, int, int]]:
        """(hour, calls, failures, total_ms) of a workspace's integrations (or one), per hour."""
        query = (
            select(
                IntegrationStatsHour.hour,
                func.sum(IntegrationStatsHour.calls),
                func.sum(IntegrationStatsHour.failures),
                func.sum(IntegrationStatsHour.total_ms),
            )
            .join(Integration, Integration.id == IntegrationStatsHour.integration_id)
            .where(Integration.workspace_id == workspace_id, IntegrationStatsHour.hour >= since)
            .group_by(IntegrationStatsHour.hour)
            .order_by(IntegrationStatsHour.hour)
        )
        if integration_id is not None:
            query = query.where(IntegrationStatsHour.integration_id == integration_id)
        rows = (await self.session.execute(query)).all()
        return [(hour, int(c), int(f), int(ms)) for hour, c, f, ms in rows]
