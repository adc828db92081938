"""Proactive rate limits: a call takes budget before it leaves; the provider need not say 429.

Each integration has rates (N calls per period, from its configuration) kept as GCRA state (one
"theoretical arrival time" per rate), and a pause learned from the provider's own answers
(`X-RateLimit-Remaining: 0` until the reset, or a 429's Retry-After). A call asks for every rate
at once: either all grant, or none is consumed and the answer is how long to wait.

The state lives in memory (one process) or in Redis (every process shares one budget). The
`limits` library was not used: its clock cannot be injected, and a call here needs to know when
it may go, not only that it may not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from interlink.core.clock import Clock
from interlink.core.errors import RateLimitExceeded


@dataclass(frozen=True)
class Rate:
    count: float  # calls per period; 0.5 per second is one call every two seconds
    period_seconds: float

    @property
    def interval(self) -> float:
        return self.period_seconds / self.count

    @property
    def tolerance(self) -> float:  # a full period's calls may come in one burst
        return self.period_seconds - self.interval


class BudgetStore(Protocol):
    async def take(self, key: str, rates: tuple[Rate, ...], now: float) -> float:
        """0 when every rate granted one call (and it is counted); else seconds to wait."""

    async def pause(self, key: str, until: float) -> None: ...

    async def paused_until(self, key: str) -> float: ...


def _gcra(tats: list[float], rates: tuple[Rate, ...], now: float) -> tuple[float, list[float]]:
    wait, new = 0.0, []
    for tat, rate in zip(tats, rates, strict=True):
        tat = max(tat, now)
        wait = max(wait, tat - rate.tolerance - now)
        new.append(tat + rate.interval)
    return (wait, tats) if wait > 0 else (0.0, new)


class MemoryBudgetStore:
    def __init__(self) -> None:
        self._tats: dict[tuple[str, Rate], float] = {}
        self._paused: dict[str, float] = {}

    async def take(self, key: str, rates: tuple[Rate, ...], now: float) -> float:
        current = [self._tats.get((key, rate), 0.0) for rate in rates]
        wait, updated = _gcra(current, rates, now)
        if wait == 0:
            self._tats.update({(key, rate): tat for rate, tat in zip(rates, updated, strict=True)})
        return wait

    async def pause(self, key: str, until: float) -> None:
        self._paused[key] = max(until, self._paused.get(key, 0.0))

    async def paused_until(self, key: str) -> float:
        return self._paused.get(key, 0.0)


_TAKE = """
local now = tonumber(ARGV[1])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local tolerance = tonumber(ARGV[2 * i + 1])
  local tat = math.max(tonumber(redis.call('GET', key) or '0'), now)
  wait = math.max(wait, tat - tolerance - now)
  tats[i] = tat + interval
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  local ttl = math.ceil(tats[i] - now) + 1
  redis.call('SET', key, tostring(tats[i]), 'EX', ttl)
end
return '0'
"""


class RedisBudgetStore:
    """The same budget for every process: one Lua script checks and takes all rates at once."""

    def __init__(self, redis: Redis, prefix: str = "interlink:budget") -> None:
        self.redis = redis
        self.prefix = prefix
        self._take = redis.register_script(_TAKE)

    async def take(self, key: str, rates: tuple[Rate, ...], now: float) -> float:
        keys = [f"{self.prefix}:{key}:{r.count}/{r.period_seconds}" for r in rates]
        args: list[float] = [now]
        for rate in rates:
            args += [rate.interval, rate.tolerance]
        return float(await self._take(keys=keys, args=args))

    async def pause(self, key: str, until: float) -> None:
        name = f"{self.prefix}:{key}:paused"
        current = float(await self.redis.get(name) or 0)
        if until > current:
            await self.redis.set(name, str(until), exat=int(until) + 1)

    async def paused_until(self, key: str) -> float:
        return float(await self.redis.get(f"{self.prefix}:{key}:paused") or 0)


class RateLimiter:
    """Takes budget for a call, waiting up to `max_wait` seconds for it; past that, refuses the
    call with RATE_LIMIT_EXCEEDED without touching the provider."""

    def __init__(self, store: BudgetStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._concurrency: dict[str, tuple[int, asyncio.Semaphore]] = {}

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def acquire(self, key: str, rates: tuple[Rate, ...], max_wait: float) -> None:
        deadline = self._now() + max_wait
        for _ in range(10_000):  # bounded: each pass either returns, raises or sleeps
            now = self._now()
            wait = await self.store.paused_until(key) - now
            if wait <= 0:
                wait = await self.store.take(key, rates, now) if rates else 0.0
                if wait <= 0:
                    return
            if now + wait > deadline:
                raise RateLimitExceeded(
                    f"The rate budget of this integration is spent; the next call may go in "
                    f"{wait:.1f} s (waited up to {max_wait:.0f} s)",
                    details=[{"retry_after_seconds": round(wait, 3)}],
                    headers={"Retry-After": str(max(1, round(wait)))},
                )
            await self.clock.sleep(wait)
        raise RateLimitExceeded("The rate budget of this integration stayed spent")

    async def pause(self, key: str, seconds: float) -> None:
        await self.store.pause(key, self._now() + seconds)

    def concurrency(self, key: str, limit: int) -> asyncio.Semaphore:
        """At most `limit` calls in flight for this integration, in this process."""
        known = self._concurrency.get(key)
        if known is None or known[0] != limit:
            known = (limit, asyncio.Semaphore(limit))
            self._concurrency[key] = known
        return known[1]
