"""The errors of routes."""

from __future__ import annotations

from interlink.core.errors import InvalidRequest, NotFound


class NoTargetFits(InvalidRequest):
    """No target of the route can take this request."""

    code = "NO_ROUTE_TARGET"


class AiRouteNotFound(NotFound):
    """Route not found."""

    code = "AI_ROUTE_NOT_FOUND"
