"""The connector catalog: ConnectorClient and its async twin."""

from __future__ import annotations

from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.errors import NotFound
from interlink.sdk.models import Connector, Integration
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/connectors"


class calls:
    @staticmethod
    def catalog(page_size: int) -> PageCall[Connector]:
        return PageCall(PATH, Connector, {"page_size": page_size, "available": "true"})

    @staticmethod
    def create(body: dict[str, Any]) -> Call[Integration]:
        return Call("POST", PATH, Integration.model_validate, json=body)


def _instance(
    name: str,
    type_: str,
    config: dict[str, Any] | None,
    credential_id: str | None,
    desc: str | None,
) -> dict[str, Any]:
    body = {"name": name, "type": type_, "config": config or {}}
    extra = {"credential_id": credential_id, "description": desc}
    return body | {k: v for k, v in extra.items() if v is not None}


def _not_found(connector_type: str) -> NotFound:
    return NotFound(f"No connector of type {connector_type!r} in the catalog")


class ConnectorClient(SyncResource):
    """The connector types this server offers, and connector instances (integrations)."""

    def list_connectors(self, *, page: int = 1, page_size: int = 100) -> SyncPager[Connector]:
        return SyncPager.fetch(self._http, calls.catalog(page_size), page)

    def get_connector(self, connector_type: str) -> Connector:
        """One connector type of the catalog (raises NotFound when there is none)."""
        for connector in self.list_connectors():
            if connector.type == connector_type:
                return connector
        raise _not_found(connector_type)

    def create_connector(
        self,
        name: str,
        type: str,
        config: dict[str, Any] | None = None,
        *,
        credential_id: str | None = None,
        description: str | None = None,
    ) -> Integration:
        body = _instance(name, type, config, credential_id, description)
        return self._http.run(calls.create(body))


class AsyncConnectorClient(AsyncResource):
    """The asynchronous twin of ConnectorClient."""

    async def list_connectors(
        self, *, page: int = 1, page_size: int = 100
    ) -> AsyncPager[Connector]:
        return await AsyncPager.fetch(self._http, calls.catalog(page_size), page)

    async def get_connector(self, connector_type: str) -> Connector:
        """One connector type of the catalog (raises NotFound when there is none)."""
        async for connector in await self.list_connectors():
            if connector.type == connector_type:
                return connector
        raise _not_found(connector_type)

    async def create_connector(
        self,
        name: str,
        type: str,
        config: dict[str, Any] | None = None,
        *,
        credential_id: str | None = None,
        description: str | None = None,
    ) -> Integration:
        body = _instance(name, type, config, credential_id, description)
        return await self._http.run(calls.create(body))
