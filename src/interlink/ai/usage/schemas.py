from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, model_validator

from interlink.core.schemas import ApiInput, ApiOutput, UtcTime
from interlink.integrations.schemas import LlmSpend

Dollars = Annotated[Decimal, Field(gt=0, le=10_000_000, max_digits=18, decimal_places=9)]


class BudgetCreate(ApiInput):
    """A limit of tokens or dollars per day or month; with `integration_id` on one integration,
    without it on all the workspace's language-model calls. Exactly one of `limit_tokens` and
    `limit_usd`."""

    integration_id: str | None = Field(None, max_length=40)
    period: Literal["day", "month"]
    limit_tokens: Annotated[int, Field(ge=1, le=10**15)] | None = None
    limit_usd: Dollars | None = Field(None, description='Dollars, e.g. "25.00"')
    threshold_percent: Annotated[int, Field(ge=1, le=100)] = Field(
        80, description="budget.threshold_reached is sent when this share is used"
    )

    @model_validator(mode="after")
    def _one_limit(self) -> BudgetCreate:
        if (self.limit_tokens is None) == (self.limit_usd is None):
            raise ValueError("give exactly one of limit_tokens and limit_usd")
        return self


class BudgetChange(ApiInput):
    """A budget's new limit (in its own unit: `limit_tokens` or `limit_usd`) or threshold; its
    period's use is kept."""

    limit_tokens: Annotated[int, Field(ge=1, le=10**15)] | None = None
    limit_usd: Dollars | None = Field(None, description='Dollars, e.g. "25.00"')
    threshold_percent: Annotated[int, Field(ge=1, le=100)] | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> BudgetChange:
        if self.limit_tokens is not None and self.limit_usd is not None:
            raise ValueError("give at most one of limit_tokens and limit_usd")
        return self


class BudgetOut(ApiOutput):
    id: str
    integration_id: str | None
    unit: Literal["tokens", "usd"]
    period: Literal["day", "month"]
    limit: str = Field(description="Tokens, or dollars as a decimal string")
    threshold_percent: int
    period_start: UtcTime = Field(description="The start of the current period (UTC)")
    used: str = Field(description="Used in the current period, in the budget's unit")
    held: str = Field(description="Held by calls under way (their estimates)")
    created_at: UtcTime
    created_by: str


class BudgetDeleted(ApiOutput):
    id: str
    deleted: bool = True


class Spend(LlmSpend):
    total_tokens: int


class IntegrationSpend(Spend):
    integration_id: str


class ModelSpend(Spend):
    provider: str
    model: str


class UsageReport(ApiOutput):
    since: UtcTime
    until: UtcTime
    total: Spend
    by_integration: list[IntegrationSpend]
    by_model: list[ModelSpend]
