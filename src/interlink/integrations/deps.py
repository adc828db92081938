"""What the integration, operation and health routes read of the services one process shares
(see `interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from interlink.api.deps import services
from interlink.integrations.durable import Durable
from interlink.integrations.health_service import HealthService
from interlink.integrations.operations_service import OperationService
from interlink.integrations.service import IntegrationService


class IntegrationDeps(Protocol):
    integrations: IntegrationService
    operations: OperationService
    health: HealthService
    durable: Durable


def deps_of(request: Request) -> IntegrationDeps:
    """`Deps` for a route answered without FastAPI's dependency solving."""
    found: IntegrationDeps = request.app.state.services
    return found


Deps = Annotated[IntegrationDeps, Depends(services)]
