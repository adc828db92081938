"""Per-key request limits of this API, on the `limits` library (memory, or Redis when shared)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from interlink.auth.scopes import Principal

log = structlog.get_logger(__name__)
_MAX_REFUSALS = 10_000  # identities remembered as refused; past that, forgotten (and asked again)


def identity_of(principal: Principal) -> str:
    """Whose budget a request spends: its API key's (a token of the key spends the key's), else
    the token subject's."""
    return principal.key_id or f"sub:{principal.workspace_id}:{principal.subject}"


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
        self._refused: dict[str, tuple[float, RateLimitState]] = {}  # until (unix time), answer

    def _item(self, text: str) -> RateLimitItem | None:
        if text == "0":
            return None
        if text not in self._parsed:
            self._parsed[text] = parse(text)
        return self._parsed[text]

    def refusal(self, identity: str) -> RateLimitState | None:
        """The refusal standing for `identity`, known without asking the store. A moving window
        with no budget left refuses every request until its oldest hit leaves it (a refused
        request is not counted, and other processes sharing the store only add hits), so until
        then the answer is known: rejecting costs a dictionary lookup."""
        found = self._refused.get(identity)
        if found is None:
            return None
        until, state = found
        if time.time() < until:
            return state
        self._refused.pop(identity, None)
        return None

    async def hit(self, identity: str, limit: str | None = None) -> RateLimitState | None:
        """Count one request; None when no limit applies (or the shared store is down)."""
        item = self._item(limit or self.default)
        if item is None:
            return None
        if (refused := self.refusal(identity)) is not None:
            return refused
        try:
            allowed = await self.limiter.hit(item, identity)
            stats = await self.limiter.get_window_stats(item, identity)
        except StorageError:
            log.warning("rate_limit_store_unavailable", identity=identity)
            return None
        state = RateLimitState(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_at=math.ceil(stats.reset_time),
        )
        if state.remaining == 0:  # this request spent the last of the budget, or none was left
            self._remember(identity, stats.reset_time, replace(state, allowed=False))
        return state

    def _remember(self, identity: str, until: float, refusal: RateLimitState) -> None:
        if len(self._refused) >= _MAX_REFUSALS:
            self._refused.clear()
        self._refused[identity] = (until, refusal)

    async def reset(self) -> None:
        self._refused.clear()
        await self.storage.reset()
