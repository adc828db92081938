"""Workflows (each save a new version) and their executions: start, read, cancel, retry."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal
from interlink.core.clock import Clock
from interlink.core.errors import Conflict, ExecutionNotFound, WorkflowNotFound
from interlink.core.ids import new_id
from interlink.core.metrics import Metrics
from interlink.core.pagination import PageParams
from interlink.events.service import EventService
from interlink.events.types import new_event
from interlink.integrations.service import IntegrationService
from interlink.jobs import Jobs
from interlink.providers.registry import Registry
from interlink.vault.service import CredentialService
from interlink.workflows import lifecycle, schedules
from interlink.workflows.checks import DefinitionChecks, Routes
from interlink.workflows.engine import SIGNAL, run_workflow_id
from interlink.workflows.launcher import Launcher
from interlink.workflows.lifecycle import LIVE
from interlink.workflows.models import Execution, ExecutionStep, Workflow
from interlink.workflows.repository import WorkflowRepository
from interlink.workflows.sandbox import Sandbox
from interlink.workflows.schemas import (
    ExecutionOut,
    StepOut,
    WorkflowCreate,
    WorkflowOut,
    WorkflowPatch,
)

TRIGGER_PATH = "/api/v1/workflows/{id}/trigger/{token}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WorkflowService:
    def __init__(
        self,
        clock: Clock,
        jobs: Jobs,
        events: EventService,
        integrations: IntegrationService,
        credentials: CredentialService,
        registry: Registry,
        sandbox: Sandbox,
        metrics: Metrics | None = None,
        routes: Routes | None = None,
    ) -> None:
        self.clock = clock
        self.sandbox = sandbox
        self.metrics = metrics
        self.jobs = jobs
        self.events = events
        self.checks = DefinitionChecks(integrations, credentials, registry, sandbox, routes)
        self.launcher = Launcher(clock, jobs)

    # -- workflows --------------------------------------------------------------------------------
    async def create(
        self, session: AsyncSession, principal: Principal, body: WorkflowCreate
    ) -> tuple[Workflow, str | None]:
        await self.checks.check(session, principal, body.definition)
        now = self.clock.now()
        row = Workflow(
            id=new_id("wf"),
            workspace_id=principal.workspace_id,
            name=body.name,
            description=body.description,
            is_public=body.is_public,
            enabled=body.enabled,
            version=1,
            definition=body.definition.model_dump(mode="json", by_alias=True),
            triggers=schedules.in_force(
                [t.model_dump(mode="json") for t in body.triggers], None, now
            ),
            trigger_token_hash=None,
            created_at=now,
            updated_at=now,
            created_by=principal.subject,
        )
        token = self._token_for(row)
        repository = WorkflowRepository(session)
        await repository.add(row)
        await repository.add_version(row, now)
        return row, token

    async def get(self, session: AsyncSession, workspace_id: str, workflow_id: str) -> Workflow:
        row = await WorkflowRepository(session).get(workspace_id, workflow_id)
        if row is None:
            raise WorkflowNotFound()
        return row

    async def page(
        self, session: AsyncSession, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[Workflow], int]:
        return await WorkflowRepository(session).page(workspace_id, params)

    async def versions(
        self, session: AsyncSession, workspace_id: str, workflow_id: str
    ) -> list[dict[str, Any]]:
        """The definitions of every version, oldest first (export reads them)."""
        row = await self.get(session, workspace_id, workflow_id)
        return await WorkflowRepository(session).definitions(row.id)

    async def update(
        self, session: AsyncSession, principal: Principal, workflow_id: str, body: WorkflowPatch
    ) -> tuple[Workflow, str | None]:
        """PUT sends every field (validated as a create); PATCH only those to change."""
        row = await self.get(session, principal.workspace_id, workflow_id)
        given = body.model_fields_set
        if body.definition is not None:
            await self.checks.check(session, principal, body.definition)
        if "name" in given and body.name is not None:
            row.name = body.name
        if "description" in given:
            row.description = body.description
        if body.is_public is not None:
            row.is_public = body.is_public
        now = self.clock.now()
        enabled_now = body.enabled is True and not row.enabled
        if body.enabled is not None:
            row.enabled = body.enabled
        new_version = body.definition is not None or body.triggers is not None
        if body.definition is not None:
            row.definition = body.definition.model_dump(mode="json", by_alias=True)
        if body.triggers is not None or enabled_now:
            triggers = (
                [t.model_dump(mode="json") for t in body.triggers]
                if body.triggers is not None
                else schedules.shown(row.triggers)
            )
            row.triggers = schedules.in_force(triggers, None if enabled_now else row.triggers, now)
        token = self._token_for(row)
        row.updated_at = now
        if new_version:
            row.version += 1
            await WorkflowRepository(session).add_version(row, now)
        return row, token

    async def delete(self, session: AsyncSession, workspace_id: str, workflow_id: str) -> None:
        row = await self.get(session, workspace_id, workflow_id)
        repository = WorkflowRepository(session)
        live = await repository.live_executions(row.id)
        if live:
            raise Conflict(
                f"The workflow has {live} execution(s) under way: cancel them first "
                '(POST /api/v1/executions/{id} with {"action": "cancel"})'
            )
        await repository.delete(row.id)

    def to_out(self, row: Workflow, *, token: str | None = None) -> WorkflowOut:
        has_webhook = any(t.get("type") == "webhook" for t in row.triggers)
        url = TRIGGER_PATH.replace("{id}", row.id) if has_webhook else None
        return WorkflowOut(
            id=row.id, name=row.name, description=row.description, is_public=row.is_public,
            enabled=row.enabled, version=row.version, definition=row.definition,
            triggers=schedules.shown(row.triggers), webhook_url=url, trigger_token=token,
            created_at=row.created_at, updated_at=row.updated_at,
        )  # fmt: skip

    def _token_for(self, row: Workflow) -> str | None:
        """A new token when a webhook trigger appears; none kept when it goes."""
        has_webhook = any(t.get("type") == "webhook" for t in row.triggers)
        if not has_webhook:
            row.trigger_token_hash = None
            return None
        if row.trigger_token_hash is not None:
            return None
        token = "wft_" + secrets.token_urlsafe(32)
        row.trigger_token_hash = token_hash(token)
        return token

    # -- executions -------------------------------------------------------------------------------
    async def execute(
        self,
        session: AsyncSession,
        principal: Principal,
        workflow_id: str,
        input_: dict[str, Any],
    ) -> Execution:
        row = await self.get(session, principal.workspace_id, workflow_id)
        if not row.enabled:
            raise Conflict('The workflow is disabled: PATCH it with {"enabled": true} first')
        execution = await self.launcher.start(
            session, row, input_, trigger="manual", created_by=principal.subject
        )
        assert execution is not None
        return execution

    async def trigger(
        self, session: AsyncSession, workflow_id: str, token: str, input_: dict[str, Any]
    ) -> Execution:
        """A webhook trigger: the token is the credential; a wrong one looks like no workflow."""
        row = await WorkflowRepository(session).find(workflow_id)
        expected = row.trigger_token_hash if row is not None else None
        if row is None or expected is None or not hmac.compare_digest(expected, token_hash(token)):
            raise WorkflowNotFound()
        if not row.enabled:
            raise Conflict("The workflow is disabled")
        execution = await self.launcher.start(
            session, row, input_, trigger="webhook", created_by="webhook-trigger"
        )
        assert execution is not None
        return execution

    async def execution(
        self, session: AsyncSession, workspace_id: str, execution_id: str
    ) -> Execution:
        row = await WorkflowRepository(session).execution(workspace_id, execution_id)
        if row is None:
            raise ExecutionNotFound()
        return row

    async def execution_out(self, session: AsyncSession, row: Execution) -> ExecutionOut:
        steps = await WorkflowRepository(session).steps(row.id)
        return _execution_out(row, steps)

    async def executions(
        self,
        session: AsyncSession,
        workspace_id: str,
        params: PageParams,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
    ) -> tuple[list[ExecutionOut], int]:
        rows, total = await WorkflowRepository(session).executions(
            workspace_id, params, workflow_id=workflow_id, status=status, since=since
        )
        return [_execution_out(r, []) for r in rows], total

    async def cancel(
        self, session: AsyncSession, workspace_id: str, execution_id: str
    ) -> Execution:
        """Mark it cancelled now (with its event); `signal_cancel` then stops its run."""
        row = await self.execution(session, workspace_id, execution_id)
        if row.status not in LIVE:
            raise Conflict(f"The execution is {row.status}: only a live execution can be cancelled")
        now = self.clock.now()
        repository = WorkflowRepository(session)
        await repository.close_waits(row.id)
        ended = await repository.end(row.id, "cancelled", at=now)
        if ended is not None:
            workspace, workflow_id = ended
            payload = lifecycle.state(workflow_id, row.id, "cancelled")
            event = new_event(workspace, lifecycle.FINISHED_EVENTS["cancelled"], payload, at=now)
            await self.events.publish(session, event)
            await repository.cancel_steps(row.id, now)
            if self.metrics is not None:
                self.metrics.workflow("cancelled")
        await repository.refresh(row)
        return row

    async def signal_cancel(self, row: Execution) -> None:
        """After the cancel committed: wake the run if it waits, and let it start no step."""
        run_id = run_workflow_id(row.id, row.run)
        await self.jobs.send(
            run_id, {"kind": "cancel"}, topic=SIGNAL, idempotency_key=f"cancel:{run_id}"
        )
        await self.jobs.cancel(run_id)

    async def retry(self, session: AsyncSession, workspace_id: str, execution_id: str) -> Execution:
        """Run a failed execution again from its failed step; completed steps keep their output."""
        row = await self.execution(session, workspace_id, execution_id)
        if row.status != "failed":
            raise Conflict(f"The execution is {row.status}: only a failed execution can be retried")
        row.status = "pending"
        row.run += 1
        row.error = None
        row.completed_at = None
        await WorkflowRepository(session).flush()
        await self.launcher.enqueue(session, row)
        return row


def _execution_out(row: Execution, steps: Sequence[ExecutionStep]) -> ExecutionOut:
    return ExecutionOut(
        id=row.id, workflow_id=row.workflow_id, workflow_version=row.workflow_version,
        status=row.status, trigger=row.trigger, run=row.run, input=row.input, output=row.output,
        error=row.error, started_at=row.started_at, completed_at=row.completed_at,
        steps=[
            StepOut(
                name=s.name, type=s.type, status=s.status, attempts=s.attempts,
                started_at=s.started_at, completed_at=s.completed_at, output=s.output,
                error=s.error,
            )
            for s in steps
        ],
    )  # fmt: skip
