"""Budgets as a resource (create, list, read, delete) and the spend of a workspace or an
integration over a time range."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from interlink.ai.usage.budgets import Limit, Unit, amount_of, period_start
from interlink.ai.usage.meter import limit_of
from interlink.ai.usage.models import LlmBudget
from interlink.ai.usage.prices import dollars
from interlink.ai.usage.repository import UsageRepository
from interlink.ai.usage.schemas import (
    BudgetChange,
    BudgetCreate,
    BudgetOut,
    IntegrationSpend,
    ModelSpend,
    Spend,
    UsageReport,
)
from interlink.auth.scopes import Principal
from interlink.core.clock import Clock
from interlink.core.errors import InvalidRequest, NotFound
from interlink.core.ids import new_id
from interlink.core.pagination import PageParams
from interlink.integrations.schemas import LlmSpend


class BudgetNotFound(NotFound):
    """No budget with this id in this workspace."""

    code = "BUDGET_NOT_FOUND"


class UsageService:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def create(
        self, session: AsyncSession, principal: Principal, body: BudgetCreate
    ) -> LlmBudget:
        unit: Unit = "tokens" if body.limit_tokens is not None else "usd"
        row = LlmBudget(
            id=new_id("bud"), workspace_id=principal.workspace_id,
            integration_id=body.integration_id, unit=unit, period=body.period,
            amount=amount_of(unit, body.limit_tokens, body.limit_usd),
            threshold_percent=body.threshold_percent, created_at=self.clock.now(),
            created_by=principal.subject,
        )  # fmt: skip
        UsageRepository(session).add(row)
        await session.flush()
        return row

    async def get(self, session: AsyncSession, workspace_id: str, budget_id: str) -> LlmBudget:
        found = await UsageRepository(session).budget(workspace_id, budget_id)
        if found is None:
            raise BudgetNotFound()
        return found

    async def page(
        self, session: AsyncSession, workspace_id: str, params: PageParams
    ) -> tuple[Sequence[LlmBudget], int]:
        return await UsageRepository(session).page(workspace_id, params)

    async def update(
        self, session: AsyncSession, workspace_id: str, budget_id: str, change: BudgetChange
    ) -> LlmBudget:
        """A new limit (in the budget's unit) or threshold; the period's use stays."""
        row = await self.get(session, workspace_id, budget_id)
        given: Unit | None = (
            "tokens" if change.limit_tokens is not None
            else "usd" if change.limit_usd is not None else None
        )  # fmt: skip
        if given is not None and given != row.unit:
            raise InvalidRequest(
                f"Budget {row.id} counts {row.unit}: give limit_{row.unit} "
                "(delete it and create another to count the other unit)"
            )
        if given is not None:
            row.amount = amount_of(given, change.limit_tokens, change.limit_usd)
        if change.threshold_percent is not None:
            row.threshold_percent = change.threshold_percent
        await session.flush()
        return row

    async def delete(self, session: AsyncSession, workspace_id: str, budget_id: str) -> None:
        row = await self.get(session, workspace_id, budget_id)
        await UsageRepository(session).delete(row)

    async def describe(self, session: AsyncSession, row: LlmBudget) -> BudgetOut:
        limit: Limit = limit_of(row)
        start = period_start(limit.period, self.clock.now())
        used, held = await UsageRepository(session).spend(row.id, start)
        return BudgetOut(
            id=row.id, integration_id=row.integration_id, unit=limit.unit, period=limit.period,
            limit=limit.shown(row.amount), threshold_percent=row.threshold_percent,
            period_start=start, used=limit.shown(used), held=limit.shown(held),
            created_at=row.created_at, created_by=row.created_by,
        )  # fmt: skip

    async def spend_of(
        self,
        session: AsyncSession,
        workspace_id: str,
        integration_id: str,
        since: datetime | None,
    ) -> LlmSpend | None:
        """An integration's spend since `since` (ever, without it); None without any call."""
        start = since or datetime(1970, 1, 1, tzinfo=UTC)
        rows = await UsageRepository(session).totals(
            workspace_id, start, self.clock.now() + timedelta(days=1), (), integration_id
        )
        if not rows or not rows[0]["calls"]:
            return None
        spent = _spend(rows[0])
        del spent["total_tokens"]
        return LlmSpend.model_validate(spent)

    async def report(
        self,
        session: AsyncSession,
        workspace_id: str,
        since: datetime,
        until: datetime,
        integration_id: str | None = None,
    ) -> UsageReport:
        """Spend in [since, until): in all, per integration and per model."""
        repository = UsageRepository(session)

        async def grouped(*by: str) -> list[dict[str, Any]]:
            rows = await repository.totals(workspace_id, since, until, by, integration_id)
            return [{**row, **_spend(row)} for row in rows]

        total = (await grouped())[0]
        integrations = await grouped("integration_id")
        models = await grouped("provider", "model")
        return UsageReport(
            since=since, until=until, total=Spend.model_validate(total),
            by_integration=[IntegrationSpend.model_validate(r) for r in integrations],
            by_model=[ModelSpend.model_validate(r) for r in models],
        )  # fmt: skip


def _spend(row: dict[str, Any]) -> dict[str, Any]:
    prompt, completion = int(row["prompt_tokens"]), int(row["completion_tokens"])
    calls, errors = int(row["calls"]), int(row["errors"])
    return {
        "calls": calls, "prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "cost_usd": f"{dollars(int(row['cost_nanos'])).quantize(_CENT_FRACTION):f}",
        **_monitoring(row, calls, errors),
    }  # fmt: skip


def _monitoring(row: dict[str, Any], calls: int, errors: int) -> dict[str, Any]:
    """Error rate, mean latency and time to first token, and generation speed."""
    generating_ms = int(row["generating_ms"])
    return {
        "errors": errors,
        "error_rate": round(errors / calls, 4) if calls else None,
        "latency_ms": _mean(int(row["duration_ms"]), int(row["timed"])),
        "time_to_first_token_ms": _mean(int(row["first_token_ms"]), int(row["first_tokens"])),
        "tokens_per_second": round(int(row["generated_tokens"]) * 1000 / generating_ms, 1)
        if generating_ms > 0
        else None,
    }


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None


_CENT_FRACTION = dollars(1)  # shown to the nano-dollar
