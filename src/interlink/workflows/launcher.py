"""Starting an execution: its row and its DBOS workflow commit in one transaction, or neither."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.clock import Clock
from interlink.core.ids import new_id
from interlink.jobs import Jobs
from interlink.workflows.engine import QUEUE, run_execution, run_workflow_id
from interlink.workflows.models import Execution, Workflow
from interlink.workflows.repository import WorkflowRepository


class Launcher:
    def __init__(self, clock: Clock, jobs: Jobs) -> None:
        self.clock = clock
        self.jobs = jobs

    async def start(
        self,
        session: AsyncSession,
        workflow: Workflow,
        input_: dict[str, Any],
        *,
        trigger: str,
        created_by: str,
        trigger_key: str | None = None,
    ) -> Execution | None:
        """Add a pending execution of the workflow's current version to `session`, enqueued.
        With a `trigger_key` already used for this workflow it starts nothing (None)."""
        repository = WorkflowRepository(session)
        if trigger_key is not None and await repository.triggered(workflow.id, trigger_key):
            return None
        now = self.clock.now()
        execution = Execution(
            id=new_id("exec"),
            workspace_id=workflow.workspace_id,
            workflow_id=workflow.id,
            workflow_version=workflow.version,
            status="pending",
            trigger=trigger,
            trigger_key=trigger_key,
            run=1,
            input=input_,
            output=None,
            error=None,
            started_at=now,
            completed_at=None,
            created_at=now,
            created_by=created_by,
        )
        await repository.add_execution(execution)
        await self.enqueue(session, execution)
        return execution

    async def enqueue(self, session: AsyncSession, execution: Execution) -> None:
        """Enqueue the execution's current run in `session`'s transaction."""
        await self.jobs.enqueue_in(
            session,
            run_execution,
            execution.id,
            execution.run,
            workflow_id=run_workflow_id(execution.id, execution.run),
            queue=QUEUE,
        )
