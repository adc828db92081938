"""What the route endpoints read of the services one process shares (see `interlink.api.deps`)."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends

from interlink.ai.routes.service import RouteService
from interlink.api.deps import services


class RouteDeps(Protocol):
    ai_routes: RouteService


Deps = Annotated[RouteDeps, Depends(services)]
