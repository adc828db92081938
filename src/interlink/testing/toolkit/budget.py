"""A windowed rate budget keyed per token (or per route bucket) on the mock's clock, and the
provider's rate-limit headers as data."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from wsgiref.handlers import format_date_time

from aiohttp import web

from interlink.core.clock import Clock

# The provider's answer to a spent budget, given the seconds until it comes back; the budget's
# headers are added to it.
Exhausted = Callable[[float], web.StreamResponse]
Answer = Callable[[], Awaitable[web.StreamResponse]]
# Requests per window (None: no limit), or what reads it from the mock's settings when used.
Limit = int | None | Callable[[], int | None]


class ResetFormat(StrEnum):
    """How a header says when the budget comes back."""

    EPOCH_SECONDS = "epoch_seconds"  # 1748782800 (GitHub), rounded up
    EPOCH_MILLIS = "epoch_millis"  # 1748782800.250 (Discord)
    SECONDS_AFTER = "seconds_after"  # 30, rounded up
    SECONDS_AFTER_MILLIS = "seconds_after_millis"  # 29.750 (Discord's Reset-After)
    ISO_MINUTE = "iso_minute"  # 2025-06-01T12:01Z (Jira)
    ISO_SECONDS = "iso_seconds"  # 2025-06-01T12:01:00Z
    HTTP_DATE = "http_date"  # Sun, 01 Jun 2025 12:01:00 GMT
    DURATION = "duration"  # 6m0s, 1s, 20ms (OpenAI)

    def render(self, reset: float, now: float) -> str:
        """`reset` (epoch seconds) in this format, at `now`."""
        after = max(reset - now, 0.0)
        match self:
            case ResetFormat.EPOCH_SECONDS:
                return str(math.ceil(reset))
            case ResetFormat.EPOCH_MILLIS:
                return f"{reset:.3f}"
            case ResetFormat.SECONDS_AFTER:
                return str(math.ceil(after))
            case ResetFormat.SECONDS_AFTER_MILLIS:
                return f"{after:.3f}"
            case ResetFormat.ISO_MINUTE:
                return datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%MZ")
            case ResetFormat.ISO_SECONDS:
                return datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            case ResetFormat.HTTP_DATE:
                return format_date_time(reset)
            case ResetFormat.DURATION:
                return _duration(after)


def _duration(seconds: float) -> str:
    """Seconds as a Go duration, as OpenAI writes its resets: `20ms`, `1s`, `6m0s`, `1h0m0s`."""
    seconds = round(seconds, 3)
    if seconds < 1:
        return f"{round(seconds * 1000)}ms" if seconds > 0 else "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    tail = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{hours:.0f}h{minutes:.0f}m{tail}"
    return f"{minutes:.0f}m{tail}" if minutes else tail


@dataclass(frozen=True)
class RateHeaders:
    """The provider's rate-limit header names (None: not sent), in the order they are sent:
    limit, remaining, near_limit (`true` once less than `near_fraction` is left), each of
    `resets` in its format (only once the budget is spent when `reset_only_when_spent`), used,
    bucket (the window's name), then the `fixed` ones."""

    limit: str | None = "X-RateLimit-Limit"
    remaining: str | None = "X-RateLimit-Remaining"
    resets: Mapping[str, ResetFormat] = field(
        default_factory=lambda: {"X-RateLimit-Reset": ResetFormat.EPOCH_SECONDS}
    )
    used: str | None = None
    bucket: str | None = None
    near_limit: str | None = None
    near_fraction: float = 0.2
    reset_only_when_spent: bool = False
    fixed: Mapping[str, str] = field(default_factory=dict)

    def render(self, window: Window, now: float) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.limit:
            headers[self.limit] = str(window.limit)
        if self.remaining:
            headers[self.remaining] = str(window.remaining)
        if self.near_limit and window.remaining < window.limit * self.near_fraction:
            headers[self.near_limit] = "true"
        if window.remaining == 0 or not self.reset_only_when_spent:
            headers |= {name: form.render(window.reset, now) for name, form in self.resets.items()}
        if self.used:
            headers[self.used] = str(window.used)
        if self.bucket:
            headers[self.bucket] = window.name
        return headers | dict(self.fixed)


@dataclass
class Window:
    """One key's current window: `used` of `limit` requests, until `reset` (epoch seconds)."""

    limit: int
    reset: float
    name: str = ""
    used: int = 0

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


class RateBudget:
    """`limit` requests per `window` seconds for each key (a token, a route bucket), on `clock`;
    None: no limit, and no headers. A callable `limit` is read on every request, so a mock's
    setting changed by a test applies at once.

    A key's window starts at its first request after the last one ended, rounded down to a
    multiple of `align_to` seconds (0: the instant itself; 1: a whole second, as an epoch reset
    in whole seconds needs; equal to `window`: calendar windows such as Jira's UTC minute).
    `meter` answers within the budget, `exhausted` answers past it, and `headers` (None: none)
    says what is left on every answer.
    """

    def __init__(
        self,
        limit: Limit,
        window: float,
        *,
        clock: Clock,
        exhausted: Exhausted,
        headers: RateHeaders | None = None,
        align_to: float = 0.0,
    ) -> None:
        self._limit = limit
        self.seconds = window
        self.clock = clock
        self.exhausted = exhausted
        self.header_names = headers
        self.align_to = align_to
        self.windows: dict[str, Window] = {}

    @property
    def limit(self) -> int | None:
        return self._limit() if callable(self._limit) else self._limit

    def now(self) -> float:
        return self.clock.now().timestamp()

    def window(self, key: str = "", *, name: str | None = None) -> Window:
        """`key`'s current window (a new one when the last has ended); `name` names a new one
        (the key by default)."""
        now, limit = self.now(), self.limit or 0
        found = self.windows.get(key)
        if found is None or now >= found.reset:
            start = math.floor(now / self.align_to) * self.align_to if self.align_to else now
            found = Window(limit, start + self.seconds, name if name is not None else key)
            self.windows[key] = found
        found.limit = limit
        return found

    def headers(self, window: Window) -> dict[str, str]:
        """The rate-limit headers of `window`, now."""
        if self.header_names is None or self.limit is None:
            return {}
        return self.header_names.render(window, self.now())

    def retry_after(self, window: Window) -> float:
        """Seconds until `window` resets."""
        return max(window.reset - self.now(), 0.0)

    async def meter(
        self, key: str, answer: Answer, *, name: str | None = None, spend: bool = True
    ) -> web.StreamResponse:
        """`answer()` when `key` has a request left (spending it; not checked nor spent unless
        `spend`), else the `exhausted` answer; either with the window's headers."""
        if self.limit is None:
            return await answer()
        window = self.window(key, name=name)
        if spend and window.remaining == 0:
            response = self.exhausted(self.retry_after(window))
        else:
            if spend:
                window.used += 1
            response = await answer()
        response.headers.update(self.headers(window))
        return response
