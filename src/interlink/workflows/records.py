"""The engine's writes: execution status, step rows, waits, in short transactions of their own.

Every status change is conditional on the execution not having ended, so a cancel that lands
while a step runs is never overwritten by that step's end."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.events.service import EventService
from interlink.events.types import EventType, WorkflowState
from interlink.workflows.models import (
    Execution,
    ExecutionCheckpoint,
    ExecutionStep,
    ExecutionWait,
    WorkflowVersion,
)

LIVE = ("pending", "running", "waiting")
FINISHED_EVENTS = {
    "completed": EventType.WORKFLOW_COMPLETED,
    "failed": EventType.WORKFLOW_FAILED,
    "cancelled": EventType.WORKFLOW_CANCELLED,
}


async def run_to_begin(session: AsyncSession, execution_id: str) -> Row[Any] | None:
    """What a run needs of its execution and of the version it runs, in one read."""
    query = (
        select(
            Execution.status,
            Execution.run,
            Execution.workspace_id,
            Execution.workflow_id,
            Execution.input,
            WorkflowVersion.definition,
        )
        .join(
            WorkflowVersion,
            (WorkflowVersion.workflow_id == Execution.workflow_id)
            & (WorkflowVersion.version == Execution.workflow_version),
        )
        .where(Execution.id == execution_id)
    )
    return (await session.execute(query)).one_or_none()


async def set_status(session: AsyncSession, execution_id: str, status: str) -> bool:
    result = await session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status.in_(LIVE))
        .values(status=status)
    )
    return bool(getattr(result, "rowcount", 0))


async def finish(
    session: AsyncSession,
    events: EventService,
    execution_id: str,
    status: str,
    *,
    at: datetime,
    output: Any = None,
    error: dict[str, Any] | None = None,
) -> bool:
    """End a live execution and publish its event; False if it had already ended."""
    ended = (
        await session.execute(
            update(Execution)
            .where(Execution.id == execution_id, Execution.status.in_(LIVE))
            .values(status=status, output=output, error=error, completed_at=at)
            .returning(Execution.workspace_id, Execution.workflow_id)
        )
    ).one_or_none()
    if ended is None:
        return False
    workspace_id, workflow_id = ended
    payload = WorkflowState(
        workflow_id=workflow_id,
        execution_id=execution_id,
        status=status,
        output=output,
        error=error,
    )
    events.publish(session, workspace_id, FINISHED_EVENTS[status], payload, at=at)
    return True


async def upsert_step(session: AsyncSession, values: dict[str, Any]) -> None:
    """Write a step row (insert, or replace the fields given of an existing one)."""
    table = ExecutionStep.__table__
    assert isinstance(table, Table)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    statement = insert.values(**values)
    changed = {k: statement.excluded[k] for k in values if k not in {"execution_id", "name"}}
    await session.execute(
        statement.on_conflict_do_update(index_elements=["execution_id", "name"], set_=changed)
    )


async def update_step(
    session: AsyncSession, execution_id: str, name: str, values: dict[str, Any]
) -> None:
    await session.execute(
        update(ExecutionStep)
        .where(ExecutionStep.execution_id == execution_id, ExecutionStep.name == name)
        .values(**values)
    )


async def steps_of(session: AsyncSession, execution_id: str) -> list[ExecutionStep]:
    query = (
        select(ExecutionStep)
        .where(ExecutionStep.execution_id == execution_id)
        .order_by(ExecutionStep.position)
    )
    return list((await session.scalars(query)).all())


async def close_waits(session: AsyncSession, execution_id: str) -> None:
    await session.execute(
        update(ExecutionWait)
        .where(ExecutionWait.execution_id == execution_id, ExecutionWait.status == "open")
        .values(status="closed")
    )


async def checkpoints_of(session: AsyncSession, execution_id: str, run: int) -> dict[int, Any]:
    query = select(ExecutionCheckpoint.seq, ExecutionCheckpoint.result).where(
        ExecutionCheckpoint.execution_id == execution_id, ExecutionCheckpoint.run == run
    )
    return {seq: result for seq, result in (await session.execute(query)).all()}


async def save_checkpoint(
    session: AsyncSession, execution_id: str, run: int, seq: int, result: Any
) -> None:
    table = ExecutionCheckpoint.__table__
    assert isinstance(table, Table)
    await session.execute(
        table.insert().values(execution_id=execution_id, run=run, seq=seq, result=result)
    )
