from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from interlink.api.deps import Deps, IntegrationsRead, IntegrationsWrite, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    AuthenticationFailed,
    CircuitOpen,
    Conflict,
    ExternalResourceNotFound,
    ExternalServiceError,
    ExternalServiceTimeout,
    Forbidden,
    IdempotencyKeyReused,
    IntegrationError,
    IntegrationNotFound,
    InvalidOperation,
    InvalidRequest,
    OperationNotFound,
    ParameterValidationError,
    PermissionDenied,
    RateLimitExceeded,
    TooManyRequests,
    Unauthenticated,
    UrlNotAllowed,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.integrations.models import Operation
from interlink.integrations.operations_schemas import (
    OperationDetail,
    OperationInfo,
    OperationList,
    OperationRequest,
    OperationRun,
    OperationStatus,
)

router = APIRouter(prefix="/integrations", tags=["operations"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
_CALL = (
    InvalidOperation, UrlNotAllowed, AuthenticationFailed, PermissionDenied,
    ExternalResourceNotFound, RateLimitExceeded, ParameterValidationError, IntegrationError,
    ExternalServiceError, CircuitOpen, ExternalServiceTimeout,
)  # fmt: skip


def _run(row: Operation) -> OperationRun:
    return OperationRun(
        operation_id=row.id,
        integration_id=row.integration_id,
        operation=row.operation,
        status=row.status,
        started_at=row.started_at,
        completed_at=row.completed_at,
        duration_ms=row.duration_ms,
        result=row.result,
    )


def _detail(row: Operation) -> OperationDetail:
    return OperationDetail(
        **_run(row).model_dump(),
        parameters=row.parameters,
        error=row.error,
        created_by=row.created_by,
    )


@router.get(
    "/{integration_id}/operations",
    summary="List the operations an integration offers",
    responses=responses(*_AUTH, IntegrationNotFound),
)
async def list_operations(
    integration_id: str, principal: IntegrationsRead, session: Session, deps: Deps
) -> Envelope[OperationList]:
    found = await deps.operations.available(session, principal.workspace_id, integration_id)
    return ok(OperationList(operations=[OperationInfo.model_validate(o) for o in found]))


@router.get(
    "/{integration_id}/operations/history",
    summary="Past operations of an integration, newest first",
    responses=responses(*_AUTH, IntegrationNotFound, InvalidRequest),
)
async def operation_history(
    integration_id: str,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    operation: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[OperationStatus | None, Query()] = None,
) -> Envelope[Page[OperationDetail]]:
    rows, total = await deps.operations.history(
        session, principal.workspace_id, integration_id, params, operation=operation, status=status
    )
    return ok(Page[OperationDetail].build([_detail(r) for r in rows], total, params))


def _wants_async(body: OperationRequest, prefer: str | None) -> bool:
    tokens = {part.split("=")[0].strip().lower() for part in (prefer or "").split(",")}
    return body.run_async or "respond-async" in tokens


@router.post(
    "/{integration_id}/operations/{operation}",
    summary="Run an operation now, or queue it (`async: true` or `Prefer: respond-async`: 202)",
    responses=responses(
        *_AUTH, *_CALL, IntegrationNotFound, OperationNotFound, Conflict, IdempotencyKeyReused
    ),
)
async def execute_operation(
    integration_id: str,
    operation: str,
    body: OperationRequest,
    principal: IntegrationsWrite,
    deps: Deps,
    response: Response,
    prefer: Annotated[str | None, Header(max_length=1000)] = None,
) -> Envelope[OperationRun]:
    if _wants_async(body, prefer):
        queued = await deps.durable.submit(principal, integration_id, operation, body.parameters)
        response.status_code = 202
        response.headers["Location"] = (
            f"/api/v1/integrations/{integration_id}/operations/{operation}/{queued.id}"
        )
        if prefer:
            response.headers["Preference-Applied"] = "respond-async"
        return ok(_run(queued))
    row = await deps.operations.execute(principal, integration_id, operation, body.parameters)
    return ok(_run(row))


@router.get(
    "/{integration_id}/operations/{operation}/{operation_id}",
    summary="Get an operation: its status, parameters and result",
    responses=responses(*_AUTH, IntegrationNotFound, OperationNotFound),
)
async def get_operation(
    integration_id: str,
    operation: str,
    operation_id: str,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
) -> Envelope[OperationDetail]:
    row = await deps.operations.get(
        session, principal.workspace_id, integration_id, operation, operation_id
    )
    return ok(_detail(row))
