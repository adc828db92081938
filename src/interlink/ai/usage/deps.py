"""What the usage and budget routes read of the services one process shares (see
`interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.ai.usage.service import UsageService
from interlink.api.deps import services


class UsageDeps(Protocol):
    usage: UsageService


Deps = Annotated[UsageDeps, Depends(services)]
