"""What the connector routes read of the services one process shares (see
`interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.custom_providers.service import CustomProviderService
from interlink.integrations.service import IntegrationService


class ProviderDeps(Protocol):
    integrations: IntegrationService
    custom_providers: CustomProviderService


Deps = Annotated[ProviderDeps, Depends(services)]
