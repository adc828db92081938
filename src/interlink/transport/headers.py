"""Reading a provider's rate-limit answers: how much budget is left and when it comes back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
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
    """The names a provider uses. `reset` is a unix time ("epoch", GitHub), seconds from now
    ("delta", Discord's X-RateLimit-Reset-After), milliseconds from now ("delta_ms", HubSpot's
    X-HubSpot-RateLimit-Interval-Milliseconds: the length of its rolling window, so a bound) or
    an ISO 8601 timestamp ("iso8601", Jira's `2026-03-26T16:00Z`; one without an offset is UTC).

    `also`: a second window the provider counts at the same time (HubSpot's daily limit beside
    its ten-second one); the observation is the tighter of the two: a spent one, else the one
    with fewer requests left."""

    limit: str = "x-ratelimit-limit"
    remaining: str = "x-ratelimit-remaining"
    reset: str = "x-ratelimit-reset"
    reset_kind: Literal["epoch", "delta", "delta_ms", "iso8601"] = "epoch"
    also: RateLimitHeaders | None = None

    def observe(self, headers: dict[str, str], now: float) -> RateObservation | None:
        found = [self._window(headers, now)]
        if self.also is not None:
            found.append(self.also.observe(headers, now))
        seen = [observation for observation in found if observation is not None]
        return min(seen, key=lambda o: (o.remaining != 0, o.remaining), default=None)

    def _window(self, headers: dict[str, str], now: float) -> RateObservation | None:
        remaining = _number(headers.get(self.remaining))
        if remaining is None:
            return None
        reset_at = self._reset_at(headers.get(self.reset), now)
        limit = _number(headers.get(self.limit))
        return RateObservation(
            limit=None if limit is None else int(limit),
            remaining=int(remaining),
            reset_at=reset_at,
        )

    def _reset_at(self, value: str | None, now: float) -> float | None:
        if self.reset_kind == "iso8601":
            return _timestamp(value)
        reset = _number(value)
        if reset is None:
            return None
        if self.reset_kind == "delta_ms":
            return now + reset / 1000
        return reset if self.reset_kind == "epoch" else now + reset


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


def _timestamp(value: str | None) -> float | None:
    """An ISO 8601 date and time as unix seconds (UTC when it names no offset)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
