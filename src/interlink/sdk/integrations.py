"""Integrations: IntegrationManager and AsyncIntegrationManager (the seed's names).

Each request is built once, in `requests`, and sent by either twin, so they cannot drift.
"""

from __future__ import annotations

from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import (
    CredentialsUpdated,
    Deleted,
    Integration,
    IntegrationConfig,
    IntegrationSummary,
    StatusChange,
    TestResult,
)
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/integrations"


def _test_result(data: Any) -> TestResult:
    return TestResult.model_validate({"id": data["id"], **data["connection_test"]})


class calls:
    @staticmethod
    def create(config: IntegrationConfig) -> Call[Integration]:
        body = config.model_dump(mode="json", exclude_none=True)
        return Call("POST", PATH, Integration.model_validate, json=body)

    @staticmethod
    def get(integration_id: str) -> Call[Integration]:
        return Call("GET", f"{PATH}/{integration_id}", Integration.model_validate)

    @staticmethod
    def list(page_size: int, **filters: Any) -> PageCall[IntegrationSummary]:
        return PageCall(PATH, IntegrationSummary, {"page_size": page_size, **filters})

    @staticmethod
    def update(integration: Integration) -> Call[Integration]:
        body = integration.model_dump(
            mode="json", include={"name", "description", "configuration", "metadata"}
        )
        return Call("PUT", f"{PATH}/{integration.id}", Integration.model_validate, json=body)

    @staticmethod
    def patch(integration_id: str, changes: dict[str, Any]) -> Call[Integration]:
        body = {k: v for k, v in changes.items() if v is not None}
        return Call("PATCH", f"{PATH}/{integration_id}", Integration.model_validate, json=body)

    @staticmethod
    def credentials(integration_id: str, credentials: dict[str, Any]) -> Call[CredentialsUpdated]:
        path, body = f"{PATH}/{integration_id}/credentials", {"credentials": credentials}
        return Call("PUT", path, CredentialsUpdated.model_validate, json=body)

    @staticmethod
    def status(integration_id: str, action: str) -> Call[StatusChange]:
        return Call("POST", f"{PATH}/{integration_id}/{action}", StatusChange.model_validate)

    @staticmethod
    def test(integration_id: str) -> Call[TestResult]:
        return Call("POST", f"{PATH}/{integration_id}/test", _test_result)

    @staticmethod
    def delete(integration_id: str) -> Call[Deleted]:
        return Call("DELETE", f"{PATH}/{integration_id}", Deleted.model_validate)


def _filters(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


class IntegrationManager(SyncResource):
    """Create, read, list, change, test and delete integrations."""

    def create_integration(self, config: IntegrationConfig) -> Integration:
        return self._http.run(calls.create(config))

    def get_integration(self, integration_id: str) -> Integration:
        return self._http.run(calls.get(integration_id))

    def list_integrations(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        department: str | None = None,
        owner: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> SyncPager[IntegrationSummary]:
        filters = _filters(
            status=status, type=type, department=department, owner=owner, sort_by=sort_by
        )
        call = calls.list(page_size, sort_order=sort_order, **filters)
        return SyncPager.fetch(self._http, call, page)

    def update_integration(self, integration: Integration) -> Integration:
        """Save name, description, configuration and metadata as they are on `integration`."""
        return self._http.run(calls.update(integration))

    def patch_integration(self, integration_id: str, **changes: Any) -> Integration:
        """Change the fields given; configuration and metadata are merged into the stored ones."""
        return self._http.run(calls.patch(integration_id, changes))

    def update_credentials(
        self, integration_id: str, credentials: dict[str, Any]
    ) -> CredentialsUpdated:
        return self._http.run(calls.credentials(integration_id, credentials))

    def activate_integration(self, integration_id: str) -> StatusChange:
        return self._http.run(calls.status(integration_id, "activate"))

    def deactivate_integration(self, integration_id: str) -> StatusChange:
        return self._http.run(calls.status(integration_id, "deactivate"))

    def test_integration(self, integration_id: str) -> TestResult:
        return self._http.run(calls.test(integration_id))

    def delete_integration(self, integration_id: str) -> Deleted:
        return self._http.run(calls.delete(integration_id))


class AsyncIntegrationManager(AsyncResource):
    """The asynchronous twin of IntegrationManager."""

    async def create_integration(self, config: IntegrationConfig) -> Integration:
        return await self._http.run(calls.create(config))

    async def get_integration(self, integration_id: str) -> Integration:
        return await self._http.run(calls.get(integration_id))

    async def list_integrations(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        department: str | None = None,
        owner: str | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> AsyncPager[IntegrationSummary]:
        filters = _filters(
            status=status, type=type, department=department, owner=owner, sort_by=sort_by
        )
        call = calls.list(page_size, sort_order=sort_order, **filters)
        return await AsyncPager.fetch(self._http, call, page)

    async def update_integration(self, integration: Integration) -> Integration:
        """Save name, description, configuration and metadata as they are on `integration`."""
        return await self._http.run(calls.update(integration))

    async def patch_integration(self, integration_id: str, **changes: Any) -> Integration:
        """Change the fields given; configuration and metadata are merged into the stored ones."""
        return await self._http.run(calls.patch(integration_id, changes))

    async def update_credentials(
        self, integration_id: str, credentials: dict[str, Any]
    ) -> CredentialsUpdated:
        return await self._http.run(calls.credentials(integration_id, credentials))

    async def activate_integration(self, integration_id: str) -> StatusChange:
        return await self._http.run(calls.status(integration_id, "activate"))

    async def deactivate_integration(self, integration_id: str) -> StatusChange:
        return await self._http.run(calls.status(integration_id, "deactivate"))

    async def test_integration(self, integration_id: str) -> TestResult:
        return await self._http.run(calls.test(integration_id))

    async def delete_integration(self, integration_id: str) -> Deleted:
        return await self._http.run(calls.delete(integration_id))
