"""`/api/v1/export/{list}.csv`: each list as CSV, with its API's filters (docs/export-import.md).

The API serves them (`transfer/router.py` includes `csv_router`) and so does the console, under its
session (`console/transfer_pages.py`): the same functions, filters and scopes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.api.deps import IntegrationsRead, Session, WebhooksRead, require
from interlink.api.errors import responses
from interlink.auth.scopes import Principal, Scope
from interlink.core.errors import (
    Forbidden,
    IntegrationNotFound,
    InvalidRequest,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from interlink.core.pagination import PageParams
from interlink.core.schemas import ApiTime
from interlink.integrations.schemas import IntegrationStatus
from interlink.providers.registry import TypeName
from interlink.transfer import csv_export
from interlink.transfer.csv_export import PageReader, Table
from interlink.transfer.deps import Deps
from interlink.workflows.schemas import ExecutionStatus

csv_router = APIRouter(tags=["export and import"])
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
SortOrder = Annotated[Literal["asc", "desc"], Query()]
WorkflowsRead = Annotated[Principal, Depends(require(Scope.WORKFLOWS_READ))]
ROWS_MAX = 10_000_000


def _csv(deps: Deps, table: Table, read: PageReader, name: str) -> StreamingResponse:
    rows: AsyncIterator[str] = csv_export.stream(deps.db, table, read, ROWS_MAX)
    disposition = f'attachment; filename="{name}.csv"'
    return StreamingResponse(
        rows, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition}
    )


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "A header row, then one row each"}
}


def _metadata(request: Request) -> dict[str, str]:
    found = {k: v for k, v in request.query_params.items() if k in ("department", "owner")}
    for name, value in request.query_params.items():
        if name.startswith("metadata.") and len(name) > len("metadata."):
            found[name.removeprefix("metadata.")] = value
    return found


@csv_router.get(
    "/export/integrations.csv",
    summary="Integrations as CSV (the filters of GET /integrations)",
    responses={**responses(*_AUTH, InvalidRequest), **_CSV},
    response_class=StreamingResponse,
)
async def integrations_csv(
    request: Request,
    principal: IntegrationsRead,
    deps: Deps,
    sort_order: SortOrder = "desc",
    sort_by: Literal["name", "created_at", "updated_at", "status", "type"] = "created_at",
    status: Annotated[IntegrationStatus | None, Query()] = None,
    type: Annotated[TypeName | None, Query()] = None,
    department: Annotated[str | None, Query(description="metadata.department equals")] = None,
    owner: Annotated[str | None, Query(description="metadata.owner equals")] = None,
) -> StreamingResponse:
    metadata, ws = _metadata(request), principal.workspace_id

    async def read(session: AsyncSession, params: PageParams) -> Any:
        return await deps.integrations.page(
            session, ws, _ordered(params, sort_order), sort_by=sort_by, status=status,
            type_=type, metadata=metadata,
        )  # fmt: skip

    return _csv(deps, csv_export.INTEGRATIONS, read, "integrations")


@csv_router.get(
    "/export/operations.csv",
    summary="An integration's operation history as CSV (the filters of its history)",
    responses={**responses(*_AUTH, InvalidRequest, IntegrationNotFound), **_CSV},
    response_class=StreamingResponse,
)
async def operations_csv(
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    integration_id: Annotated[str, Query(max_length=40)],
    sort_order: SortOrder = "desc",
    operation: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[Literal["queued", "running", "completed", "failed"] | None, Query()] = None,
) -> StreamingResponse:
    ws = principal.workspace_id
    await deps.integrations.get(session, ws, integration_id)  # 404 before the stream starts

    async def read(session: AsyncSession, params: PageParams) -> Any:
        return await deps.operations.history(
            session, ws, integration_id, _ordered(params, sort_order), operation=operation,
            status=status,
        )  # fmt: skip

    return _csv(deps, csv_export.OPERATIONS, read, "operations")


@csv_router.get(
    "/export/deliveries.csv",
    summary="A webhook endpoint's deliveries as CSV (the filters of its delivery log)",
    responses={**responses(*_AUTH, InvalidRequest, NotFound), **_CSV},
    response_class=StreamingResponse,
)
async def deliveries_csv(
    principal: WebhooksRead,
    session: Session,
    deps: Deps,
    webhook_id: Annotated[str, Query(max_length=40)],
    sort_order: SortOrder = "desc",
    status: Annotated[Literal["pending", "succeeded", "failed"] | None, Query()] = None,
    event: Annotated[str | None, Query(max_length=100)] = None,
) -> StreamingResponse:
    ws = principal.workspace_id
    await deps.webhooks.get(session, ws, webhook_id)

    async def read(session: AsyncSession, params: PageParams) -> Any:
        return await deps.webhooks.deliveries(
            session, ws, webhook_id, _ordered(params, sort_order), status=status,
            event_type=event,
        )  # fmt: skip

    return _csv(deps, csv_export.DELIVERIES, read, "deliveries")


@csv_router.get(
    "/export/executions.csv",
    summary="Workflow executions as CSV (the filters of GET /executions)",
    responses={**responses(*_AUTH, InvalidRequest), **_CSV},
    response_class=StreamingResponse,
)
async def executions_csv(
    principal: WorkflowsRead,
    deps: Deps,
    sort_order: SortOrder = "desc",
    status: Annotated[ExecutionStatus | None, Query()] = None,
    workflow_id: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[ApiTime | None, Query()] = None,
) -> StreamingResponse:
    ws = principal.workspace_id

    async def read(session: AsyncSession, params: PageParams) -> Any:
        return await deps.workflows.executions(
            session, ws, _ordered(params, sort_order), workflow_id=workflow_id, status=status,
            since=since,
        )  # fmt: skip

    return _csv(deps, csv_export.EXECUTIONS, read, "executions")


@csv_router.get(
    "/export/events.csv",
    summary="Events as CSV (the filters of GET /events)",
    responses={**responses(*_AUTH, InvalidRequest), **_CSV},
    response_class=StreamingResponse,
)
async def events_csv(
    principal: IntegrationsRead,
    deps: Deps,
    sort_order: SortOrder = "desc",
    type: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[ApiTime | None, Query(description="RFC 3339 time, inclusive")] = None,
    integration_id: Annotated[str | None, Query(max_length=40)] = None,
) -> StreamingResponse:
    ws = principal.workspace_id

    async def read(session: AsyncSession, params: PageParams) -> Any:
        return await deps.events.page(
            session, ws, _ordered(params, sort_order), type_=type, since=since,
            integration_id=integration_id,
        )  # fmt: skip

    return _csv(deps, csv_export.EVENTS, read, "events")


def _ordered(params: PageParams, sort_order: Literal["asc", "desc"]) -> PageParams:
    return params.model_copy(update={"sort_order": sort_order})
