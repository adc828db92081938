"""`/api/v1/ai/routes`: routes over language-model integrations, each change a new version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from interlink.ai.routes.deps import Deps
from interlink.ai.routes.errors import AiRouteNotFound
from interlink.ai.routes.schemas import RouteChange, RouteDeleted, RouteIn, RouteOut
from interlink.api.deps import IntegrationsRead, IntegrationsWrite, OlderVersion, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Conflict,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    TooManyRequests,
    Unauthenticated,
)
from interlink.core.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/ai/routes", tags=["ai routes"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
Name = Annotated[str, Path(max_length=100, description="The route's name")]


@router.post(
    "",
    status_code=201,
    summary="Create a route (its version 1), then give its name as `model`",
    responses=responses(*_AUTH, InvalidRequest, Conflict, IdempotencyKeyReused),
)
async def create_ai_route(
    body: RouteIn, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[RouteOut]:
    return ok(RouteOut.of(await deps.ai_routes.create(session, principal, body)))


@router.get(
    "",
    summary="List the workspace's routes (each at its current version)",
    responses=responses(*_AUTH, InvalidRequest),
)
async def list_ai_routes(
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
) -> Envelope[Page[RouteOut]]:
    rows, total = await deps.ai_routes.page(session, principal.workspace_id, params)
    return ok(Page[RouteOut].build([RouteOut.of(row) for row in rows], total, params))


@router.get(
    "/{name}",
    summary="Get a route: its current version, or the one asked",
    responses=responses(*_AUTH, InvalidRequest, AiRouteNotFound),
)
async def get_ai_route(
    name: Name,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    version: OlderVersion = None,
) -> Envelope[RouteOut]:
    row = await deps.ai_routes.get(session, principal.workspace_id, name, version)
    return ok(RouteOut.of(row))


@router.put(
    "/{name}",
    summary="Change a route (saved as its next version; a call in flight keeps its own)",
    responses=responses(*_AUTH, InvalidRequest, AiRouteNotFound),
)
async def update_ai_route(
    name: Name, body: RouteChange, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[RouteOut]:
    return ok(RouteOut.of(await deps.ai_routes.update(session, principal, name, body)))


@router.delete(
    "/{name}",
    summary="Delete a route and all its versions",
    responses=responses(*_AUTH, AiRouteNotFound),
)
async def delete_ai_route(
    name: Name, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[RouteDeleted]:
    await deps.ai_routes.delete(session, principal, name)
    return ok(RouteDeleted(name=name))
