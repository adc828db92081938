"""The overview: what needs attention across the workspace, each section read through the same
service, and shown only with the same scope, as the API route it mirrors."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from interlink.api.deps import Caller, Session
from interlink.auth.scopes import Principal, Scope
from interlink.console.charts import day_charts, used_percent
from interlink.console.deps import ConsoleDeps, Deps
from interlink.console.pages import pages_router
from interlink.console.templates import render
from interlink.core.pagination import PageParams
from interlink.events.types import EventType

router = pages_router()
HEALTH_ORDER = ("unhealthy", "degraded", "unknown", "healthy")
_SHOWN = PageParams(page=1, page_size=10)
_ALL = PageParams(page=1, page_size=100)


@router.get("/", name="console:overview")
async def overview(request: Request, principal: Caller, session: Session, deps: Deps) -> Response:
    ws = principal.workspace_id
    context: dict[str, Any] = {"section": "overview", "can": _scopes(principal)}
    if principal.allows(Scope.INTEGRATIONS_READ):
        context.update(await _integrations(session, deps, ws))
    if principal.allows(Scope.WEBHOOKS_READ):
        endpoints, _ = await deps.webhooks.page(session, ws, _ALL)
        context["failing_endpoints"] = [e for e in endpoints if e.failing_since or not e.enabled]
    if principal.allows(Scope.WORKFLOWS_READ):
        running, _ = await deps.workflows.executions(session, ws, _SHOWN, status="running")
        failed, _ = await deps.workflows.executions(session, ws, _SHOWN, status="failed")
        context.update(running_executions=running, failed_executions=failed)
    return render(request, "overview.html", **context)


async def _integrations(session: AsyncSession, deps: ConsoleDeps, ws: str) -> dict[str, Any]:
    rows, total = await deps.integrations.page(session, ws, _ALL, sort_by="name")
    by_health = Counter(r.health_status for r in rows)
    failures, _ = await deps.events.page(
        session, ws, _SHOWN, type_=EventType.OPERATION_FAILED.value
    )
    hours = await deps.health.hourly(session, ws)
    return {
        "integration_total": total,
        "by_health": [(h, by_health.get(h, 0)) for h in HEALTH_ORDER],
        "attention": [r for r in rows if r.health_status in ("unhealthy", "degraded")],
        "names": {r.id: r.name for r in rows},
        "failures": failures,
        "charts": day_charts(hours, deps.clock.now(), "overview"),
        "budgets": await _budgets_near_limit(session, deps, ws),
    }


async def _budgets_near_limit(session: AsyncSession, deps: ConsoleDeps, ws: str) -> list[Any]:
    rows, _ = await deps.usage.page(session, ws, _ALL)
    near = []
    for row in rows:
        budget = await deps.usage.describe(session, row)
        percent = used_percent(budget)
        if percent is not None and percent >= budget.threshold_percent:
            near.append((budget, percent))
    return near


def _scopes(principal: Principal) -> dict[str, bool]:
    return {scope.name.lower(): principal.allows(scope) for scope in Scope}
