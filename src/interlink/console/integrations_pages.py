"""Integrations: the list with filters and search, and one integration's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from interlink.api.deps import IntegrationsRead, Session
from interlink.console.deps import Deps
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.core.pagination import PageParams

router = pages_router()
_STATUSES = ("configured", "active", "inactive", "error")
_HEALTHS = ("healthy", "degraded", "unhealthy", "unknown")


@router.get("/integrations", name="console:integrations")
async def integrations(
    request: Request,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    type: Annotated[str, Query(max_length=50)] = "",
    health: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    params = PageParams(page=page, page_size=50)
    rows, total = await deps.integrations.page(
        session, principal.workspace_id, params, sort_by="name",
        status=status or None, type_=type or None,
    )  # fmt: skip
    needle = q.strip().lower()
    shown = [
        r for r in rows
        if (not needle or needle in r.name.lower() or needle in (r.description or "").lower())
        and (not health or r.health_status == health)
    ]  # fmt: skip
    filters = {"q": q, "status": status, "type": type, "health": health}
    return render(
        request, "integrations.html", section="integrations", rows=shown, total=total,
        page=page, pages=max(1, -(-total // params.page_size)), filters=filters,
        statuses=_STATUSES, healths=_HEALTHS,
    )  # fmt: skip


@router.get("/integrations/{integration_id}", name="console:integration")
async def integration(
    request: Request, integration_id: str, principal: IntegrationsRead, session: Session,
    deps: Deps,
) -> Response:  # fmt: skip
    row = await deps.integrations.get(session, principal.workspace_id, integration_id)
    return render(request, "integration.html", section="integrations", row=row)
