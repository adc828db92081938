from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from interlink.api.deps import CredentialsRead, CredentialsWrite, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Conflict,
    CredentialNotFound,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    SecretUnreadable,
    TooManyRequests,
    Unauthenticated,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.vault.deps import Deps
from interlink.vault.schemas import (
    CredentialCreate,
    CredentialDeleted,
    CredentialOut,
    CredentialType,
    CredentialUpdate,
)

router = APIRouter(prefix="/credentials", tags=["credentials"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)


@router.post(
    "",
    status_code=201,
    summary="Store a credential (encrypted at rest, never shown back)",
    responses=responses(*_AUTH, InvalidRequest, IdempotencyKeyReused, Conflict),
)
async def create_credential(
    body: CredentialCreate, principal: CredentialsWrite, session: Session, deps: Deps
) -> Envelope[CredentialOut]:
    row = await deps.credentials.create(session, principal, body)
    return ok(deps.credentials.to_out(row))


@router.get("", summary="List credentials (sanitized)", responses=responses(*_AUTH, InvalidRequest))
async def list_credentials(
    principal: CredentialsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    type: Annotated[CredentialType | None, Query()] = None,
    provider: Annotated[str | None, Query(max_length=100)] = None,
) -> Envelope[Page[CredentialOut]]:
    rows, total = await deps.credentials.page(
        session, principal.workspace_id, params, type_=type, provider=provider
    )
    items = [deps.credentials.to_out(row, tolerate_unreadable=True) for row in rows]
    return ok(Page[CredentialOut].build(items, total, params))


@router.get(
    "/{credential_id}",
    summary="Get a credential (sanitized)",
    responses=responses(*_AUTH, CredentialNotFound, SecretUnreadable),
)
async def get_credential(
    credential_id: str, principal: CredentialsRead, session: Session, deps: Deps
) -> Envelope[CredentialOut]:
    row = await deps.credentials.get(session, principal.workspace_id, credential_id)
    return ok(deps.credentials.to_out(row))


@router.put(
    "/{credential_id}",
    summary="Update a credential (fields given replace the stored ones)",
    responses=responses(*_AUTH, InvalidRequest, CredentialNotFound),
)
async def update_credential(
    credential_id: str,
    body: CredentialUpdate,
    principal: CredentialsWrite,
    session: Session,
    deps: Deps,
) -> Envelope[CredentialOut]:
    row = await deps.credentials.update(session, principal, credential_id, body)
    return ok(deps.credentials.to_out(row))


@router.delete(
    "/{credential_id}",
    summary="Delete a credential that no integration uses",
    responses=responses(*_AUTH, CredentialNotFound, Conflict),
)
async def delete_credential(
    credential_id: str, principal: CredentialsWrite, session: Session, deps: Deps
) -> Envelope[CredentialDeleted]:
    await deps.credentials.delete(session, principal.workspace_id, credential_id)
    return ok(CredentialDeleted(id=credential_id))
