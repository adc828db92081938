from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from interlink.api.deps import Admin, Caller, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.auth.deps import Deps
from interlink.auth.models import ApiKey
from interlink.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    ApiKeyRevoked,
    TokenCreate,
    TokenOut,
    WorkspaceCreate,
    WorkspaceCreated,
    WorkspaceOut,
)
from interlink.auth.service import NewApiKey
from interlink.auth.tokens import TokenIssuingDisabled
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    ApiKeyNotFound,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    TooManyRequests,
    Unauthenticated,
    WorkspaceNotFound,
)
from interlink.core.pagination import Page, PageParams, page_params

router = APIRouter(tags=["auth"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)


def _key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.model_validate(row)


def _created(new: NewApiKey) -> ApiKeyCreated:
    return ApiKeyCreated(**_key_out(new.row).model_dump(), key=new.plaintext)


@router.post(
    "/api-keys",
    status_code=201,
    summary="Create an API key (shown once)",
    responses=responses(*_AUTH, InvalidRequest, IdempotencyKeyReused),
)
async def create_api_key(
    body: ApiKeyCreate, principal: Admin, session: Session, deps: Deps
) -> Envelope[ApiKeyCreated]:
    new = await deps.auth.create_key(
        session,
        principal,
        principal.workspace_id,
        name=body.name,
        scopes=body.scopes,
        expires_at=body.expires_at,
        rate_limit=body.rate_limit,
    )
    return ok(_created(new))


@router.get(
    "/api-keys",
    summary="List API keys (never the keys)",
    responses=responses(*_AUTH, InvalidRequest),
)
async def list_api_keys(
    principal: Admin,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
) -> Envelope[Page[ApiKeyOut]]:
    rows, total = await deps.auth.list_keys(session, principal.workspace_id, params)
    return ok(Page[ApiKeyOut].build([_key_out(r) for r in rows], total, params))


@router.delete(
    "/api-keys/{key_id}",
    summary="Revoke an API key (effective on the next request)",
    responses=responses(*_AUTH, ApiKeyNotFound),
)
async def revoke_api_key(
    key_id: str, principal: Admin, session: Session, deps: Deps
) -> Envelope[ApiKeyRevoked]:
    row = await deps.auth.revoke_key(session, principal.workspace_id, key_id)
    assert row.revoked_at is not None
    return ok(ApiKeyRevoked(id=row.id, revoked_at=row.revoked_at))


@router.post(
    "/auth/token",
    summary="Trade an API key for a short-lived JWT (with the key's scopes, or fewer)",
    responses=responses(*_AUTH, InvalidRequest),
)
async def issue_token(
    principal: Caller, deps: Deps, body: TokenCreate | None = None
) -> Envelope[TokenOut]:
    if principal.via_token or principal.key_id is None:
        raise Forbidden("Only an API key can be traded for a token")
    try:
        token, expires = deps.auth.issue_token(principal, body.scopes if body else None)
    except TokenIssuingDisabled:
        raise InvalidRequest(
            "Token issuing is not configured: set INTERLINK_JWT_SECRET and allow an HS algorithm"
        ) from None
    ttl = deps.settings.jwt.token_ttl_seconds
    return ok(TokenOut(access_token=token, expires_in=ttl, expires_at=expires))


@router.post(
    "/workspaces",
    status_code=201,
    summary="Create a workspace and its first admin key (shown once)",
    responses=responses(*_AUTH, InvalidRequest, IdempotencyKeyReused),
)
async def create_workspace(
    body: WorkspaceCreate, principal: Admin, session: Session, deps: Deps
) -> Envelope[WorkspaceCreated]:
    new = await deps.auth.create_workspace(session, body.name, created_by=principal)
    return ok(
        WorkspaceCreated(
            id=new.workspace.id,
            name=new.workspace.name,
            created_at=new.workspace.created_at,
            admin_key=_created(new.admin_key),
        )
    )


@router.get(
    "/workspaces",
    summary="List this workspace and those it created",
    responses=responses(*_AUTH, InvalidRequest),
)
async def list_workspaces(
    principal: Admin,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
) -> Envelope[Page[WorkspaceOut]]:
    rows, total = await deps.auth.list_workspaces(session, principal, params)
    items = [WorkspaceOut.model_validate(r) for r in rows]
    return ok(Page[WorkspaceOut].build(items, total, params))


@router.get(
    "/workspaces/{workspace_id}",
    summary="Get a workspace",
    responses=responses(*_AUTH, WorkspaceNotFound),
)
async def get_workspace(
    workspace_id: str, principal: Admin, session: Session, deps: Deps
) -> Envelope[WorkspaceOut]:
    return ok(
        WorkspaceOut.model_validate(await deps.auth.get_workspace(session, principal, workspace_id))
    )
