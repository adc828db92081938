"""`/api/v1/custom-providers`: providers declared as data, each change a new version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Response
from pydantic import WithJsonSchema

from interlink.api.deps import IntegrationsRead, IntegrationsWrite, OlderVersion, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InvalidDeclaration,
    InvalidRequest,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.custom_providers.deps import Deps
from interlink.custom_providers.schemas import (
    DECLARATION_SCHEMA,
    CustomProviderDeleted,
    CustomProviderOut,
)

router = APIRouter(
    prefix="/custom-providers", tags=["custom providers"], route_class=IdempotentRoute
)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
Document = Annotated[
    dict[str, Any],
    WithJsonSchema(DECLARATION_SCHEMA),
    Body(description="The declaration (docs/connectors/custom.md); every problem is listed"),
]
Key = Annotated[str, Path(max_length=40, description="The provider's key")]


@router.post(
    "",
    status_code=201,
    summary="Declare a custom provider (its version 1)",
    responses=responses(*_AUTH, InvalidRequest, InvalidDeclaration, Conflict, IdempotencyKeyReused),
)
async def create_custom_provider(
    body: Document, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[CustomProviderOut]:
    row = await deps.custom_providers.create(session, principal, body)
    return ok(CustomProviderOut.of(row))


@router.get(
    "",
    summary="List the workspace's custom providers (each at its current version)",
    responses=responses(*_AUTH, InvalidRequest),
)
async def list_custom_providers(
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
) -> Envelope[Page[CustomProviderOut]]:
    rows, total = await deps.custom_providers.page(session, principal.workspace_id, params)
    return ok(Page[CustomProviderOut].build([CustomProviderOut.of(r) for r in rows], total, params))


@router.get(
    "/{key}",
    summary="Get a custom provider: its current version, or the one asked",
    responses=responses(*_AUTH, InvalidRequest, NotFound),
)
async def get_custom_provider(
    key: Key,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    version: OlderVersion = None,
) -> Envelope[CustomProviderOut]:
    row = await deps.custom_providers.get(session, principal.workspace_id, key, version)
    return ok(CustomProviderOut.of(row))


@router.put(
    "/{key}",
    summary="Declare a custom provider, or change it (saved as its next version; integrations "
    "keep the version they pin)",
    responses=responses(*_AUTH, InvalidRequest, InvalidDeclaration),
)
async def put_custom_provider(
    key: Key,
    body: Document,
    response: Response,
    principal: IntegrationsWrite,
    session: Session,
    deps: Deps,
) -> Envelope[CustomProviderOut]:
    row, created = await deps.custom_providers.replace(session, principal, key, body)
    response.status_code = 201 if created else 200
    return ok(CustomProviderOut.of(row))


@router.delete(
    "/{key}",
    summary="Delete a custom provider and all its versions (refused while integrations use it)",
    responses=responses(*_AUTH, NotFound, Conflict),
)
async def delete_custom_provider(
    key: Key, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[CustomProviderDeleted]:
    await deps.custom_providers.delete(session, principal.workspace_id, key)
    return ok(CustomProviderDeleted(key=key))
