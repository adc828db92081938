from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from interlink.api.deps import Session, WebhooksRead, WebhooksWrite
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Conflict,
    DeliveryNotFound,
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    SecretUnreadable,
    TooManyRequests,
    Unauthenticated,
    UrlNotAllowed,
    WebhookNotFound,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.webhooks.deps import Deps
from interlink.webhooks.schemas import (
    DeliveryOut,
    RecoverIn,
    RecoverOut,
    SecretRotate,
    WebhookCreate,
    WebhookDeleted,
    WebhookOut,
    WebhookUpdate,
)
from interlink.webhooks.service import delivery_out

router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)


@router.post(
    "",
    status_code=201,
    summary="Register a webhook endpoint (its secret is shown in this response only)",
    responses=responses(*_AUTH, InvalidRequest, UrlNotAllowed, IdempotencyKeyReused, Conflict),
)
async def create_webhook(
    body: WebhookCreate, principal: WebhooksWrite, session: Session, deps: Deps
) -> Envelope[WebhookOut]:
    row, secret = await deps.webhooks.create(session, principal, body)
    return ok(deps.webhooks.to_out(row, secret=secret))


@router.get("", summary="List webhook endpoints", responses=responses(*_AUTH, InvalidRequest))
async def list_webhooks(
    principal: WebhooksRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
) -> Envelope[Page[WebhookOut]]:
    rows, total = await deps.webhooks.page(session, principal.workspace_id, params)
    return ok(Page[WebhookOut].build([deps.webhooks.to_out(r) for r in rows], total, params))


@router.get(
    "/{webhook_id}", summary="Get a webhook endpoint", responses=responses(*_AUTH, WebhookNotFound)
)
async def get_webhook(
    webhook_id: str, principal: WebhooksRead, session: Session, deps: Deps
) -> Envelope[WebhookOut]:
    row = await deps.webhooks.get(session, principal.workspace_id, webhook_id)
    return ok(deps.webhooks.to_out(row))


@router.put(
    "/{webhook_id}",
    summary="Update a webhook endpoint (fields given replace the stored ones; enabled=true "
    "re-enables it)",
    responses=responses(*_AUTH, InvalidRequest, UrlNotAllowed, WebhookNotFound),
)
async def update_webhook(
    webhook_id: str, body: WebhookUpdate, principal: WebhooksWrite, session: Session, deps: Deps
) -> Envelope[WebhookOut]:
    row = await deps.webhooks.update(session, principal.workspace_id, webhook_id, body)
    return ok(deps.webhooks.to_out(row))


@router.delete(
    "/{webhook_id}",
    summary="Delete a webhook endpoint and its delivery log",
    responses=responses(*_AUTH, WebhookNotFound),
)
async def delete_webhook(
    webhook_id: str, principal: WebhooksWrite, session: Session, deps: Deps
) -> Envelope[WebhookDeleted]:
    await deps.webhooks.delete(session, principal.workspace_id, webhook_id)
    return ok(WebhookDeleted(id=webhook_id))


@router.post(
    "/{webhook_id}/rotate-secret",
    summary="Rotate the signing secret; the old one still signs during the grace period",
    responses=responses(*_AUTH, InvalidRequest, WebhookNotFound, IdempotencyKeyReused),
)
async def rotate_secret(
    webhook_id: str,
    principal: WebhooksWrite,
    session: Session,
    deps: Deps,
    body: SecretRotate | None = None,
) -> Envelope[WebhookOut]:
    row, secret = await deps.webhooks.rotate_secret(
        session, principal.workspace_id, webhook_id, body or SecretRotate()
    )
    return ok(deps.webhooks.to_out(row, secret=secret))


@router.post(
    "/{webhook_id}/test",
    status_code=202,
    summary="Send a webhook.test event to this endpoint now",
    responses=responses(*_AUTH, WebhookNotFound, Conflict, IdempotencyKeyReused),
)
async def test_webhook(
    webhook_id: str, principal: WebhooksWrite, session: Session, deps: Deps
) -> Envelope[DeliveryOut]:
    row = await deps.webhooks.send_test(session, principal.workspace_id, webhook_id)
    return ok(delivery_out(row, []))


@router.get(
    "/{webhook_id}/deliveries",
    summary="The delivery log of an endpoint, newest first, with each attempt",
    responses=responses(*_AUTH, InvalidRequest, WebhookNotFound),
)
async def list_deliveries(
    webhook_id: str,
    principal: WebhooksRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Literal["pending", "succeeded", "failed"] | None, Query()] = None,
    event: Annotated[str | None, Query(max_length=100)] = None,
) -> Envelope[Page[DeliveryOut]]:
    items, total = await deps.webhooks.deliveries(
        session, principal.workspace_id, webhook_id, params, status=status, event_type=event
    )
    return ok(Page[DeliveryOut].build(items, total, params))


@router.get(
    "/{webhook_id}/deliveries/{delivery_id}",
    summary="One delivery and its attempts",
    responses=responses(*_AUTH, WebhookNotFound, DeliveryNotFound),
)
async def get_delivery(
    webhook_id: str, delivery_id: str, principal: WebhooksRead, session: Session, deps: Deps
) -> Envelope[DeliveryOut]:
    found = await deps.webhooks.delivery(session, principal.workspace_id, webhook_id, delivery_id)
    return ok(found)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    summary="Send a delivery again now",
    responses=responses(*_AUTH, WebhookNotFound, DeliveryNotFound, Conflict),
)
async def retry_delivery(
    webhook_id: str, delivery_id: str, principal: WebhooksWrite, session: Session, deps: Deps
) -> Envelope[DeliveryOut]:
    found = await deps.webhooks.retry(session, principal.workspace_id, webhook_id, delivery_id)
    return ok(found)


@router.post(
    "/{webhook_id}/recover",
    status_code=202,
    summary="Send again every failed delivery made since a time",
    responses=responses(*_AUTH, InvalidRequest, WebhookNotFound, Conflict, SecretUnreadable),
)
async def recover(
    webhook_id: str, body: RecoverIn, principal: WebhooksWrite, session: Session, deps: Deps
) -> Envelope[RecoverOut]:
    count = await deps.webhooks.recover(session, principal.workspace_id, webhook_id, body.since)
    return ok(RecoverOut(webhook_id=webhook_id, requeued=count))
