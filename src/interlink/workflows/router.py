"""Routes of workflows, their executions, and the webhook trigger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from interlink.api.deps import Session, require
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.auth.scopes import Principal, Scope
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Conflict,
    ExecutionNotFound,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    TooManyRequests,
    Unauthenticated,
    WorkflowNotFound,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.core.schemas import ApiTime
from interlink.workflows.deps import Deps
from interlink.workflows.schemas import (
    ExecuteIn,
    ExecutionAccepted,
    ExecutionAction,
    ExecutionOut,
    ExecutionStatus,
    WorkflowCreate,
    WorkflowDeleted,
    WorkflowOut,
    WorkflowPatch,
)

WorkflowsRead = Annotated[Principal, Depends(require(Scope.WORKFLOWS_READ))]
WorkflowsWrite = Annotated[Principal, Depends(require(Scope.WORKFLOWS_WRITE))]
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)

router = APIRouter(tags=["workflows"], route_class=IdempotentRoute)


@router.post(
    "/workflows",
    status_code=201,
    summary="Create a workflow (version 1); a webhook trigger's token is shown here only",
    responses=responses(*_AUTH, InvalidRequest, IdempotencyKeyReused),
)
async def create_workflow(
    body: WorkflowCreate, principal: WorkflowsWrite, session: Session, deps: Deps
) -> Envelope[WorkflowOut]:
    row, token = await deps.workflows.create(session, principal, body)
    return ok(deps.workflows.to_out(row, token=token))


@router.get("/workflows", summary="List workflows", responses=responses(*_AUTH, InvalidRequest))
async def list_workflows(
    principal: WorkflowsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
) -> Envelope[Page[WorkflowOut]]:
    rows, total = await deps.workflows.page(session, principal.workspace_id, params)
    return ok(Page[WorkflowOut].build([deps.workflows.to_out(r) for r in rows], total, params))


@router.get(
    "/workflows/{workflow_id}",
    summary="Get a workflow",
    responses=responses(*_AUTH, WorkflowNotFound),
)
async def get_workflow(
    workflow_id: str, principal: WorkflowsRead, session: Session, deps: Deps
) -> Envelope[WorkflowOut]:
    row = await deps.workflows.get(session, principal.workspace_id, workflow_id)
    return ok(deps.workflows.to_out(row))


@router.put(
    "/workflows/{workflow_id}",
    summary="Replace a workflow (a new version; running executions keep theirs)",
    responses=responses(*_AUTH, InvalidRequest, WorkflowNotFound),
)
async def replace_workflow(
    workflow_id: str, body: WorkflowCreate, principal: WorkflowsWrite, session: Session, deps: Deps
) -> Envelope[WorkflowOut]:
    patch = WorkflowPatch.model_validate(body.model_dump(by_alias=True))
    row, token = await deps.workflows.update(session, principal, workflow_id, patch)
    return ok(deps.workflows.to_out(row, token=token))


@router.patch(
    "/workflows/{workflow_id}",
    summary="Change some fields of a workflow (a new definition or triggers: a new version)",
    responses=responses(*_AUTH, InvalidRequest, WorkflowNotFound),
)
async def patch_workflow(
    workflow_id: str, body: WorkflowPatch, principal: WorkflowsWrite, session: Session, deps: Deps
) -> Envelope[WorkflowOut]:
    row, token = await deps.workflows.update(session, principal, workflow_id, body)
    return ok(deps.workflows.to_out(row, token=token))


@router.delete(
    "/workflows/{workflow_id}",
    summary="Delete a workflow, its versions and its finished executions",
    responses=responses(*_AUTH, WorkflowNotFound, Conflict),
)
async def delete_workflow(
    workflow_id: str, principal: WorkflowsWrite, session: Session, deps: Deps
) -> Envelope[WorkflowDeleted]:
    await deps.workflows.delete(session, principal.workspace_id, workflow_id)
    return ok(WorkflowDeleted(id=workflow_id))


@router.post(
    "/workflows/{workflow_id}/execute",
    status_code=202,
    summary="Start an execution of the workflow's current version",
    responses=responses(*_AUTH, InvalidRequest, WorkflowNotFound, Conflict, IdempotencyKeyReused),
)
async def execute_workflow(
    workflow_id: str,
    principal: WorkflowsWrite,
    session: Session,
    deps: Deps,
    body: ExecuteIn | None = None,
) -> Envelope[ExecutionAccepted]:
    execution = await deps.workflows.execute(
        session, principal, workflow_id, (body or ExecuteIn()).input
    )
    return ok(_accepted(execution))


@router.post(
    "/workflows/{workflow_id}/trigger/{token}",
    status_code=202,
    summary="The webhook trigger: no API key, the token in the URL; the JSON body is the input",
    responses=responses(InvalidRequest, WorkflowNotFound, Conflict),
    openapi_extra={"security": []},
)
async def trigger_workflow(
    workflow_id: str,
    token: str,
    deps: Deps,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> Envelope[ExecutionAccepted]:
    async with deps.db.transaction() as session:
        execution = await deps.workflows.trigger(session, workflow_id, token, body or {})
    return ok(_accepted(execution))


@router.get(
    "/workflows/{workflow_id}/executions",
    summary="The executions of a workflow, newest first",
    responses=responses(*_AUTH, InvalidRequest, WorkflowNotFound),
)
async def list_workflow_executions(
    workflow_id: str,
    principal: WorkflowsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[ExecutionStatus | None, Query()] = None,
    since: Annotated[ApiTime | None, Query()] = None,
) -> Envelope[Page[ExecutionOut]]:
    await deps.workflows.get(session, principal.workspace_id, workflow_id)
    items, total = await deps.workflows.executions(
        session, principal.workspace_id, params, workflow_id=workflow_id, status=status, since=since
    )
    return ok(Page[ExecutionOut].build(items, total, params))


@router.get(
    "/executions",
    summary="Executions of every workflow, newest first",
    responses=responses(*_AUTH, InvalidRequest),
)
async def list_executions(
    principal: WorkflowsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[ExecutionStatus | None, Query()] = None,
    workflow_id: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[ApiTime | None, Query()] = None,
) -> Envelope[Page[ExecutionOut]]:
    items, total = await deps.workflows.executions(
        session, principal.workspace_id, params, workflow_id=workflow_id, status=status, since=since
    )
    return ok(Page[ExecutionOut].build(items, total, params))


@router.get(
    "/executions/{execution_id}",
    summary="An execution with every step: status, attempts, times, output and error",
    responses=responses(*_AUTH, ExecutionNotFound),
)
async def get_execution(
    execution_id: str, principal: WorkflowsRead, session: Session, deps: Deps
) -> Envelope[ExecutionOut]:
    row = await deps.workflows.execution(session, principal.workspace_id, execution_id)
    return ok(await deps.workflows.execution_out(session, row))


@router.post(
    "/executions/{execution_id}",
    summary='Cancel (`{"action": "cancel"}`) or retry from the failed step (`"retry"`)',
    responses=responses(*_AUTH, InvalidRequest, ExecutionNotFound, Conflict),
)
async def act_on_execution(
    execution_id: str, body: ExecutionAction, principal: WorkflowsWrite, deps: Deps
) -> Envelope[ExecutionOut]:
    service = deps.workflows
    async with deps.db.transaction() as session:
        if body.action == "cancel":
            row = await service.cancel(session, principal.workspace_id, execution_id)
        else:
            row = await service.retry(session, principal.workspace_id, execution_id)
    if body.action == "cancel":
        await service.signal_cancel(row)
    async with deps.db.read() as session:
        return ok(await service.execution_out(session, row))


def _accepted(execution: Any) -> ExecutionAccepted:
    return ExecutionAccepted(
        execution_id=execution.id,
        workflow_id=execution.workflow_id,
        status=execution.status,
        started_at=execution.started_at,
    )
