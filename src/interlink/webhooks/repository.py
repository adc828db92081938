"""All SQL of webhooks that runs on the request's session (endpoints, the delivery log)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.core.pagination import PageParams, fetch_page
from interlink.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: WebhookEndpoint | WebhookDelivery) -> None:
        self.session.add(row)

    async def delete(self, row: WebhookEndpoint) -> None:
        await self.session.delete(row)

    async def get(self, workspace_id: str, endpoint_id: str) -> WebhookEndpoint | None:
        query = select(WebhookEndpoint).where(
            WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.id == endpoint_id
        )
        return (await self.session.scalars(query)).first()

    async def page(
        self, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[WebhookEndpoint], int]:
        query = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)
        return await fetch_page(self.session, query, params, (), WebhookEndpoint.id)

    async def delivery(self, endpoint_id: str, delivery_id: str) -> WebhookDelivery | None:
        query = select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.id == delivery_id
        )
        return (await self.session.scalars(query)).first()

    async def deliveries(
        self,
        endpoint_id: str,
        params: PageParams,
        *,
        status: str | None,
        event_type: str | None,
    ) -> tuple[Sequence[WebhookDelivery], int]:
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        if status:
            query = query.where(WebhookDelivery.status == status)
        if event_type:
            query = query.where(WebhookDelivery.event_type == event_type)
        return await fetch_page(self.session, query, params, (), WebhookDelivery.id)

    async def attempts_of(self, delivery_ids: list[str]) -> dict[str, list[WebhookAttempt]]:
        found: dict[str, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
        if not delivery_ids:
            return found
        query = (
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        )
        for attempt in await self.session.scalars(query):
            found[attempt.delivery_id].append(attempt)
        return found

    async def requeue(self, endpoint_id: str, *conditions: Any, now: datetime) -> int:
        """Make deliveries of `endpoint_id` matching `conditions` due now; returns how many."""
        statement = (
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, *conditions)
            .values(status="pending", next_attempt_at=now, lease=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        result: CursorResult[Any] = await self.session.execute(statement)  # type: ignore[assignment]
        return result.rowcount

    async def fail_pending(self, endpoint_id: str, reason: str, now: datetime) -> None:
        statement = (
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
            .values(status="failed", next_attempt_at=None, lease=None, last_error=reason,
                    updated_at=now)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        await self.session.execute(statement)

    async def all_endpoints(self) -> Sequence[WebhookEndpoint]:
        """Every endpoint of every workspace (for key rotation)."""
        return (await self.session.scalars(select(WebhookEndpoint))).all()
