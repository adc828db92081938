"""Per-key request limits of this API, on the `limits` library (memory, or Redis when shared)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RateLimitState:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_at),
        }
        if not self.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(self.reset_at - time.time())))
        return headers


def _storage(redis_url: str | None) -> Storage:
    if not redis_url:
        return MemoryStorage()
    scheme, sep, rest = redis_url.partition("://")
    if scheme not in {"redis", "rediss"} or not sep:
        raise ValueError("INTERLINK_REDIS_URL must start with redis:// or rediss://")
    return RedisStorage(
        f"async+{scheme}://{rest}", key_prefix="interlink-api", wrap_exceptions=True
    )


class RequestRateLimiter:
    def __init__(self, default: str, redis_url: str | None) -> None:
        self.default = default
        self.storage = _storage(redis_url)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self._parsed: dict[str, RateLimitItem] = {}

    def _item(self, text: str) -> RateLimitItem | None:
        if text == "0":
            return None
        if text not in self._parsed:
            self._parsed[text] = parse(text)
        return self._parsed[text]

    async def hit(self, identity: str, limit: str | None = None) -> RateLimitState | None:
        """Count one request; None when no limit applies (or the shared store is down)."""
        item = self._item(limit or self.default)
        if item is None:
            return None
        try:
            allowed = await self.limiter.hit(item, identity)
            stats = await self.limiter.get_window_stats(item, identity)
        except StorageError:
            log.warning("rate_limit_store_unavailable", identity=identity)
            return None
        return RateLimitState(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_at=math.ceil(stats.reset_time),
        )

    async def reset(self) -> None:
        await self.storage.reset()
