"""What the custom-provider routes read of the services one process shares (see
`interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.api.deps import services
from interlink.custom_providers.service import CustomProviderService


class CustomProviderDeps(Protocol):
    custom_providers: CustomProviderService


Deps = Annotated[CustomProviderDeps, Depends(services)]
