"""Custom providers declared as data (docs/connectors/custom.md): CustomProviderClient and its
async twin. `apply` saves a declaration as the provider's next version (its first when new)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import Model
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/custom-providers"


class CustomProvider(Model):
    key: str
    name: str
    version: int
    actions: list[str]
    declaration: dict[str, Any]
    created_at: datetime
    created_by: str


class CustomProviderDeleted(Model):
    key: str
    deleted: bool = True


class calls:
    @staticmethod
    def create(declaration: dict[str, Any]) -> Call[CustomProvider]:
        return Call("POST", PATH, CustomProvider.model_validate, json=declaration)

    @staticmethod
    def apply(declaration: dict[str, Any]) -> Call[CustomProvider]:
        path = f"{PATH}/{declaration.get('key', '')}"
        return Call("PUT", path, CustomProvider.model_validate, json=declaration)

    @staticmethod
    def get(key: str, version: int | None) -> Call[CustomProvider]:
        query = {"version": version} if version is not None else None
        return Call("GET", f"{PATH}/{key}", CustomProvider.model_validate, params=query)

    @staticmethod
    def list(page_size: int) -> PageCall[CustomProvider]:
        return PageCall(PATH, CustomProvider, {"page_size": page_size})

    @staticmethod
    def delete(key: str) -> Call[CustomProviderDeleted]:
        return Call("DELETE", f"{PATH}/{key}", CustomProviderDeleted.model_validate)


class CustomProviderClient(SyncResource):
    """Declare, change, read and delete the workspace's custom providers."""

    def create_custom_provider(self, declaration: dict[str, Any]) -> CustomProvider:
        return self._http.run(calls.create(declaration))

    def apply_custom_provider(self, declaration: dict[str, Any]) -> CustomProvider:
        """Saves `declaration` under its `key`: version 1 of a new provider, else the next."""
        return self._http.run(calls.apply(declaration))

    def get_custom_provider(self, key: str, *, version: int | None = None) -> CustomProvider:
        return self._http.run(calls.get(key, version))

    def list_custom_providers(
        self, *, page: int = 1, page_size: int = 10
    ) -> SyncPager[CustomProvider]:
        return SyncPager.fetch(self._http, calls.list(page_size), page)

    def delete_custom_provider(self, key: str) -> CustomProviderDeleted:
        return self._http.run(calls.delete(key))


class AsyncCustomProviderClient(AsyncResource):
    """The asynchronous twin of CustomProviderClient."""

    async def create_custom_provider(self, declaration: dict[str, Any]) -> CustomProvider:
        return await self._http.run(calls.create(declaration))

    async def apply_custom_provider(self, declaration: dict[str, Any]) -> CustomProvider:
        """Saves `declaration` under its `key`: version 1 of a new provider, else the next."""
        return await self._http.run(calls.apply(declaration))

    async def get_custom_provider(self, key: str, *, version: int | None = None) -> CustomProvider:
        return await self._http.run(calls.get(key, version))

    async def list_custom_providers(
        self, *, page: int = 1, page_size: int = 10
    ) -> AsyncPager[CustomProvider]:
        return await AsyncPager.fetch(self._http, calls.list(page_size), page)

    async def delete_custom_provider(self, key: str) -> CustomProviderDeleted:
        return await self._http.run(calls.delete(key))
