"""The SQL of workflows and executions that runs on the caller's session: definitions and their
versions, executions started, read, listed and cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.pagination import PageParams, fetch_page
from interlink.workflows.lifecycle import LIVE
from interlink.workflows.models import (
    Execution,
    ExecutionStep,
    ExecutionWait,
    Workflow,
    WorkflowVersion,
)


class WorkflowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- workflows --------------------------------------------------------------------------------
    async def add(self, workflow: Workflow) -> None:
        """A new workflow (flushed: its versions refer to it)."""
        self.session.add(workflow)
        await self.session.flush()

    async def add_version(self, workflow: Workflow, at: datetime) -> None:
        """Save the workflow's current definition as its version `workflow.version`."""
        await self.session.flush()
        self.session.add(
            WorkflowVersion(
                workflow_id=workflow.id,
                version=workflow.version,
                definition=workflow.definition,
                created_at=at,
            )
        )

    async def definitions(self, workflow_id: str) -> list[dict[str, Any]]:
        """Every saved definition of the workflow, oldest first."""
        query = (
            select(WorkflowVersion.definition)
            .where(WorkflowVersion.workflow_id == workflow_id)
            .order_by(WorkflowVersion.version)
        )
        return list((await self.session.scalars(query)).all())

    async def find(self, workflow_id: str) -> Workflow | None:
        """By id alone, for callers that have no workspace (a webhook trigger, the scheduler)."""
        return await self.session.get(Workflow, workflow_id)

    async def get(self, workspace_id: str, workflow_id: str) -> Workflow | None:
        row = await self.find(workflow_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def page(self, workspace_id: str, params: PageParams) -> tuple[Sequence[Workflow], int]:
        query = select(Workflow).where(Workflow.workspace_id == workspace_id)
        return await fetch_page(self.session, query, params, (Workflow.created_at,), Workflow.id)

    async def enabled(self) -> Sequence[Workflow]:
        """Every enabled workflow of every workspace."""
        query = select(Workflow).where(Workflow.enabled.is_(True))
        return (await self.session.scalars(query)).all()

    async def delete(self, workflow_id: str) -> None:
        """The workflow, its versions and executions (cascaded)."""
        await self.session.execute(delete(Workflow).where(Workflow.id == workflow_id))

    # -- executions -------------------------------------------------------------------------------
    async def add_execution(self, execution: Execution) -> None:
        self.session.add(execution)
        await self.session.flush()

    async def live_executions(self, workflow_id: str) -> int:
        query = (
            select(func.count())
            .select_from(Execution)
            .where(Execution.workflow_id == workflow_id, Execution.status.in_(LIVE))
        )
        return int(await self.session.scalar(query) or 0)

    async def triggered(self, workflow_id: str, trigger_key: str) -> bool:
        """Whether an execution of the workflow was started with `trigger_key`."""
        query = select(Execution.id).where(
            Execution.workflow_id == workflow_id, Execution.trigger_key == trigger_key
        )
        return await self.session.scalar(query) is not None

    async def execution(self, workspace_id: str, execution_id: str) -> Execution | None:
        row = await self.session.get(Execution, execution_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def executions(
        self,
        workspace_id: str,
        params: PageParams,
        *,
        workflow_id: str | None,
        status: str | None,
        since: datetime | None,
    ) -> tuple[Sequence[Execution], int]:
        query = select(Execution).where(Execution.workspace_id == workspace_id)
        if workflow_id is not None:
            query = query.where(Execution.workflow_id == workflow_id)
        if status is not None:
            query = query.where(Execution.status == status)
        if since is not None:
            query = query.where(Execution.created_at >= since)
        return await fetch_page(self.session, query, params, (Execution.created_at,), Execution.id)

    async def steps(self, execution_id: str) -> list[ExecutionStep]:
        """The execution's step rows, in their order in the definition."""
        query = (
            select(ExecutionStep)
            .where(ExecutionStep.execution_id == execution_id)
            .order_by(ExecutionStep.position)
        )
        return list((await self.session.scalars(query)).all())

    async def end(
        self,
        execution_id: str,
        status: str,
        *,
        at: datetime,
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> tuple[str, str] | None:
        """End a live execution; its workspace and workflow, or None if it had already ended."""
        ended = (
            await self.session.execute(
                update(Execution)
                .where(Execution.id == execution_id, Execution.status.in_(LIVE))
                .values(status=status, output=output, error=error, completed_at=at)
                .returning(Execution.workspace_id, Execution.workflow_id)
            )
        ).one_or_none()
        return None if ended is None else (ended[0], ended[1])

    async def close_waits(self, execution_id: str) -> None:
        await self.session.execute(
            update(ExecutionWait)
            .where(ExecutionWait.execution_id == execution_id, ExecutionWait.status == "open")
            .values(status="closed")
        )

    async def cancel_steps(self, execution_id: str, at: datetime) -> None:
        """The steps under way (running or waiting) end `cancelled`; a step that was acting
        still writes its own end when it returns."""
        await self.session.execute(
            update(ExecutionStep)
            .where(
                ExecutionStep.execution_id == execution_id,
                ExecutionStep.status.in_(("running", "waiting")),
            )
            .values(status="cancelled", completed_at=at)
        )

    async def flush(self) -> None:
        """Send the changes made to loaded rows (before work that reads them in the same
        transaction, such as an enqueue)."""
        await self.session.flush()

    async def refresh(self, row: Execution) -> None:
        await self.session.refresh(row)
