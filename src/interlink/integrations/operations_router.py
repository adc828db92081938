from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.routing import APIRoute

from interlink.api.deps import IntegrationsRead, IntegrationsWrite, Session, authorize
from interlink.api.direct_route import header, json_body, json_response, served_by
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.auth.scopes import Principal, Scope
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    AuthenticationFailed,
    CircuitOpen,
    Conflict,
    CredentialHostNotAllowed,
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
from interlink.integrations.deps import Deps, IntegrationDeps, deps_of
from interlink.integrations.models import Operation
from interlink.integrations.operation_record import AnyOperation
from interlink.integrations.operations_schemas import (
    OperationDetail,
    OperationInfo,
    OperationList,
    OperationRequest,
    OperationRun,
    OperationStatus,
)

_PREFER_MAX = 1000
router = APIRouter(prefix="/integrations", tags=["operations"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
_CALL = (
    InvalidOperation, UrlNotAllowed, AuthenticationFailed, PermissionDenied,
    CredentialHostNotAllowed, ExternalResourceNotFound, RateLimitExceeded,
    ParameterValidationError, IntegrationError, ExternalServiceError, CircuitOpen,
    ExternalServiceTimeout,
)  # fmt: skip


def _run(row: AnyOperation) -> OperationRun:
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


async def _execute(
    deps: IntegrationDeps,
    principal: Principal,
    integration_id: str,
    operation: str,
    body: OperationRequest,
    prefer: str | None,
) -> tuple[Envelope[OperationRun], int, dict[str, str]]:
    """The answer to an execute request: its envelope, status and headers."""
    if not _wants_async(body, prefer):
        row = await deps.operations.execute(principal, integration_id, operation, body.parameters)
        return ok(_run(row)), 200, {}
    queued = await deps.durable.submit(principal, integration_id, operation, body.parameters)
    headers = {
        "Location": f"/api/v1/integrations/{integration_id}/operations/{operation}/{queued.id}"
    }
    if prefer:
        headers["Preference-Applied"] = "respond-async"
    return ok(_run(queued)), 202, headers


async def _serve_execute(request: Request) -> Response:
    """`execute_operation` without FastAPI's dependency solving (api/direct_route.py)."""
    principal = await authorize(request, Scope.INTEGRATIONS_WRITE)
    body = await json_body(request, OperationRequest)
    prefer = header(request, "prefer", _PREFER_MAX)
    path = request.path_params
    envelope, status, headers = await _execute(
        deps_of(request), principal, path["integration_id"], path["operation"], body, prefer
    )
    return json_response(envelope, status, headers)


async def execute_operation(
    integration_id: str,
    operation: str,
    body: OperationRequest,
    principal: IntegrationsWrite,
    deps: Deps,
    response: Response,
    prefer: Annotated[str | None, Header(max_length=_PREFER_MAX)] = None,
) -> Envelope[OperationRun]:
    # The OpenAPI document is made from this signature; `_serve_execute` answers the requests.
    envelope, response.status_code, headers = await _execute(
        deps, principal, integration_id, operation, body, prefer
    )
    response.headers.update(headers)
    return envelope


_EXECUTE_PATH = "/{integration_id}/operations/{operation}"
_ExecuteRoute = served_by(_serve_execute)
router.add_api_route(
    _EXECUTE_PATH,
    execute_operation,
    methods=["POST"],
    summary="Run an operation now, or queue it (`async: true` or `Prefer: respond-async`: 202)",
    responses=responses(
        *_AUTH, *_CALL, IntegrationNotFound, OperationNotFound, Conflict, IdempotencyKeyReused
    ),
    route_class_override=_ExecuteRoute,
)


def hot_routes(prefix: str) -> list[APIRoute]:
    """The execute route at its full path under `prefix`, for the app to match before any
    router: matching through included routers cost FastAPI about 4% of an operation's CPU.
    Left out of the OpenAPI document, which has the router's own copy."""
    path = prefix + router.prefix + _EXECUTE_PATH
    return [_ExecuteRoute(path, execute_operation, methods=["POST"], include_in_schema=False)]


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
