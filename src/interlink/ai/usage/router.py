"""`/api/v1/ai/budgets` (budgets per integration or workspace) and `/api/v1/ai/usage` (spend in
all, per integration and per model)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from interlink.ai.usage.deps import Deps
from interlink.ai.usage.schemas import (
    BudgetChange,
    BudgetCreate,
    BudgetDeleted,
    BudgetOut,
    UsageReport,
)
from interlink.ai.usage.service import BudgetNotFound
from interlink.api.deps import IntegrationsRead, IntegrationsWrite, Session
from interlink.api.errors import responses
from interlink.api.idempotency import IdempotentRoute
from interlink.core.envelope import Envelope, ok
from interlink.core.errors import (
    Forbidden,
    IdempotencyKeyReused,
    InvalidRequest,
    TooManyRequests,
    Unauthenticated,
)
from interlink.core.pagination import Page, PageParams, page_params
from interlink.core.schemas import ApiTime

router = APIRouter(prefix="/ai", tags=["ai usage"], route_class=IdempotentRoute)
_AUTH = (Unauthenticated, Forbidden, TooManyRequests)
BudgetId = Annotated[str, Path(max_length=40, description="The budget's id (bud_...)")]


@router.post(
    "/budgets",
    status_code=201,
    summary="Set a budget (tokens or dollars, per day or month) on an integration or workspace",
    responses=responses(*_AUTH, InvalidRequest, IdempotencyKeyReused),
)
async def create_budget(
    body: BudgetCreate, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[BudgetOut]:
    row = await deps.usage.create(session, principal, body)
    return ok(await deps.usage.describe(session, row))


@router.get(
    "/budgets",
    summary="List the workspace's budgets, each with its current period's use",
    responses=responses(*_AUTH, InvalidRequest),
)
async def list_budgets(
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    params: Annotated[PageParams, Depends(page_params)],
) -> Envelope[Page[BudgetOut]]:
    rows, total = await deps.usage.page(session, principal.workspace_id, params)
    items = [await deps.usage.describe(session, row) for row in rows]
    return ok(Page[BudgetOut].build(items, total, params))


@router.get(
    "/budgets/{budget_id}",
    summary="Get a budget and its current period's use",
    responses=responses(*_AUTH, BudgetNotFound),
)
async def get_budget(
    budget_id: BudgetId, principal: IntegrationsRead, session: Session, deps: Deps
) -> Envelope[BudgetOut]:
    row = await deps.usage.get(session, principal.workspace_id, budget_id)
    return ok(await deps.usage.describe(session, row))


@router.patch(
    "/budgets/{budget_id}",
    summary="Change a budget's limit (in its unit) or threshold; its period's use is kept",
    responses=responses(*_AUTH, InvalidRequest, BudgetNotFound),
)
async def update_budget(
    budget_id: BudgetId,
    body: BudgetChange,
    principal: IntegrationsWrite,
    session: Session,
    deps: Deps,
) -> Envelope[BudgetOut]:
    row = await deps.usage.update(session, principal.workspace_id, budget_id, body)
    return ok(await deps.usage.describe(session, row))


@router.delete(
    "/budgets/{budget_id}",
    summary="Delete a budget",
    responses=responses(*_AUTH, BudgetNotFound),
)
async def delete_budget(
    budget_id: BudgetId, principal: IntegrationsWrite, session: Session, deps: Deps
) -> Envelope[BudgetDeleted]:
    await deps.usage.delete(session, principal.workspace_id, budget_id)
    return ok(BudgetDeleted(id=budget_id))


@router.get(
    "/usage",
    summary="Language-model spend: in all, per integration and per model (default: 30 days)",
    responses=responses(*_AUTH, InvalidRequest),
)
async def usage_report(
    principal: IntegrationsRead,
    session: Session,
    deps: Deps,
    since: Annotated[ApiTime | None, Query(description="From (RFC 3339)")] = None,
    until: Annotated[ApiTime | None, Query(description="Until, excluded (default: now)")] = None,
    integration_id: Annotated[str | None, Query(max_length=40)] = None,
) -> Envelope[UsageReport]:
    end: datetime = until or deps.usage.clock.now()
    start = since or end - timedelta(days=30)
    report = await deps.usage.report(session, principal.workspace_id, start, end, integration_id)
    return ok(report)
