"""Outgoing webhook endpoints and their delivery log: WebhookClient and its async twin.

To check a delivery in a receiver, see `interlink.webhooks.verify`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import Deleted, Delivery, RecoverResult, Webhook
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/webhooks"


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class calls:
    @staticmethod
    def create(body: dict[str, Any]) -> Call[Webhook]:
        return Call("POST", PATH, Webhook.model_validate, json=body)

    @staticmethod
    def get(webhook_id: str) -> Call[Webhook]:
        return Call("GET", f"{PATH}/{webhook_id}", Webhook.model_validate)

    @staticmethod
    def list(page_size: int) -> PageCall[Webhook]:
        return PageCall(PATH, Webhook, {"page_size": page_size})

    @staticmethod
    def update(webhook_id: str, changes: dict[str, Any]) -> Call[Webhook]:
        return Call("PUT", f"{PATH}/{webhook_id}", Webhook.model_validate, json=changes)

    @staticmethod
    def delete(webhook_id: str) -> Call[Deleted]:
        return Call("DELETE", f"{PATH}/{webhook_id}", Deleted.model_validate)

    @staticmethod
    def rotate(webhook_id: str, secret: str | None) -> Call[Webhook]:
        path, body = f"{PATH}/{webhook_id}/rotate-secret", _given(secret=secret)
        return Call("POST", path, Webhook.model_validate, json=body)

    @staticmethod
    def test(webhook_id: str) -> Call[Delivery]:
        return Call("POST", f"{PATH}/{webhook_id}/test", Delivery.model_validate)

    @staticmethod
    def deliveries(webhook_id: str, page_size: int, **filters: Any) -> PageCall[Delivery]:
        path = f"{PATH}/{webhook_id}/deliveries"
        return PageCall(path, Delivery, {"page_size": page_size, **filters})

    @staticmethod
    def delivery(webhook_id: str, delivery_id: str) -> Call[Delivery]:
        path = f"{PATH}/{webhook_id}/deliveries/{delivery_id}"
        return Call("GET", path, Delivery.model_validate)

    @staticmethod
    def retry(webhook_id: str, delivery_id: str) -> Call[Delivery]:
        path = f"{PATH}/{webhook_id}/deliveries/{delivery_id}/retry"
        return Call("POST", path, Delivery.model_validate)

    @staticmethod
    def recover(webhook_id: str, since: datetime | str) -> Call[RecoverResult]:
        when = since.isoformat() if isinstance(since, datetime) else since
        path = f"{PATH}/{webhook_id}/recover"
        return Call("POST", path, RecoverResult.model_validate, json={"since": when})


class WebhookClient(SyncResource):
    """Register endpoints, rotate their secrets, read and replay their deliveries."""

    def create_webhook(self, url: str, events: list[str], **options: Any) -> Webhook:
        """Options: secret, name, description, headers, retry_policy, enabled. The secret is
        in this answer only."""
        return self._http.run(calls.create({"url": url, "events": events, **_given(**options)}))

    def get_webhook(self, webhook_id: str) -> Webhook:
        return self._http.run(calls.get(webhook_id))

    def list_webhooks(self, *, page: int = 1, page_size: int = 10) -> SyncPager[Webhook]:
        return SyncPager.fetch(self._http, calls.list(page_size), page)

    def update_webhook(self, webhook_id: str, **changes: Any) -> Webhook:
        return self._http.run(calls.update(webhook_id, _given(**changes)))

    def delete_webhook(self, webhook_id: str) -> Deleted:
        return self._http.run(calls.delete(webhook_id))

    def rotate_secret(self, webhook_id: str, secret: str | None = None) -> Webhook:
        return self._http.run(calls.rotate(webhook_id, secret))

    def test_webhook(self, webhook_id: str) -> Delivery:
        return self._http.run(calls.test(webhook_id))

    def list_deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        event: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> SyncPager[Delivery]:
        call = calls.deliveries(webhook_id, page_size, **_given(status=status, event=event))
        return SyncPager.fetch(self._http, call, page)

    def get_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        return self._http.run(calls.delivery(webhook_id, delivery_id))

    def retry_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        return self._http.run(calls.retry(webhook_id, delivery_id))

    def recover_deliveries(self, webhook_id: str, since: datetime | str) -> RecoverResult:
        return self._http.run(calls.recover(webhook_id, since))


class AsyncWebhookClient(AsyncResource):
    """The asynchronous twin of WebhookClient."""

    async def create_webhook(self, url: str, events: list[str], **options: Any) -> Webhook:
        """Options: secret, name, description, headers, retry_policy, enabled. The secret is
        in this answer only."""
        body = {"url": url, "events": events, **_given(**options)}
        return await self._http.run(calls.create(body))

    async def get_webhook(self, webhook_id: str) -> Webhook:
        return await self._http.run(calls.get(webhook_id))

    async def list_webhooks(self, *, page: int = 1, page_size: int = 10) -> AsyncPager[Webhook]:
        return await AsyncPager.fetch(self._http, calls.list(page_size), page)

    async def update_webhook(self, webhook_id: str, **changes: Any) -> Webhook:
        return await self._http.run(calls.update(webhook_id, _given(**changes)))

    async def delete_webhook(self, webhook_id: str) -> Deleted:
        return await self._http.run(calls.delete(webhook_id))

    async def rotate_secret(self, webhook_id: str, secret: str | None = None) -> Webhook:
        return await self._http.run(calls.rotate(webhook_id, secret))

    async def test_webhook(self, webhook_id: str) -> Delivery:
        return await self._http.run(calls.test(webhook_id))

    async def list_deliveries(
        self,
        webhook_id: str,
        *,
        status: str | None = None,
        event: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> AsyncPager[Delivery]:
        call = calls.deliveries(webhook_id, page_size, **_given(status=status, event=event))
        return await AsyncPager.fetch(self._http, call, page)

    async def get_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        return await self._http.run(calls.delivery(webhook_id, delivery_id))

    async def retry_delivery(self, webhook_id: str, delivery_id: str) -> Delivery:
        return await self._http.run(calls.retry(webhook_id, delivery_id))

    async def recover_deliveries(self, webhook_id: str, since: datetime | str) -> RecoverResult:
        return await self._http.run(calls.recover(webhook_id, since))
