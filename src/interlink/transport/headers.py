"""Reading a provider's rate-limit answers: how much budget is left and when it comes back."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Literal


@dataclass(frozen=True)
class RateObservation:
    limit: int | None
    remaining: int | None
    reset_at: float | None  # unix seconds

    def describe(self) -> str:
        if self.remaining is None:
            return "no rate-limit headers seen"
        return (
            f"{self.remaining}/{self.limit} remaining"
            if self.limit
            else f"{self.remaining} remaining"
        )


@dataclass(frozen=True)
class RateLimitHeaders:
    """The names a provider uses. `reset` is a unix time ("epoch") or seconds from now ("delta")."""

    limit: str = "x-ratelimit-limit"
    remaining: str = "x-ratelimit-remaining"
    reset: str = "x-ratelimit-reset"
    reset_kind: Literal["epoch", "delta"] = "epoch"

    def observe(self, headers: dict[str, str], now: float) -> RateObservation | None:
        remaining = _number(headers.get(self.remaining))
        if remaining is None:
            return None
        reset = _number(headers.get(self.reset))
        reset_at = None if reset is None else (reset if self.reset_kind == "epoch" else now + reset)
        limit = _number(headers.get(self.limit))
        return RateObservation(
            limit=None if limit is None else int(limit),
            remaining=int(remaining),
            reset_at=reset_at,
        )


def retry_after(headers: dict[str, str], now: float) -> float | None:
    """Retry-After in seconds, from its seconds or its HTTP-date form."""
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None
