"""The router that every signed-in page of the console hangs on."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from interlink.console.deps import signed_in
from interlink.console.routing import ConsoleRoute


def pages_router() -> APIRouter:
    """A router of pages: each needs a live session (`signed_in`) before anything else runs, and
    its CSRF token on every unsafe request."""
    return APIRouter(
        prefix="/console",
        route_class=ConsoleRoute,
        include_in_schema=False,
        dependencies=[Depends(signed_in)],
    )
