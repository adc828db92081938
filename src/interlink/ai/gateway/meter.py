"""What the gateway asks of usage accounting (`interlink.ai.usage.meter.UsageMeter` meets it):
hold a call's estimate in its budgets before it runs (or refuse it), then charge what it used, or
let go of the hold when it failed. `Unmetered` holds nothing and prices nothing, for a process
without usage accounting."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel

from interlink.providers.kit.llm import Usage


class Priced(Protocol):
    def cost(self, usage: Usage) -> Decimal: ...


class Held(Protocol):
    """A call under way, as the meter holds it."""

    @property
    def price(self) -> Priced: ...


class Meter(Protocol):
    async def reserve(
        self,
        workspace_id: str,
        integration_id: str,
        provider: str,
        configuration: Mapping[str, Any],
        params: BaseModel,
    ) -> Any:
        """A `Held` call; raises BUDGET_EXCEEDED when a budget would be passed."""

    async def settle(
        self,
        metered: Any,
        usage: Usage,
        operation: str,
        *,
        was_counted: bool = False,
        first_token_at: datetime | None = None,
        error_code: str | None = None,
    ) -> None: ...

    async def release(
        self, metered: Any, error_code: str | None = None, operation: str = "chat"
    ) -> None: ...


class Unmetered:
    async def reserve(
        self,
        workspace_id: str,
        integration_id: str,
        provider: str,
        configuration: Mapping[str, Any],
        params: BaseModel,
    ) -> None:
        return None

    async def settle(
        self,
        metered: Any,
        usage: Usage,
        operation: str,
        *,
        was_counted: bool = False,
        first_token_at: datetime | None = None,
        error_code: str | None = None,
    ) -> None:
        return None

    async def release(
        self, metered: Any, error_code: str | None = None, operation: str = "chat"
    ) -> None:
        return None


def cost_of(metered: Any, usage: Usage) -> Decimal:
    """What the call cost: its price (as the meter held it) of `usage`; 0 unmetered."""
    price: Priced | None = getattr(metered, "price", None)
    return price.cost(usage) if price is not None else Decimal(0)
