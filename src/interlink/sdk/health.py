"""Health: IntegrationHealthMonitor and its async twin."""

from __future__ import annotations

from typing import Any

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import HealthCheckResult, HealthStatus


def _status(data: Any) -> HealthStatus:
    return HealthStatus.model_validate({"integration_id": data["integration_id"], **data["health"]})


def _check(data: Any) -> HealthCheckResult:
    report = {"integration_id": data["integration_id"], **data["health_check"]}
    return HealthCheckResult.model_validate(report)


class calls:
    @staticmethod
    def status(integration_id: str) -> Call[HealthStatus]:
        return Call("GET", f"/integrations/{integration_id}/health", _status)

    @staticmethod
    def check(integration_id: str, deep: bool = False) -> Call[HealthCheckResult]:
        path = f"/integrations/{integration_id}/health/check"
        if not deep:
            return Call("POST", path, _check)
        return Call("POST", path, _check, params={"deep": "true"}, resend=False)  # it is billed


class IntegrationHealthMonitor(SyncResource):
    """The last health check and 24 hours' metrics of an integration; a check run now."""

    def get_health_status(self, integration_id: str) -> HealthStatus:
        return self._http.run(calls.status(integration_id))

    def check_health(self, integration_id: str, *, deep: bool = False) -> HealthCheckResult:
        """Runs the checks now; `deep`: a language model also answers a one-token completion
        (charged like any call)."""
        return self._http.run(calls.check(integration_id, deep))


class AsyncIntegrationHealthMonitor(AsyncResource):
    """The asynchronous twin of IntegrationHealthMonitor."""

    async def get_health_status(self, integration_id: str) -> HealthStatus:
        return await self._http.run(calls.status(integration_id))

    async def check_health(self, integration_id: str, *, deep: bool = False) -> HealthCheckResult:
        return await self._http.run(calls.check(integration_id, deep))
