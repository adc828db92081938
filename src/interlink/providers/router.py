from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from interlink.api.deps import IntegrationsRead, IntegrationsWrite, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    CredentialNotFound,
    Forbidden,
    IdempotencyKeyReused,
    InvalidCredentials,
    InvalidIntegrationConfig,
    InvalidRequest,
    TooManyRequests,
    Unauthenticated,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.integrations import configuration
from interlink.integrations.schemas import (
    IntegrationCreate,
    IntegrationOut,
    IntegrationSummary,
)
from interlink.providers.catalog_service import catalog
from interlink.providers.deps import Deps
from interlink.providers.registry import default_registry
from interlink.providers.schemas import ConnectorInstanceCreate, ConnectorType

router = APIRouter(prefix="/connectors", tags=["connectors"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)


@router.get(
    "",
    summary="The connector catalog (available=true), or this workspace's connector instances",
    responses=responses(*_AUTH, InvalidRequest),
)
async def list_connectors(
    request: Request,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    available: Annotated[
        bool,
        Query(description="true: the types (every one on one page unless page_size is given)"),
    ] = False,
) -> Envelope[Page[ConnectorType]] | Envelope[Page[IntegrationSummary]]:
    if available:
        declared = await deps.custom_providers.catalog(session, principal.workspace_id)
        types = [*catalog(default_registry()), *declared]
        if "page_size" not in request.query_params:  # the catalog is one list unless paged
            params = params.model_copy(update={"page_size": max(len(types), 1)})
        window = types[params.offset : params.offset + params.page_size]
        return ok(Page[ConnectorType].build(window, len(types), params))
    rows, total = await deps.integrations.page(session, principal.workspace_id, params)
    items = [IntegrationSummary.of(r) for r in rows]
    return ok(Page[IntegrationSummary].build(items, total, params))


@router.post(
    "",
    status_code=201,
    summary="Create a connector instance (an integration, listed under /integrations too)",
    responses=responses(
        *_AUTH, InvalidRequest, InvalidIntegrationConfig, InvalidCredentials, CredentialNotFound,
        IdempotencyKeyReused,
    ),
)  # fmt: skip
async def create_connector_instance(
    body: ConnectorInstanceCreate, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[IntegrationOut]:
    config: dict[str, Any] = dict(body.config)
    create = IntegrationCreate(
        name=body.name,
        description=body.description,
        type=body.type,
        configuration=configuration.parse(config),
        credential_id=body.credential_id,
    )
    row = await deps.integrations.create(session, principal, create)
    return ok(await deps.integrations.describe(session, row))
