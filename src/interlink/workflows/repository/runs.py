"""The SQL of a run of an execution (the engine's): execution status, step rows, checkpoints and
waits, straight on the driver (`core/driver.py`).

Each statement is compiled once per dialect. A run's begin reads with `Database.read_one`; every
write of a run (its begin, its steps, its end with its event) is a `Write` built here and run by
`RunRepository.write`, in one transaction with the others given. Every status change is
conditional on the execution being live, so a cancel that lands while a step runs is never
overwritten by that step's end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, bindparam, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from interlink.core.db import Base, Database
from interlink.core.driver import Query, Statement, Write
from interlink.workflows.lifecycle import LIVE
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


def _binds(table: Table, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


_EXECUTIONS = _table(Execution)
_STEPS = _table(ExecutionStep)
_CHECKPOINTS = _table(ExecutionCheckpoint)
_WAITS = _table(ExecutionWait)
_VERSIONS = _table(WorkflowVersion)
_IS_LIVE = _EXECUTIONS.c.status.in_([literal_column(f"'{status}'") for status in LIVE])
_THIS_EXECUTION = _EXECUTIONS.c.id == bindparam("execution_id")

_RUN_TO_BEGIN = Query(
    select(
        _EXECUTIONS.c.status,
        _EXECUTIONS.c.run,
        _EXECUTIONS.c.workspace_id,
        _EXECUTIONS.c.workflow_id,
        _EXECUTIONS.c.input,
        _VERSIONS.c.definition,
    )
    .join(
        _VERSIONS,
        (_VERSIONS.c.workflow_id == _EXECUTIONS.c.workflow_id)
        & (_VERSIONS.c.version == _EXECUTIONS.c.workflow_version),
    )
    .where(_THIS_EXECUTION)
)
_STATUS = Query(select(_EXECUTIONS.c.status).where(_THIS_EXECUTION))
_STATUS_CHANGE = Statement.of(
    update(_EXECUTIONS).where(_THIS_EXECUTION, _IS_LIVE).values(status=bindparam("new_status"))
)
_FINISH = Statement.of(
    update(_EXECUTIONS)
    .where(_THIS_EXECUTION, _IS_LIVE)
    .values(
        status=bindparam("new_status"), **_binds(_EXECUTIONS, ("output", "error", "completed_at"))
    )
)

STEP_COLUMNS = (
    "execution_id", "name", "position", "type", "status", "attempts", "output", "error",
    "started_at", "completed_at",
)  # fmt: skip


def _step_upsert(dialect: str) -> Insert:
    insert = postgresql.insert(_STEPS) if dialect == "postgresql" else sqlite.insert(_STEPS)
    statement = insert.values(**_binds(_STEPS, STEP_COLUMNS))
    changed = {k: statement.excluded[k] for k in STEP_COLUMNS if k not in {"execution_id", "name"}}
    return statement.on_conflict_do_update(index_elements=["execution_id", "name"], set_=changed)


_STEP_UPSERT = Statement(_step_upsert)
_STEP_CHANGE = Statement.of(
    update(_STEPS)
    .where(_STEPS.c.execution_id == bindparam("execution_id"), _STEPS.c.name == bindparam("name"))
    .values(**_binds(_STEPS, ("status", "output", "error", "completed_at")))
)
_CHECKPOINT_INSERT = Statement.insert(_CHECKPOINTS, ("execution_id", "run", "seq", "result"))
_WAIT_INSERT = Statement.insert(
    _WAITS,
    (
        "id", "workspace_id", "execution_id", "destination", "event", "filter", "status",
        "event_id", "created_at",
    ),
)  # fmt: skip
_WAIT_CLOSE = Statement.of(
    update(_WAITS)
    .where(_WAITS.c.id == bindparam("wait_id"), _WAITS.c.status == "open")
    .values(status="closed")
)
_WAITS_CLOSE = Statement.of(
    update(_WAITS)
    .where(_WAITS.c.execution_id == bindparam("execution_id"), _WAITS.c.status == "open")
    .values(status="closed")
)


class RunRepository:
    """A run's reads, and `write` for the writes built below."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def to_begin(self, execution_id: str) -> Mapping[str, Any] | None:
        """What a run needs of its execution and of the version it runs, in one read: `status`,
        `run`, `workspace_id`, `workflow_id`, `input`, `definition`."""
        return await self.db.read_one(_RUN_TO_BEGIN, {"execution_id": execution_id})

    async def status(self, execution_id: str) -> str | None:
        found = await self.db.read_one(_STATUS, {"execution_id": execution_id})
        return None if found is None else str(found["status"])

    async def checkpoints(self, execution_id: str, run: int) -> dict[int, Any]:
        """The results the run saved, by number (0 is its plan)."""
        query = select(ExecutionCheckpoint.seq, ExecutionCheckpoint.result).where(
            ExecutionCheckpoint.execution_id == execution_id, ExecutionCheckpoint.run == run
        )
        async with self.db.read() as session:
            return {seq: result for seq, result in (await session.execute(query)).all()}

    async def completed_steps(self, execution_id: str) -> list[ExecutionStep]:
        """The steps of the execution that completed (in an earlier run), in their order."""
        query = (
            select(ExecutionStep)
            .where(ExecutionStep.execution_id == execution_id, ExecutionStep.status == "completed")
            .order_by(ExecutionStep.position)
        )
        async with self.db.read() as session:
            return list((await session.scalars(query)).all())

    async def write(self, *writes: Write) -> bool:
        """Run `writes` in one transaction; False, with nothing written, when a required one
        (a status change of an execution that has ended) changed no row."""
        return await self.db.write(*writes)


@dataclass(frozen=True)
class StepRow:
    """Every column of a step's row (`workflow_execution_steps`)."""

    execution_id: str
    name: str
    position: int
    type: str
    status: str
    attempts: int = 0
    output: Any = None
    error: dict[str, Any] | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


def status_change(execution_id: str, status: str, *, required: bool = True) -> Write:
    """Set a live execution's status; `required`: the transaction writes nothing (and says so)
    once the execution has ended."""
    values = {"execution_id": execution_id, "new_status": status}
    return Write(_STATUS_CHANGE, values, required=required)


def finish(
    execution_id: str, status: str, output: Any, error: dict[str, Any] | None, at: datetime
) -> Write:
    """End a live execution; required: the transaction writes nothing if it had ended."""
    values = {
        "execution_id": execution_id, "new_status": status, "output": output, "error": error,
        "completed_at": at,
    }  # fmt: skip
    return Write(_FINISH, values, required=True)


def step_upsert(row: StepRow) -> Write:
    """Write a step's row: insert it, or replace the one there."""
    return Write(_STEP_UPSERT, {name: getattr(row, name) for name in STEP_COLUMNS})


def step_end(
    execution_id: str,
    name: str,
    status: str,
    output: Any,
    error: dict[str, Any] | None,
    at: datetime,
) -> Write:
    """Set a step's status, output, error and end time."""
    values = {
        "execution_id": execution_id, "name": name, "status": status, "output": output,
        "error": error, "completed_at": at,
    }  # fmt: skip
    return Write(_STEP_CHANGE, values)


def checkpoint(execution_id: str, run: int, seq: int, result: Any) -> Write:
    """Save `result` as the run's checkpoint `seq`."""
    values = {"execution_id": execution_id, "run": run, "seq": seq, "result": result}
    return Write(_CHECKPOINT_INSERT, values)


def wait_open(
    wait_id: str,
    *,
    workspace_id: str,
    execution_id: str,
    destination: str,
    event: str,
    filter_: dict[str, Any],
    at: datetime,
) -> Write:
    """An open wait for an event: the event follower sends the first match to `destination`."""
    values = {
        "id": wait_id, "workspace_id": workspace_id, "execution_id": execution_id,
        "destination": destination, "event": event, "filter": filter_, "status": "open",
        "event_id": None, "created_at": at,
    }  # fmt: skip
    return Write(_WAIT_INSERT, values)


def wait_close(wait_id: str) -> Write:
    return Write(_WAIT_CLOSE, {"wait_id": wait_id})


def waits_close(execution_id: str) -> Write:
    """Close the execution's open waits."""
    return Write(_WAITS_CLOSE, {"execution_id": execution_id})
