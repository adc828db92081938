"""AI: the gateway's routes (a route's versions and targets) and spend (the usage report by model
and by integration with its monitoring fields, and the budgets with their use)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Query, Request, Response

from interlink.ai.routes.deps import Deps as RouteDeps
from interlink.ai.routes.schemas import RouteOut
from interlink.api.deps import IntegrationsRead, Session
from interlink.console.charts import used_percent
from interlink.console.deps import Deps
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.core.pagination import PageParams

router = pages_router()
_ALL = PageParams(page=1, page_size=100)
_VERSIONS_SHOWN = 20
_PERIODS = {"1": "24 hours", "7": "7 days", "30": "30 days", "90": "90 days"}


@router.get("/ai/routes", name="console:ai_routes")
async def routes(
    request: Request, principal: IntegrationsRead, session: Session, deps: RouteDeps
) -> Response:
    rows, total = await deps.ai_routes.page(session, principal.workspace_id, _ALL)
    shown = [RouteOut.of(r) for r in rows]
    return render(request, "ai_routes.html", section="ai", rows=shown, total=total)


@router.get("/ai/routes/{name}", name="console:ai_route")
async def route(
    request: Request,
    name: str,
    principal: IntegrationsRead,
    session: Session,
    deps: RouteDeps,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    ws = principal.workspace_id
    current = await deps.ai_routes.get(session, ws, name)
    shown = await deps.ai_routes.get(session, ws, name, version) if version else current
    first = max(1, current.version - _VERSIONS_SHOWN + 1)
    return render(
        request, "ai_route.html", section="ai", route=RouteOut.of(shown),
        current_version=current.version, versions=range(current.version, first - 1, -1),
    )  # fmt: skip


@router.get("/ai/spend", name="console:ai_spend")
async def spend(
    request: Request,
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    days: Annotated[str, Query(max_length=3)] = "30",
) -> Response:
    ws = principal.workspace_id
    period = days if days in _PERIODS else "30"
    until = deps.clock.now()
    report = await deps.usage.report(session, ws, until - timedelta(days=int(period)), until)
    integrations, _ = await deps.integrations.page(session, ws, _ALL, sort_by="name")
    rows, _ = await deps.usage.page(session, ws, _ALL)
    budgets = [await deps.usage.describe(session, row) for row in rows]
    return render(
        request, "ai_spend.html", section="ai", report=report, period=period, periods=_PERIODS,
        names={i.id: i.name for i in integrations},
        budgets=[(b, used_percent(b)) for b in budgets],
    )  # fmt: skip
