from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from interlink.api.deps import IntegrationsRead, IntegrationsWrite, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Conflict,
    CredentialNotFound,
    Forbidden,
    IdempotencyKeyReused,
    IntegrationNotFound,
    InvalidCredentials,
    InvalidIntegrationConfig,
    InvalidRequest,
    TooManyRequests,
    Unauthenticated,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.integrations.deps import Deps
from interlink.integrations.schemas import (
    Activated,
    CredentialsUpdate,
    CredentialsUpdated,
    Deactivated,
    Deleted,
    IntegrationCreate,
    IntegrationOut,
    IntegrationStatus,
    IntegrationSummary,
    IntegrationUpdate,
)
from interlink.providers.registry import TypeName

router = APIRouter(prefix="/integrations", tags=["integrations"], route_class=IdempotentRoute)

_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
_CHANGE = (*_AUTH, InvalidRequest, InvalidIntegrationConfig, InvalidCredentials, CredentialNotFound)
_METADATA_SHORTCUTS = ("department", "owner")


def _metadata_filters(request: Request) -> dict[str, str]:
    filters = {k: v for k, v in request.query_params.items() if k in _METADATA_SHORTCUTS}
    for name, value in request.query_params.items():
        if name.startswith("metadata.") and len(name) > len("metadata."):
            filters[name.removeprefix("metadata.")] = value
    return filters


@router.post(
    "",
    status_code=201,
    summary="Create an integration",
    responses=responses(*_CHANGE, IdempotencyKeyReused, Conflict),
)
async def create_integration(
    body: IntegrationCreate, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[IntegrationOut]:
    row = await deps.integrations.create(session, principal, body)
    return ok(await deps.integrations.describe(session, row))


@router.get("", summary="List integrations", responses=responses(*_AUTH, InvalidRequest))
async def list_integrations(
    request: Request,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    sort_by: Literal["name", "created_at", "updated_at", "status", "type"] = "created_at",
    status: Annotated[IntegrationStatus | None, Query()] = None,
    type: Annotated[TypeName | None, Query()] = None,
    department: Annotated[str | None, Query(description="metadata.department equals")] = None,
    owner: Annotated[str | None, Query(description="metadata.owner equals")] = None,
) -> Envelope[Page[IntegrationSummary]]:
    rows, total = await deps.integrations.page(
        session,
        principal.workspace_id,
        params,
        sort_by=sort_by,
        status=status,
        type_=type,
        metadata=_metadata_filters(request),
    )
    items = [IntegrationSummary.of(r) for r in rows]
    return ok(Page[IntegrationSummary].build(items, total, params))


@router.get(
    "/{integration_id}",
    summary="Get an integration",
    responses=responses(*_AUTH, IntegrationNotFound),
)
async def get_integration(
    integration_id: str, principal: IntegrationsRead, session: Session, deps: Deps
) -> Envelope[IntegrationOut]:
    row = await deps.integrations.get(session, principal.workspace_id, integration_id)
    return ok(await deps.integrations.describe(session, row))


async def _update(
    integration_id: str, body: IntegrationUpdate, merge: bool, principal: IntegrationsWrite,
    session: Session, deps: Deps,
) -> Envelope[IntegrationOut]:  # fmt: skip
    row = await deps.integrations.update(session, principal, integration_id, body, merge=merge)
    return ok(await deps.integrations.describe(session, row))


@router.put(
    "/{integration_id}",
    summary="Update an integration (fields given replace the stored ones)",
    responses=responses(*_CHANGE, IntegrationNotFound),
)
async def replace_integration(
    integration_id: str,
    body: IntegrationUpdate,
    principal: IntegrationsWrite,
    session: Session,
    deps: Deps,
) -> Envelope[IntegrationOut]:
    return await _update(integration_id, body, False, principal, session, deps)


@router.patch(
    "/{integration_id}",
    summary="Change part of an integration (configuration and metadata are merged)",
    responses=responses(*_CHANGE, IntegrationNotFound),
)
async def patch_integration(
    integration_id: str,
    body: IntegrationUpdate,
    principal: IntegrationsWrite,
    session: Session,
    deps: Deps,
) -> Envelope[IntegrationOut]:
    return await _update(integration_id, body, True, principal, session, deps)


@router.put(
    "/{integration_id}/credentials",
    summary="Replace an integration's credentials",
    responses=responses(*_AUTH, InvalidRequest, InvalidCredentials, IntegrationNotFound),
)
async def update_credentials(
    integration_id: str,
    body: CredentialsUpdate,
    principal: IntegrationsWrite,
    session: Session,
    deps: Deps,
) -> Envelope[CredentialsUpdated]:
    row = await deps.integrations.update_credentials(
        session, principal, integration_id, body.credentials
    )
    masked = await deps.integrations.masked_credentials(session, row)
    return ok(CredentialsUpdated(id=row.id, credentials=masked or {}, updated_at=row.updated_at))


@router.post(
    "/{integration_id}/activate",
    summary="Activate an integration",
    responses=responses(*_AUTH, IntegrationNotFound),
)
async def activate_integration(
    integration_id: str, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[Activated]:
    row = await deps.integrations.activate(session, principal.workspace_id, integration_id)
    return ok(
        Activated(
            id=row.id,
            status=row.status,
            activated_at=row.activated_at,
            updated_at=row.updated_at,
        )
    )


@router.post(
    "/{integration_id}/deactivate",
    summary="Deactivate an active integration",
    responses=responses(*_AUTH, IntegrationNotFound, Conflict),
)
async def deactivate_integration(
    integration_id: str, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[Deactivated]:
    row = await deps.integrations.deactivate(session, principal.workspace_id, integration_id)
    return ok(
        Deactivated(
            id=row.id,
            status=row.status,
            deactivated_at=row.deactivated_at,
            updated_at=row.updated_at,
        )
    )


@router.delete(
    "/{integration_id}",
    summary="Delete an integration and its own credentials",
    responses=responses(*_AUTH, IntegrationNotFound),
)
async def delete_integration(
    integration_id: str, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[Deleted]:
    await deps.integrations.delete(session, principal.workspace_id, integration_id)
    return ok(Deleted(id=integration_id))
