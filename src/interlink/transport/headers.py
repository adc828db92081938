"""Reading a provider's rate-limit answers: how much budget is left and when it comes back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

# A provider's token windows: `tokens` (the prompt, or prompt and answer where one window counts
# both) and `output_tokens` (the answer alone, where the provider counts it apart).
TokenWindow = Literal["tokens", "output_tokens"]
TOKEN_WINDOWS: tuple[TokenWindow, ...] = ("tokens", "output_tokens")


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
    an ISO 8601 timestamp ("iso8601", Jira's `2026-03-26T16:00Z`; one without an offset is UTC)
    or a duration from now ("duration", OpenAI's `6m0s`, `20ms`, `1h2m3.5s`).

    `also`: a second window the provider counts at the same time (HubSpot's daily limit beside
    its ten-second one); the observation is the tighter of the two: a spent one, else the one
    with fewer requests left.

    `tokens`: the provider's window of tokens (a language model's, OpenAI's
    `x-ratelimit-remaining-tokens`, Anthropic's input tokens), read apart from the requests by
    `observe_tokens`: the budget a call declaring its tokens takes from. `output_tokens`: a
    second window for the answer's tokens alone, for a provider that counts them apart
    (Anthropic's `anthropic-ratelimit-output-tokens-*`): the budget a call declaring its
    `output_tokens` (its `max_tokens`) takes from."""

    limit: str = "x-ratelimit-limit"
    remaining: str = "x-ratelimit-remaining"
    reset: str = "x-ratelimit-reset"
    reset_kind: Literal["epoch", "delta", "delta_ms", "iso8601", "duration"] = "epoch"
    also: RateLimitHeaders | None = None
    tokens: RateLimitHeaders | None = None
    output_tokens: RateLimitHeaders | None = None

    def observe(self, headers: dict[str, str], now: float) -> RateObservation | None:
        found = [self._window(headers, now)]
        if self.also is not None:
            found.append(self.also.observe(headers, now))
        seen = [observation for observation in found if observation is not None]
        return min(seen, key=lambda o: (o.remaining != 0, o.remaining), default=None)

    def observe_tokens(
        self, headers: dict[str, str], now: float, window: TokenWindow = "tokens"
    ) -> RateObservation | None:
        spec = self.tokens if window == "tokens" else self.output_tokens
        return None if spec is None else spec.observe(headers, now)

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
        if self.reset_kind == "duration":
            seconds = _duration(value)
            return None if seconds is None else now + seconds
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


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def _duration(value: str | None) -> float | None:
    """A Go duration (`6m0s`, `1.5s`, `20ms`) in seconds; None when it is not one."""
    text = (value or "").strip()
    parts = _DURATION_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _timestamp(value: str | None) -> float | None:
    """An ISO 8601 date and time as unix seconds (UTC when it names no offset)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
