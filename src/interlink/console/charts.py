"""Hourly call stats as the series of the console's charts: the last 24 hours, one point an hour
(an hour without calls has none); and a budget's use as a meter shows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from interlink.ai.usage.schemas import BudgetOut
from interlink.integrations.health_service import HourStats


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    data: dict[str, Any]  # {"x": [unix seconds], "series": [{"label", "values", "unit"}]}

    @property
    def rows(self) -> list[tuple[datetime, list[Any]]]:
        """The same numbers as a table (what a reader without JavaScript sees)."""
        values = [s["values"] for s in self.data["series"]]
        return [
            (datetime.fromtimestamp(x, tz=UTC), [v[i] for v in values])
            for i, x in enumerate(self.data["x"])
        ]


def day_charts(hours: Sequence[HourStats], now: datetime, prefix: str) -> list[Chart]:
    """Calls, success rate and average latency per hour over the 24 hours before `now`."""
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    by_hour = {h.hour.replace(tzinfo=now.tzinfo): h for h in hours}
    slots = [start + timedelta(hours=i) for i in range(24)]
    x = [int(s.timestamp()) for s in slots]
    found = [by_hour.get(s) for s in slots]
    calls = [h.calls if h else 0 for h in found]
    failures = [h.failures if h else 0 for h in found]
    rate = [
        round(100 * (h.calls - h.failures) / h.calls, 1) if h and h.calls else None for h in found
    ]
    latency = [round(h.total_ms / h.calls, 1) if h and h.calls else None for h in found]
    volume = _data(x, ("calls", calls, ""), ("failed", failures, ""))
    return [
        Chart(f"{prefix}-calls", "Calls per hour", volume),
        Chart(f"{prefix}-success", "Success rate (%)", _data(x, ("success rate", rate, "%"))),
        Chart(f"{prefix}-latency", "Average latency (ms)", _data(x, ("latency", latency, " ms"))),
    ]


def _data(x: list[int], *series: tuple[str, list[Any], str]) -> dict[str, Any]:
    return {"x": x, "series": [{"label": n, "values": v, "unit": u} for n, v, u in series]}


def used_percent(budget: BudgetOut) -> float | None:
    """How much of a budget's period is used, in percent (None when it cannot be said)."""
    try:
        limit = Decimal(budget.limit)
        return None if limit <= 0 else float(round(100 * Decimal(budget.used) / limit, 1))
    except InvalidOperation:
        return None
