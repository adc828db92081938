"""Budgets of language-model calls and their spend (docs/ai.md, "Usage, cost and budgets"):
BudgetClient and UsageClient, with their async twins. Dollars are decimal strings both ways."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from interlink.sdk.base import AsyncResource, SyncResource
from interlink.sdk.client import Call
from interlink.sdk.models import Deleted, LlmSpend, Model
from interlink.sdk.pagination import AsyncPager, PageCall, SyncPager

PATH = "/ai/budgets"
Period = Literal["day", "month"]


class Budget(Model):
    """A limit of tokens or dollars per day or month, and its current period's use (`limit`,
    `used` and `held` in its unit: tokens, or dollars as decimal strings)."""

    id: str
    integration_id: str | None = None
    unit: Literal["tokens", "usd"]
    period: Period
    limit: str
    threshold_percent: int
    period_start: datetime
    used: str
    held: str
    created_at: datetime
    created_by: str


class Spend(LlmSpend):
    """Calls (failed ones included), tokens, dollars (a decimal string)."""

    total_tokens: int = 0


class IntegrationSpend(Spend):
    integration_id: str


class ModelSpend(Spend):
    provider: str
    model: str


class UsageReport(Model):
    """Spend in [since, until): in all, per integration and per model."""

    since: datetime
    until: datetime
    total: Spend
    by_integration: list[IntegrationSpend]
    by_model: list[ModelSpend]


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _usd(value: Decimal | str | float | None) -> str | None:
    return None if value is None else str(value)


def _time(value: datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


class calls:
    @staticmethod
    def create(body: dict[str, Any]) -> Call[Budget]:
        return Call("POST", PATH, Budget.model_validate, json=body)

    @staticmethod
    def get(budget_id: str) -> Call[Budget]:
        return Call("GET", f"{PATH}/{budget_id}", Budget.model_validate)

    @staticmethod
    def list(page_size: int) -> PageCall[Budget]:
        return PageCall(PATH, Budget, {"page_size": page_size})

    @staticmethod
    def update(budget_id: str, body: dict[str, Any]) -> Call[Budget]:
        return Call("PATCH", f"{PATH}/{budget_id}", Budget.model_validate, json=body)

    @staticmethod
    def delete(budget_id: str) -> Call[Deleted]:
        return Call("DELETE", f"{PATH}/{budget_id}", Deleted.model_validate)

    @staticmethod
    def usage(params: dict[str, Any]) -> Call[UsageReport]:
        return Call("GET", "/ai/usage", UsageReport.model_validate, params=params)


def _budget_body(
    period: Period,
    limit_tokens: int | None,
    limit_usd: Decimal | str | float | None,
    integration_id: str | None,
    threshold_percent: int | None,
) -> dict[str, Any]:
    return _given(
        period=period, limit_tokens=limit_tokens, limit_usd=_usd(limit_usd),
        integration_id=integration_id, threshold_percent=threshold_percent,
    )  # fmt: skip


class BudgetClient(SyncResource):
    """Budgets on one integration (`integration_id`) or, without one, on the whole workspace;
    give exactly one of `limit_tokens` and `limit_usd`."""

    def create_budget(
        self,
        period: Period,
        *,
        limit_tokens: int | None = None,
        limit_usd: Decimal | str | float | None = None,
        integration_id: str | None = None,
        threshold_percent: int | None = None,
    ) -> Budget:
        body = _budget_body(period, limit_tokens, limit_usd, integration_id, threshold_percent)
        return self._http.run(calls.create(body))

    def get_budget(self, budget_id: str) -> Budget:
        return self._http.run(calls.get(budget_id))

    def list_budgets(self, *, page: int = 1, page_size: int = 10) -> SyncPager[Budget]:
        return SyncPager.fetch(self._http, calls.list(page_size), page)

    def update_budget(
        self,
        budget_id: str,
        *,
        limit_tokens: int | None = None,
        limit_usd: Decimal | str | float | None = None,
        threshold_percent: int | None = None,
    ) -> Budget:
        """A new limit, in the budget's own unit, or threshold; the period's use is kept."""
        body = _given(
            limit_tokens=limit_tokens, limit_usd=_usd(limit_usd),
            threshold_percent=threshold_percent,
        )  # fmt: skip
        return self._http.run(calls.update(budget_id, body))

    def delete_budget(self, budget_id: str) -> Deleted:
        return self._http.run(calls.delete(budget_id))


class AsyncBudgetClient(AsyncResource):
    """The asynchronous twin of BudgetClient."""

    async def create_budget(
        self,
        period: Period,
        *,
        limit_tokens: int | None = None,
        limit_usd: Decimal | str | float | None = None,
        integration_id: str | None = None,
        threshold_percent: int | None = None,
    ) -> Budget:
        body = _budget_body(period, limit_tokens, limit_usd, integration_id, threshold_percent)
        return await self._http.run(calls.create(body))

    async def get_budget(self, budget_id: str) -> Budget:
        return await self._http.run(calls.get(budget_id))

    async def list_budgets(self, *, page: int = 1, page_size: int = 10) -> AsyncPager[Budget]:
        return await AsyncPager.fetch(self._http, calls.list(page_size), page)

    async def update_budget(
        self,
        budget_id: str,
        *,
        limit_tokens: int | None = None,
        limit_usd: Decimal | str | float | None = None,
        threshold_percent: int | None = None,
    ) -> Budget:
        """A new limit, in the budget's own unit, or threshold; the period's use is kept."""
        body = _given(
            limit_tokens=limit_tokens, limit_usd=_usd(limit_usd),
            threshold_percent=threshold_percent,
        )  # fmt: skip
        return await self._http.run(calls.update(budget_id, body))

    async def delete_budget(self, budget_id: str) -> Deleted:
        return await self._http.run(calls.delete(budget_id))


class UsageClient(SyncResource):
    """Language-model spend: calls, tokens and dollars."""

    def get_usage(
        self,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        integration_id: str | None = None,
    ) -> UsageReport:
        """From `since` (default: 30 days before `until`) to `until` (default: now), of one
        integration or the whole workspace."""
        query = _given(since=_time(since), until=_time(until), integration_id=integration_id)
        return self._http.run(calls.usage(query))


class AsyncUsageClient(AsyncResource):
    """The asynchronous twin of UsageClient."""

    async def get_usage(
        self,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        integration_id: str | None = None,
    ) -> UsageReport:
        """From `since` (default: 30 days before `until`) to `until` (default: now), of one
        integration or the whole workspace."""
        query = _given(since=_time(since), until=_time(until), integration_id=integration_id)
        return await self._http.run(calls.usage(query))
