"""Workflows and executions: definitions with their versions and steps, executions with filters,
an execution's steps as a timeline, cancel and retry, and running a workflow with an input."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.api.deps import Session, require
from interlink.auth.scopes import Principal, Scope
from interlink.console.forms import TIME_HINT, form_time, json_object, parse_time
from interlink.console.notices import back, notice_of
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.console.timeline import timeline
from interlink.core.pagination import PageParams
from interlink.workflows.deps import Deps, WorkflowDeps
from interlink.workflows.schemas import ExecutionStatus

WorkflowsRead = Annotated[Principal, Depends(require(Scope.WORKFLOWS_READ))]
WorkflowsWrite = Annotated[Principal, Depends(require(Scope.WORKFLOWS_WRITE))]
router = pages_router()
_SIZE = 25
_STATUSES = ("pending", "running", "waiting", "completed", "failed", "cancelled")
_INPUT_LIMIT = 100_000


@router.get("/workflows", name="console:workflows")
async def workflows(
    request: Request,
    principal: WorkflowsRead,
    session: Session,
    deps: Deps,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    params = PageParams(page=page, page_size=_SIZE)
    rows, total = await deps.workflows.page(session, principal.workspace_id, params)
    return render(
        request, "workflows.html", section="workflows",
        rows=[deps.workflows.to_out(r) for r in rows], total=total, page=page,
        pages=max(1, -(-total // _SIZE)),
    )  # fmt: skip


@router.get("/workflows/{workflow_id}", name="console:workflow")
async def workflow(
    request: Request, workflow_id: str, principal: WorkflowsRead, session: Session, deps: Deps
) -> Response:
    return await _workflow_page(request, principal, session, deps, workflow_id)


@router.post("/workflows/{workflow_id}/run", name="console:workflow_run")
async def run(
    request: Request,
    workflow_id: str,
    principal: WorkflowsWrite,
    session: Session,
    deps: Deps,
    input: Annotated[str, Form(max_length=_INPUT_LIMIT)] = "{}",
) -> Response:
    found, error = json_object(input)
    if found is None:
        return await _workflow_page(
            request, principal, session, deps, workflow_id, input_text=input, input_error=error,
            status_code=400,
        )  # fmt: skip
    execution = await deps.workflows.execute(session, principal, workflow_id, found)
    return back(request, "console:execution", "started", execution_id=execution.id)


@router.get("/executions", name="console:executions")
async def executions(
    request: Request,
    principal: WorkflowsRead,
    session: Session,
    deps: Deps,
    status: Annotated[ExecutionStatus | None, Query()] = None,
    workflow_id: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    params = PageParams(page=page, page_size=_SIZE)
    after = parse_time(since) if since else None
    items, total = await deps.workflows.executions(
        session, principal.workspace_id, params,
        workflow_id=workflow_id or None, status=status, since=after,
    )  # fmt: skip
    filters = {"status": status or "", "workflow_id": workflow_id, "since": form_time(after)}
    return render(
        request, "executions.html", section="workflows", items=items, total=total, page=page,
        pages=max(1, -(-total // _SIZE)), filters=filters, statuses=_STATUSES,
        since_error=TIME_HINT if since and after is None else "",
    )  # fmt: skip


@router.get("/executions/{execution_id}", name="console:execution")
async def execution(
    request: Request,
    execution_id: str,
    principal: WorkflowsRead,
    session: Session,
    deps: Deps,
    notice: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    row = await deps.workflows.execution(session, principal.workspace_id, execution_id)
    shown = await deps.workflows.execution_out(session, row)
    return render(
        request, "execution.html", section="workflows", execution=shown,
        bars=timeline(shown, deps.workflows.clock.now()), notice=notice_of(notice),
        can_write=principal.allows(Scope.WORKFLOWS_WRITE),
    )  # fmt: skip


@router.post("/executions/{execution_id}/cancel", name="console:execution_cancel")
async def cancel(
    request: Request, execution_id: str, principal: WorkflowsWrite, deps: Deps
) -> Response:
    """As the API's cancel: committed first, then the run is told to stop."""
    async with deps.db.transaction() as session:
        row = await deps.workflows.cancel(session, principal.workspace_id, execution_id)
    await deps.workflows.signal_cancel(row)
    return back(request, "console:execution", "cancelled", execution_id=execution_id)


@router.post("/executions/{execution_id}/retry", name="console:execution_retry")
async def retry(
    request: Request, execution_id: str, principal: WorkflowsWrite, deps: Deps
) -> Response:
    async with deps.db.transaction() as session:
        await deps.workflows.retry(session, principal.workspace_id, execution_id)
    return back(request, "console:execution", "retried", execution_id=execution_id)


async def _workflow_page(
    request: Request,
    principal: Principal,
    session: AsyncSession,
    deps: WorkflowDeps,
    workflow_id: str,
    *,
    status_code: int = 200,
    input_text: str = "{}",
    input_error: str = "",
) -> Response:
    ws = principal.workspace_id
    row = await deps.workflows.get(session, ws, workflow_id)
    versions = await deps.workflows.versions(session, ws, workflow_id)
    recent, total = await deps.workflows.executions(
        session, ws, PageParams(page=1, page_size=10), workflow_id=workflow_id
    )
    return render(
        request, "workflow.html", status_code, section="workflows",
        workflow=deps.workflows.to_out(row), versions=list(enumerate(versions, start=1))[::-1],
        recent=recent, executions_total=total, input_text=input_text, input_error=input_error,
        can_write=principal.allows(Scope.WORKFLOWS_WRITE),
    )  # fmt: skip
