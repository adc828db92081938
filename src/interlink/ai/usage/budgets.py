"""A budget as the hot path reads it, its periods, and what a call is charged against it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from interlink.ai.usage.prices import Price, dollars, nanos
from interlink.providers.kit.llm import Usage

Unit = Literal["tokens", "usd"]
Period = Literal["day", "month"]


@dataclass(frozen=True)
class Limit:
    """A budget: `amount` tokens, or nano-dollars when its unit is usd."""

    id: str
    integration_id: str | None
    unit: Unit
    period: Period
    amount: int
    threshold_percent: int

    def covers(self, integration_id: str) -> bool:
        return self.integration_id in (None, integration_id)

    def charge(self, usage: Usage, price: Price) -> int:
        """What a call of `usage` costs this budget, in its unit."""
        return usage.total_tokens if self.unit == "tokens" else nanos(price.cost(usage))

    def shown(self, amount: int) -> str:
        """An amount as the API and events show it: tokens, or dollars."""
        return str(amount) if self.unit == "tokens" else str(dollars(amount).normalize())

    def threshold(self) -> int:
        return self.amount * self.threshold_percent // 100


def period_start(period: Period, at: datetime) -> datetime:
    """The start (UTC) of the day or month `at` is in."""
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if period == "day" else day.replace(day=1)


def amount_of(unit: Unit, tokens: int | None, usd: Decimal | None) -> int:
    """A budget's limit as stored, from what the API was given."""
    if unit == "tokens":
        assert tokens is not None
        return tokens
    assert usd is not None
    return nanos(usd)
