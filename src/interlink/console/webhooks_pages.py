"""Webhooks: the endpoints, an endpoint's delivery log with each attempt, and its actions (replay
one delivery, recover since a time, disable and enable, rotate the secret, send a test event),
each through the same service and scope as the API route it mirrors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.api.deps import Session, WebhooksRead, WebhooksWrite
from interlink.auth.scopes import Principal, Scope
from interlink.console.forms import TIME_HINT, parse_time
from interlink.console.notices import back, notice_of
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.core.pagination import PageParams
from interlink.webhooks.deps import Deps, WebhookDeps
from interlink.webhooks.schemas import SecretRotate, WebhookUpdate

router = pages_router()
_ALL = PageParams(page=1, page_size=100)
_LOG_SIZE = 25
DeliveryStatus = Literal["", "pending", "succeeded", "failed"]


@router.get("/webhooks", name="console:webhooks")
async def webhooks(
    request: Request, principal: WebhooksRead, session: Session, deps: Deps
) -> Response:
    rows, total = await deps.webhooks.page(session, principal.workspace_id, _ALL)
    return render(request, "webhooks.html", section="webhooks", rows=rows, total=total)


@router.get("/webhooks/{webhook_id}", name="console:webhook")
async def webhook(
    request: Request,
    webhook_id: str,
    principal: WebhooksRead,
    session: Session,
    deps: Deps,
    status: Annotated[DeliveryStatus, Query()] = "",
    event: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    notice: Annotated[str, Query(max_length=20)] = "",
    count: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    return await _endpoint_page(
        request, principal, session, deps, webhook_id,
        filters={"status": status, "event": event}, page=page, notice=notice_of(notice, count),
    )  # fmt: skip


@router.post("/webhooks/{webhook_id}/deliveries/{delivery_id}/replay", name="console:replay")
async def replay(
    request: Request, webhook_id: str, delivery_id: str, principal: WebhooksWrite,
    session: Session, deps: Deps,
) -> Response:  # fmt: skip
    await deps.webhooks.retry(session, principal.workspace_id, webhook_id, delivery_id)
    return back(request, "console:webhook", "replayed", webhook_id=webhook_id)


@router.post("/webhooks/{webhook_id}/recover", name="console:recover")
async def recover(
    request: Request,
    webhook_id: str,
    principal: WebhooksWrite,
    session: Session,
    deps: Deps,
    since: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    when = parse_time(since)
    if when is None:
        return await _endpoint_page(
            request, principal, session, deps, webhook_id, recover_error=TIME_HINT,
            recover_since=since, status_code=400,
        )  # fmt: skip
    count = await deps.webhooks.recover(session, principal.workspace_id, webhook_id, when)
    return back(request, "console:webhook", "recovered", count=count, webhook_id=webhook_id)


@router.post("/webhooks/{webhook_id}/enable", name="console:webhook_enable")
async def enable(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: Session, deps: Deps
) -> Response:
    await deps.webhooks.update(
        session, principal.workspace_id, webhook_id, WebhookUpdate(enabled=True)
    )
    return back(request, "console:webhook", "enabled", webhook_id=webhook_id)


@router.post("/webhooks/{webhook_id}/disable", name="console:webhook_disable")
async def disable(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: Session, deps: Deps
) -> Response:
    await deps.webhooks.update(
        session, principal.workspace_id, webhook_id, WebhookUpdate(enabled=False)
    )
    return back(request, "console:webhook", "disabled", webhook_id=webhook_id)


@router.post("/webhooks/{webhook_id}/test", name="console:webhook_test")
async def send_test(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: Session, deps: Deps
) -> Response:
    await deps.webhooks.send_test(session, principal.workspace_id, webhook_id)
    return back(request, "console:webhook", "tested", webhook_id=webhook_id)


@router.post("/webhooks/{webhook_id}/rotate-secret", name="console:webhook_rotate")
async def rotate_secret(
    request: Request, webhook_id: str, principal: WebhooksWrite, session: Session, deps: Deps
) -> Response:
    """The new secret is on this response's page only (as the API's answer), never again."""
    _, secret = await deps.webhooks.rotate_secret(
        session, principal.workspace_id, webhook_id, SecretRotate()
    )
    return await _endpoint_page(request, principal, session, deps, webhook_id, new_secret=secret)


async def _endpoint_page(
    request: Request,
    principal: Principal,
    session: AsyncSession,
    deps: WebhookDeps,
    webhook_id: str,
    *,
    filters: dict[str, str] | None = None,
    page: int = 1,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    shown = filters or {"status": "", "event": ""}
    row = await deps.webhooks.get(session, principal.workspace_id, webhook_id)
    params = PageParams(page=page, page_size=_LOG_SIZE)
    items, total = await deps.webhooks.deliveries(
        session, principal.workspace_id, webhook_id, params,
        status=shown["status"] or None, event_type=shown["event"] or None,
    )  # fmt: skip
    return render(
        request, "webhook.html", status_code, section="webhooks",
        endpoint=deps.webhooks.to_out(row), deliveries=items, total=total, page=page,
        pages=max(1, -(-total // _LOG_SIZE)),
        filters=shown, can_write=principal.allows(Scope.WEBHOOKS_WRITE), **extra,
    )  # fmt: skip
