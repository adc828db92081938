"""Workflows (each save a new version) and their executions: start, read, cancel, retry."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.auth.scopes import Principal, Scope
from interlink.core.clock import Clock
from interlink.core.errors import (
    Conflict,
    CredentialNotFound,
    ExecutionNotFound,
    IntegrationNotFound,
    InvalidRequest,
    WorkflowNotFound,
)
from interlink.core.ids import new_id
from interlink.core.metrics import Metrics
from interlink.core.pagination import PageParams
from interlink.events.service import EventService
from interlink.integrations.service import IntegrationService
from interlink.jobs import Jobs
from interlink.providers.registry import Registry
from interlink.vault.service import CredentialService
from interlink.workflows import records, schedules
from interlink.workflows.definition import (
    Definition,
    Problem,
    StepSpec,
    output_field_problems,
    validate_definition,
    written_code,
)
from interlink.workflows.engine import SIGNAL, run_workflow_id
from interlink.workflows.launcher import Launcher
from interlink.workflows.models import Execution, ExecutionStep, Workflow, WorkflowVersion
from interlink.workflows.sandbox import Sandbox
from interlink.workflows.schemas import (
    ExecutionOut,
    StepOut,
    WorkflowCreate,
    WorkflowOut,
    WorkflowPatch,
)
from interlink.workflows.templates import TemplateFailure

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
    ) -> None:
        self.clock = clock
        self.sandbox = sandbox
        self.metrics = metrics
        self.jobs = jobs
        self.events = events
        self.integrations = integrations
        self.credentials = credentials
        self.registry = registry
        self.launcher = Launcher(clock, jobs)

    # -- workflows --------------------------------------------------------------------------------
    async def create(
        self, session: AsyncSession, principal: Principal, body: WorkflowCreate
    ) -> tuple[Workflow, str | None]:
        await self._check(session, principal, body.definition)
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
        session.add(row)
        await session.flush()
        session.add(self._version(row))
        return row, token

    async def get(self, session: AsyncSession, workspace_id: str, workflow_id: str) -> Workflow:
        row = await session.get(Workflow, workflow_id)
        if row is None or row.workspace_id != workspace_id:
            raise WorkflowNotFound()
        return row

    async def page(
        self, session: AsyncSession, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[Workflow], int]:
        where = Workflow.workspace_id == workspace_id
        total = await session.scalar(select(func.count()).select_from(Workflow).where(where))
        order = (
            Workflow.created_at.asc() if params.sort_order == "asc" else Workflow.created_at.desc()
        )
        query = select(Workflow).where(where).order_by(order, Workflow.id)
        rows = (await session.scalars(query.offset(params.offset).limit(params.page_size))).all()
        return rows, int(total or 0)

    async def update(
        self, session: AsyncSession, principal: Principal, workflow_id: str, body: WorkflowPatch
    ) -> tuple[Workflow, str | None]:
        """PUT sends every field (validated as a create); PATCH only those to change."""
        row = await self.get(session, principal.workspace_id, workflow_id)
        given = body.model_fields_set
        if body.definition is not None:
            await self._check(session, principal, body.definition)
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
            await session.flush()
            session.add(self._version(row))
        return row, token

    async def delete(self, session: AsyncSession, workspace_id: str, workflow_id: str) -> None:
        row = await self.get(session, workspace_id, workflow_id)
        live = await session.scalar(
            select(func.count())
            .select_from(Execution)
            .where(Execution.workflow_id == row.id, Execution.status.in_(records.LIVE))
        )
        if live:
            raise Conflict(
                f"The workflow has {live} execution(s) under way: cancel them first "
                '(POST /api/v1/executions/{id} with {"action": "cancel"})'
            )
        await session.execute(delete(Workflow).where(Workflow.id == row.id))

    def to_out(self, row: Workflow, *, token: str | None = None) -> WorkflowOut:
        has_webhook = any(t.get("type") == "webhook" for t in row.triggers)
        url = TRIGGER_PATH.replace("{id}", row.id) if has_webhook else None
        return WorkflowOut(
            id=row.id, name=row.name, description=row.description, is_public=row.is_public,
            enabled=row.enabled, version=row.version, definition=row.definition,
            triggers=schedules.shown(row.triggers), webhook_url=url, trigger_token=token,
            created_at=row.created_at, updated_at=row.updated_at,
        )  # fmt: skip

    def _version(self, row: Workflow) -> WorkflowVersion:
        return WorkflowVersion(
            workflow_id=row.id,
            version=row.version,
            definition=row.definition,
            created_at=self.clock.now(),
        )

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

    # -- validation that needs the workspace ------------------------------------------------------
    async def _check(
        self, session: AsyncSession, principal: Principal, definition: Definition
    ) -> None:
        problems = validate_definition(definition)
        problems.extend(await self._syntax_problems(definition))
        outputs: dict[str, frozenset[str]] = {}
        for spec in definition.steps:
            nested = spec.config.get("step") if spec.type == "foreach" else None
            targets: list[tuple[str, Mapping[str, Any], str]] = [(spec.type, spec.config, "config")]
            if isinstance(nested, Mapping):
                targets.append(
                    (str(nested.get("type")), nested.get("config") or {}, "config.step.config")
                )
            for type_, config, where in targets:
                found = await self._workspace_problems(
                    session, principal, spec, type_, config, where
                )
                problems.extend(found[0])
                if found[1] is not None and type_ == spec.type:
                    outputs[spec.name] = found[1]
        problems.extend(output_field_problems(definition, outputs))
        if problems:
            raise InvalidRequest("The workflow definition is not valid", details=problems)

    async def _syntax_problems(self, definition: Definition) -> list[Problem]:
        """Templates and conditions compiled in the sandbox (bounded, off the event loop)."""
        code = written_code(definition)
        try:
            faults = await self.sandbox.check([(kind, text) for _, _, kind, text in code])
        except TemplateFailure as exc:  # the whole check went past its bounds
            return [{"step": None, "field": "definition", "message": str(exc)}]
        return [
            _problem(step, field, f"{kind} syntax: {fault}")
            for (step, field, kind, _), fault in zip(code, faults, strict=True)
            if fault is not None
        ]

    async def _workspace_problems(
        self,
        session: AsyncSession,
        principal: Principal,
        spec: StepSpec,
        type_: str,
        config: Mapping[str, Any],
        where: str,
    ) -> tuple[list[Problem], frozenset[str] | None]:
        workspace_id = principal.workspace_id
        problems: list[Problem] = []
        if type_ == "http_request" and config.get("credential_id") is not None:
            problems.extend(
                await self._credential_problems(session, principal, spec, config, where)
            )
        integration_id = config.get("integration_id", config.get("integration"))
        if type_ != "action" or not _literal(integration_id):
            return problems, None
        try:
            row = await self.integrations.get(session, workspace_id, str(integration_id))
        except IntegrationNotFound:
            problems.append(
                _problem(
                    spec.name, f"{where}.integration_id", "no such integration in this workspace"
                )
            )
            return problems, None
        connector = self.registry.connector(row.type)
        operation = config.get("operation")
        action = connector.actions.get(str(operation)) if connector else None
        if action is None:
            known = ", ".join(sorted(connector.actions)) if connector else "none"
            problems.append(
                _problem(
                    spec.name,
                    f"{where}.operation",
                    f"the {row.type} integration has no operation `{operation}` (it has: {known})",
                )
            )
            return problems, None
        accepted = set(action.input_model.model_fields)
        for name in config.get("parameters") or {}:
            if name not in accepted:
                problems.append(
                    _problem(
                        spec.name,
                        f"{where}.parameters.{name}",
                        f"`{operation}` takes no parameter `{name}`",
                    )
                )
        return problems, frozenset(action.output_model.model_fields)  # fmt: skip

    async def _credential_problems(
        self,
        session: AsyncSession,
        principal: Principal,
        spec: StepSpec,
        config: Mapping[str, Any],
        where: str,
    ) -> list[Problem]:
        """A step that sends a credential needs `credentials:use`, and names it itself: a
        workflow's input (a webhook trigger's body) never chooses which credential is sent."""
        principal.require(Scope.CREDENTIALS_USE, "A step with a credential_id")
        credential_id = config["credential_id"]
        field = f"{where}.credential_id"
        if not _literal(credential_id):
            return [_problem(spec.name, field, "must be a credential id, not a template")]
        try:
            await self.credentials.get(session, principal.workspace_id, str(credential_id))
        except CredentialNotFound:
            return [_problem(spec.name, field, "no such credential in this workspace")]
        return []

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
        row = await session.get(Workflow, workflow_id)
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
        row = await session.get(Execution, execution_id)
        if row is None or row.workspace_id != workspace_id:
            raise ExecutionNotFound()
        return row

    async def execution_out(self, session: AsyncSession, row: Execution) -> ExecutionOut:
        steps = await records.steps_of(session, row.id)
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
        conditions = [Execution.workspace_id == workspace_id]
        if workflow_id is not None:
            conditions.append(Execution.workflow_id == workflow_id)
        if status is not None:
            conditions.append(Execution.status == status)
        if since is not None:
            conditions.append(Execution.created_at >= since)
        total = await session.scalar(select(func.count()).select_from(Execution).where(*conditions))
        order = (
            Execution.created_at.asc()
            if params.sort_order == "asc"
            else Execution.created_at.desc()
        )
        query = select(Execution).where(*conditions).order_by(order, Execution.id)
        rows = (await session.scalars(query.offset(params.offset).limit(params.page_size))).all()
        return [_execution_out(r, []) for r in rows], int(total or 0)

    async def cancel(
        self, session: AsyncSession, workspace_id: str, execution_id: str
    ) -> Execution:
        """Mark it cancelled now (with its event); `signal_cancel` then stops its run."""
        row = await self.execution(session, workspace_id, execution_id)
        if row.status not in records.LIVE:
            raise Conflict(f"The execution is {row.status}: only a live execution can be cancelled")
        now = self.clock.now()
        await records.close_waits(session, row.id)
        if await records.finish(session, self.events, row.id, "cancelled", at=now):
            await records.cancel_steps(session, row.id, now)
            if self.metrics is not None:
                self.metrics.workflow("cancelled")
        await session.refresh(row)
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
        await session.flush()
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


def _literal(value: Any) -> bool:
    return isinstance(value, str) and "{{" not in value


def _problem(step: str, field: str, message: str) -> Problem:
    return {"step": step, "field": field, "message": message}
