"""Operations: IntegrationClient(...).get_integration_client(id) and its async twin.

`execute_operation` runs an operation now (status `completed`) or, with `run_async=True`,
queues it for a worker (status `queued`); `get_operation_status` reads it back.
"""

from __future__ import annotations

from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import AsyncHTTP, Call, SyncHTTP
from interlink.sdk.models import OperationInfo, OperationResult, OperationStatus
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager


def _operations(data: Any) -> list[OperationInfo]:
    return [OperationInfo.model_validate(item) for item in data["operations"]]


class calls:
    @staticmethod
    def list(integration_id: str) -> Call[list[OperationInfo]]:
        return Call("GET", f"/integrations/{integration_id}/operations", _operations)

    @staticmethod
    def execute(
        integration_id: str,
        operation: str,
        parameters: dict[str, Any] | None,
        run_async: bool,
        request_id: str | None = None,
    ) -> Call[OperationResult]:
        path = f"/integrations/{integration_id}/operations/{operation}"
        body = {"parameters": parameters or {}, "async": run_async}
        headers = {"X-Request-ID": request_id} if request_id else {}
        return Call("POST", path, OperationResult.model_validate, json=body, headers=headers)

    @staticmethod
    def status(integration_id: str, operation: str, operation_id: str) -> Call[OperationStatus]:
        path = f"/integrations/{integration_id}/operations/{operation}/{operation_id}"
        return Call("GET", path, OperationStatus.model_validate)

    @staticmethod
    def history(integration_id: str, page_size: int, **filters: Any) -> PageCall[OperationStatus]:
        path = f"/integrations/{integration_id}/operations/history"
        return PageCall(path, OperationStatus, {"page_size": page_size, **filters})


class IntegrationOperations:
    """The operations of one integration (what `get_integration_client` returns)."""

    def __init__(self, http: SyncHTTP, integration_id: str) -> None:
        self._http = http
        self.integration_id = integration_id

    def list_operations(self) -> list[OperationInfo]:
        return self._http.run(calls.list(self.integration_id))

    def execute_operation(
        self,
        operation: str,
        parameters: dict[str, Any] | None = None,
        *,
        run_async: bool = False,
        request_id: str | None = None,
    ) -> OperationResult:
        """`request_id`: sent as X-Request-ID; an operation run now carries it in its
        `operation.progress` events, so their follower knows them before the answer comes."""
        call = calls.execute(self.integration_id, operation, parameters, run_async, request_id)
        return self._http.run(call)

    def get_operation_status(self, operation: str, operation_id: str) -> OperationStatus:
        return self._http.run(calls.status(self.integration_id, operation, operation_id))

    def list_operation_history(
        self,
        *,
        operation: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> SyncPager[OperationStatus]:
        call = calls.history(self.integration_id, page_size, operation=operation, status=status)
        return SyncPager.fetch(self._http, call, page)


class AsyncIntegrationOperations:
    """The asynchronous twin of IntegrationOperations."""

    def __init__(self, http: AsyncHTTP, integration_id: str) -> None:
        self._http = http
        self.integration_id = integration_id

    async def list_operations(self) -> list[OperationInfo]:
        return await self._http.run(calls.list(self.integration_id))

    async def execute_operation(
        self,
        operation: str,
        parameters: dict[str, Any] | None = None,
        *,
        run_async: bool = False,
        request_id: str | None = None,
    ) -> OperationResult:
        call = calls.execute(self.integration_id, operation, parameters, run_async, request_id)
        return await self._http.run(call)

    async def get_operation_status(self, operation: str, operation_id: str) -> OperationStatus:
        return await self._http.run(calls.status(self.integration_id, operation, operation_id))

    async def list_operation_history(
        self,
        *,
        operation: str | None = None,
        status: str | None = None,
        page: int = 1,
        page_size: int = 10,
    ) -> AsyncPager[OperationStatus]:
        call = calls.history(self.integration_id, page_size, operation=operation, status=status)
        return await AsyncPager.fetch(self._http, call, page)


class IntegrationClient(SyncResource):
    """Runs operations: `client.get_integration_client("int_...").execute_operation(...)`."""

    def get_integration_client(self, integration_id: str) -> IntegrationOperations:
        """The operations of one integration, sharing this client's connection."""
        return IntegrationOperations(self._http, integration_id)


class AsyncIntegrationClient(AsyncResource):
    """The asynchronous twin of IntegrationClient."""

    def get_integration_client(self, integration_id: str) -> AsyncIntegrationOperations:
        """The operations of one integration, sharing this client's connection."""
        return AsyncIntegrationOperations(self._http, integration_id)
