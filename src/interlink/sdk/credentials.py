"""Credentials (the vault): CredentialClient and its async twin. Data goes in, masks come out."""

from __future__ import annotations

from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import Credential, Deleted
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/credentials"


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class calls:
    @staticmethod
    def create(body: dict[str, Any]) -> Call[Credential]:
        return Call("POST", PATH, Credential.model_validate, json=body)

    @staticmethod
    def get(credential_id: str) -> Call[Credential]:
        return Call("GET", f"{PATH}/{credential_id}", Credential.model_validate)

    @staticmethod
    def list(page_size: int, **filters: Any) -> PageCall[Credential]:
        return PageCall(PATH, Credential, {"page_size": page_size, **filters})

    @staticmethod
    def update(credential_id: str, changes: dict[str, Any]) -> Call[Credential]:
        return Call("PUT", f"{PATH}/{credential_id}", Credential.model_validate, json=changes)

    @staticmethod
    def delete(credential_id: str) -> Call[Deleted]:
        return Call("DELETE", f"{PATH}/{credential_id}", Deleted.model_validate)


class CredentialClient(SyncResource):
    """Store, read (masked), list, change and delete credentials."""

    def create_credential(
        self,
        name: str,
        type: str,
        data: dict[str, Any],
        *,
        description: str | None = None,
        provider: str | None = None,
        allowed_hosts: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Credential:
        """`allowed_hosts`: where it may be sent (default: the provider's API host)."""
        body = _given(
            name=name, type=type, data=data, description=description, provider=provider,
            allowed_hosts=allowed_hosts, metadata=metadata,
        )  # fmt: skip
        return self._http.run(calls.create(body))

    def get_credential(self, credential_id: str) -> Credential:
        return self._http.run(calls.get(credential_id))

    def list_credentials(
        self,
        *,
        type: str | None = None,
        provider: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> SyncPager[Credential]:
        call = calls.list(page_size, **_given(type=type, provider=provider))
        return SyncPager.fetch(self._http, call, page)

    def update_credential(self, credential_id: str, **changes: Any) -> Credential:
        """Replace the fields given (name, description, provider, data, allowed_hosts,
        metadata)."""
        return self._http.run(calls.update(credential_id, _given(**changes)))

    def delete_credential(self, credential_id: str) -> Deleted:
        return self._http.run(calls.delete(credential_id))


class AsyncCredentialClient(AsyncResource):
    """The asynchronous twin of CredentialClient."""

    async def create_credential(
        self,
        name: str,
        type: str,
        data: dict[str, Any],
        *,
        description: str | None = None,
        provider: str | None = None,
        allowed_hosts: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Credential:
        """`allowed_hosts`: where it may be sent (default: the provider's API host)."""
        body = _given(
            name=name, type=type, data=data, description=description, provider=provider,
            allowed_hosts=allowed_hosts, metadata=metadata,
        )  # fmt: skip
        return await self._http.run(calls.create(body))

    async def get_credential(self, credential_id: str) -> Credential:
        return await self._http.run(calls.get(credential_id))

    async def list_credentials(
        self,
        *,
        type: str | None = None,
        provider: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> AsyncPager[Credential]:
        call = calls.list(page_size, **_given(type=type, provider=provider))
        return await AsyncPager.fetch(self._http, call, page)

    async def update_credential(self, credential_id: str, **changes: Any) -> Credential:
        """Replace the fields given (name, description, provider, data, allowed_hosts,
        metadata)."""
        return await self._http.run(calls.update(credential_id, _given(**changes)))

    async def delete_credential(self, credential_id: str) -> Deleted:
        return await self._http.run(calls.delete(credential_id))
