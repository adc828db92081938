"""API keys of the workspace: ApiKeyClient and its async twin (an admin key is needed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import ApiKey, ApiKeyCreated, ApiKeyRevoked
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/api-keys"


def _body(
    name: str, scopes: list[str], expires_at: datetime | str | None, rate_limit: str | None
) -> dict[str, Any]:
    when = expires_at.isoformat() if isinstance(expires_at, datetime) else expires_at
    extra = {"expires_at": when, "rate_limit": rate_limit}
    return {"name": name, "scopes": scopes} | {k: v for k, v in extra.items() if v is not None}


class calls:
    @staticmethod
    def create(body: dict[str, Any]) -> Call[ApiKeyCreated]:
        return Call("POST", PATH, ApiKeyCreated.model_validate, json=body)

    @staticmethod
    def list(page_size: int) -> PageCall[ApiKey]:
        return PageCall(PATH, ApiKey, {"page_size": page_size})

    @staticmethod
    def revoke(key_id: str) -> Call[ApiKeyRevoked]:
        return Call("DELETE", f"{PATH}/{key_id}", ApiKeyRevoked.model_validate)


class ApiKeyClient(SyncResource):
    """Create API keys (the key is shown once), list them (never the keys) and revoke them."""

    def create_api_key(
        self,
        name: str,
        scopes: list[str],
        *,
        expires_at: datetime | str | None = None,
        rate_limit: str | None = None,
    ) -> ApiKeyCreated:
        """`scopes` such as `integrations:read` or `admin`; `rate_limit` such as `100/minute`."""
        return self._http.run(calls.create(_body(name, scopes, expires_at, rate_limit)))

    def list_api_keys(self, *, page: int = 1, page_size: int = 10) -> SyncPager[ApiKey]:
        return SyncPager.fetch(self._http, calls.list(page_size), page)

    def revoke_api_key(self, key_id: str) -> ApiKeyRevoked:
        return self._http.run(calls.revoke(key_id))


class AsyncApiKeyClient(AsyncResource):
    """The asynchronous twin of ApiKeyClient."""

    async def create_api_key(
        self,
        name: str,
        scopes: list[str],
        *,
        expires_at: datetime | str | None = None,
        rate_limit: str | None = None,
    ) -> ApiKeyCreated:
        """`scopes` such as `integrations:read` or `admin`; `rate_limit` such as `100/minute`."""
        return await self._http.run(calls.create(_body(name, scopes, expires_at, rate_limit)))

    async def list_api_keys(self, *, page: int = 1, page_size: int = 10) -> AsyncPager[ApiKey]:
        return await AsyncPager.fetch(self._http, calls.list(page_size), page)

    async def revoke_api_key(self, key_id: str) -> ApiKeyRevoked:
        return await self._http.run(calls.revoke(key_id))
