"""The engine's reads and writes: execution status, step rows, checkpoints, waits.

Statements compiled once (`core/driver.py`): a run's begin reads with `Database.read_one`, and
every write of a run (its begin, its steps, its end with its event) is a `Write` run by
`Database.write`. Only a cancel, from the API, ends an execution in a session (`finish`). Every
status change is conditional on the execution not having ended, so a cancel that lands while a
step runs is never overwritten by that step's end."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.db import Base, Database
from interlink.core.driver import Query, Statement, Write
from interlink.events.service import EventService
from interlink.events.types import EventType, WorkflowState
from interlink.workflows.models import (
    Execution,
    ExecutionCheckpoint,
    ExecutionStep,
    ExecutionWait,
    WorkflowVersion,
)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


LIVE = ("pending", "running", "waiting")
_EXECUTIONS = _table(Execution)
_STEPS = _table(ExecutionStep)
_CHECKPOINTS = _table(ExecutionCheckpoint)
_WAITS = _table(ExecutionWait)
FINISHED_EVENTS = {
    "completed": EventType.WORKFLOW_COMPLETED,
    "failed": EventType.WORKFLOW_FAILED,
    "cancelled": EventType.WORKFLOW_CANCELLED,
}


_RUN_TO_BEGIN = Query(
    select(
        _EXECUTIONS.c.status,
        _EXECUTIONS.c.run,
        _EXECUTIONS.c.workspace_id,
        _EXECUTIONS.c.workflow_id,
        _EXECUTIONS.c.input,
        WorkflowVersion.__table__.c.definition,
    )
    .join(
        WorkflowVersion.__table__,
        (WorkflowVersion.workflow_id == _EXECUTIONS.c.workflow_id)
        & (WorkflowVersion.version == _EXECUTIONS.c.workflow_version),
    )
    .where(_EXECUTIONS.c.id == bindparam("execution_id"))
)


async def run_to_begin(db: Database, execution_id: str) -> Mapping[str, Any] | None:
    """What a run needs of its execution and of the version it runs, in one read."""
    return await db.read_one(_RUN_TO_BEGIN, {"execution_id": execution_id})


def _binds(table: Table, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


_STATUS_CHANGE = Statement.of(
    update(_EXECUTIONS)
    .where(
        _EXECUTIONS.c.id == bindparam("execution_id"),
        _EXECUTIONS.c.status.in_([literal_column(f"'{status}'") for status in LIVE]),
    )
    .values(status=bindparam("new_status"))
)


def status_change(execution_id: str, status: str, *, required: bool = True) -> Write:
    """Set a live execution's status; `required`: the transaction writes nothing (and says
    so) once the execution has ended."""
    values = {"execution_id": execution_id, "new_status": status}
    return Write(_STATUS_CHANGE, values, required=required)


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


STEP_COLUMNS = (
    "execution_id", "name", "position", "type", "status", "attempts", "output", "error",
    "started_at", "completed_at",
)  # fmt: skip


def _step_upsert(dialect: str) -> Insert:
    insert = postgresql.insert(_STEPS) if dialect == "postgresql" else sqlite.insert(_STEPS)
    statement = insert.values(**_binds(_STEPS, STEP_COLUMNS))
    changed = {k: statement.excluded[k] for k in STEP_COLUMNS if k not in {"execution_id", "name"}}
    return statement.on_conflict_do_update(index_elements=["execution_id", "name"], set_=changed)


STEP_UPSERT = Statement(_step_upsert)
_STEP_CHANGE = Statement.of(
    update(_STEPS)
    .where(_STEPS.c.execution_id == bindparam("execution_id"), _STEPS.c.name == bindparam("name"))
    .values(**_binds(_STEPS, ("status", "output", "error", "completed_at")))
)
_CHECKPOINT_INSERT = Statement.of(
    _CHECKPOINTS.insert().values(**_binds(_CHECKPOINTS, ("execution_id", "run", "seq", "result")))
)
WAIT_COLUMNS = (
    "id", "workspace_id", "execution_id", "destination", "event", "filter", "status",
    "event_id", "created_at",
)  # fmt: skip
_WAIT_INSERT = Statement.of(_WAITS.insert().values(**_binds(_WAITS, WAIT_COLUMNS)))
_WAIT_CLOSE = Statement.of(
    update(_WAITS)
    .where(_WAITS.c.id == bindparam("wait_id"), _WAITS.c.status == "open")
    .values(status="closed")
)


_FINISH = Statement.of(
    update(_EXECUTIONS)
    .where(
        _EXECUTIONS.c.id == bindparam("execution_id"),
        _EXECUTIONS.c.status.in_([literal_column(f"'{status}'") for status in LIVE]),
    )
    .values(
        status=bindparam("new_status"), **_binds(_EXECUTIONS, ("output", "error", "completed_at"))
    )
)
_CLOSE_WAITS = Statement.of(
    update(_WAITS)
    .where(_WAITS.c.execution_id == bindparam("execution_id"), _WAITS.c.status == "open")
    .values(status="closed")
)


def finish_change(
    execution_id: str, status: str, output: Any, error: dict[str, Any] | None, at: datetime
) -> Write:
    """End a live execution; required: the transaction writes nothing if it had ended."""
    values = {
        "execution_id": execution_id, "new_status": status, "output": output, "error": error,
        "completed_at": at,
    }  # fmt: skip
    return Write(_FINISH, values, required=True)


def waits_close(execution_id: str) -> Write:
    """Close the execution's open waits."""
    return Write(_CLOSE_WAITS, {"execution_id": execution_id})


def step_upsert(values: dict[str, Any]) -> Write:
    """Write a step row (every column of `STEP_COLUMNS`): insert, or replace an existing one."""
    return Write(STEP_UPSERT, values)


def step_change(execution_id: str, name: str, values: dict[str, Any]) -> Write:
    """Set a step's status, output, error and completed_at."""
    return Write(_STEP_CHANGE, {"execution_id": execution_id, "name": name, **values})


def checkpoint_insert(execution_id: str, run: int, seq: int, result: Any) -> Write:
    values = {"execution_id": execution_id, "run": run, "seq": seq, "result": result}
    return Write(_CHECKPOINT_INSERT, values)


def wait_insert(values: dict[str, Any]) -> Write:
    return Write(_WAIT_INSERT, values)


def wait_close(wait_id: str) -> Write:
    return Write(_WAIT_CLOSE, {"wait_id": wait_id})


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


async def cancel_steps(session: AsyncSession, execution_id: str, at: datetime) -> None:
    """The steps under way (running or waiting) of a cancelled execution end `cancelled`; a step
    that was acting still writes its own end when it returns."""
    await session.execute(
        update(ExecutionStep)
        .where(
            ExecutionStep.execution_id == execution_id,
            ExecutionStep.status.in_(("running", "waiting")),
        )
        .values(status="cancelled", completed_at=at)
    )


async def checkpoints_of(session: AsyncSession, execution_id: str, run: int) -> dict[int, Any]:
    query = select(ExecutionCheckpoint.seq, ExecutionCheckpoint.result).where(
        ExecutionCheckpoint.execution_id == execution_id, ExecutionCheckpoint.run == run
    )
    return {seq: result for seq, result in (await session.execute(query)).all()}
