"""Proactive rate limits: a call takes budget before it leaves; the provider need not say 429.

Each integration has rates (N calls per period, from its configuration) kept as GCRA state (one
"theoretical arrival time" per rate), and pauses learned from the provider's own answers
(`X-RateLimit-Remaining: 0` until the reset, or a 429's Retry-After). A pause holds the whole
integration, or, for a provider that counts per route bucket (Discord, `buckets.py`), only the
routes of one bucket. A call asks for every rate at once: either all grant, or none is consumed
and the answer is how long to wait.

A language model's provider also counts tokens (OpenAI's `x-ratelimit-remaining-tokens`): the
token window it last reported is kept beside the pauses (`TokenBudget`), and a call that declares
the tokens it will use waits for the window's reset while they are more than what is left (each
granted call takes its tokens off until the provider's next answer says the truth again). A
provider that counts the answer's tokens apart (Anthropic's output tokens, which it estimates from
`max_tokens` before the call) has a second window, `output_tokens`, held the same way against
what a call declares as its `output_tokens`: a call waits while either window cannot hold it.

The state lives in memory (one process) or in Redis (every process shares one budget). The
`limits` library was not used: its clock cannot be injected, and a call here needs to know when
it may go, not only that it may not.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

from redis.asyncio import Redis

from interlink.core.clock import Clock
from interlink.core.errors import RateLimitExceeded
from interlink.transport.buckets import Route
from interlink.transport.headers import TOKEN_WINDOWS, TokenWindow
from interlink.transport.slots import MemorySlots, Slots
from interlink.transport.unavailable import after_the_call, before_the_call

_ROUTE_TTL = 86_400  # seconds a learned route -> bucket mapping is kept in Redis
_PRUNE_AT = 1024  # memory: past this many pauses, forget the ended ones


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


@dataclass(frozen=True)
class TokenBudget:
    """The provider's token window as it last said: tokens left until `reset_at`."""

    remaining: float
    reset_at: float  # unix seconds
    limit: float | None = None

    def wait(self, tokens: int, now: float) -> float:
        """Seconds until `tokens` fit (0: now; infinite: more than the whole window holds)."""
        if tokens <= 0 or self.reset_at <= now or tokens <= self.remaining:
            return 0.0
        if self.limit is not None and tokens > self.limit:
            return math.inf
        return self.reset_at - now


def _needs(tokens: int, output_tokens: int) -> tuple[tuple[TokenWindow, int], ...]:
    """The windows a call takes from, with how much of each."""
    return tuple(
        (window, need)
        for window, need in zip(TOKEN_WINDOWS, (tokens, output_tokens), strict=True)
        if need > 0
    )


class BudgetStore(Protocol):
    async def take(
        self,
        key: str,
        rates: tuple[Rate, ...],
        now: float,
        route: Route | None = None,
        tokens: int = 0,
        output_tokens: int = 0,
    ) -> float:
        """0 when no pause holds the call, its `tokens` fit the token window, its
        `output_tokens` the output window, and every rate granted it (and it is counted, its
        tokens taken off); else seconds to wait (infinite when its tokens are more than a
        window's limit). A `route` is also held by the pause of the bucket it was learned in."""

    async def pause(
        self, key: str, until: float, now: float, bucket: tuple[Route, str] | None = None
    ) -> None:
        """Holds the integration (or, with `bucket`, that route's bucket) until `until`."""

    async def learn_bucket(self, key: str, route: Route, bucket: str) -> None:
        """The provider said `route` counts against `bucket`."""

    async def learn_tokens(
        self, key: str, budget: TokenBudget, now: float, window: TokenWindow = "tokens"
    ) -> None:
        """The provider said how many tokens its `window` has left: kept until its reset."""

    async def tokens(
        self, key: str, now: float, window: TokenWindow = "tokens"
    ) -> TokenBudget | None:
        """The token `window` as last kept, while it has not reset."""


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
        self._paused: dict[str, float] = {}  # integration key, or "key bucket major"
        self._routes: dict[tuple[str, str], str] = {}  # (key, route template) -> bucket
        self._tokens: dict[tuple[str, TokenWindow], TokenBudget] = {}

    async def take(
        self,
        key: str,
        rates: tuple[Rate, ...],
        now: float,
        route: Route | None = None,
        tokens: int = 0,
        output_tokens: int = 0,
    ) -> float:
        paused = self._paused.get(key, 0.0)
        if route is not None:
            bucket = self._routes.get((key, route.template))
            if bucket is not None:
                paused = max(paused, self._paused.get(f"{key} {bucket} {route.major}", 0.0))
        if paused > now:
            return paused - now
        held = [
            (window, need, budget)
            for window, need in _needs(tokens, output_tokens)
            if (budget := await self.tokens(key, now, window)) is not None
        ]
        token_wait = max((budget.wait(need, now) for _, need, budget in held), default=0.0)
        if token_wait > 0:
            return token_wait
        current = [self._tats.get((key, rate), 0.0) for rate in rates]
        wait, updated = _gcra(current, rates, now)
        if wait == 0:
            self._tats.update({(key, rate): tat for rate, tat in zip(rates, updated, strict=True)})
            for window, need, budget in held:
                self._tokens[(key, window)] = replace(budget, remaining=budget.remaining - need)
        return wait

    async def pause(
        self, key: str, until: float, now: float, bucket: tuple[Route, str] | None = None
    ) -> None:
        name = key
        if bucket is not None:
            route, bucket_name = bucket
            self._routes[(key, route.template)] = bucket_name
            name = f"{key} {bucket_name} {route.major}"
        self._paused[name] = max(until, self._paused.get(name, 0.0))
        if len(self._paused) > _PRUNE_AT:
            self._paused = {k: v for k, v in self._paused.items() if v > now}

    async def learn_bucket(self, key: str, route: Route, bucket: str) -> None:
        self._routes[(key, route.template)] = bucket

    async def learn_tokens(
        self, key: str, budget: TokenBudget, now: float, window: TokenWindow = "tokens"
    ) -> None:
        self._tokens[(key, window)] = budget

    async def tokens(
        self, key: str, now: float, window: TokenWindow = "tokens"
    ) -> TokenBudget | None:
        budget = self._tokens.get((key, window))
        return budget if budget is not None and budget.reset_at > now else None


# KEYS[1] the pause, KEYS[2] the token window, KEYS[3] the output-token window, KEYS[4] the
# route's mapping (with a route), then one per rate; ARGV now, the bucket pauses' prefix (or ''),
# the route's major, the call's tokens, its output tokens, then each rate's interval and
# tolerance.
_TAKE = """
local now = tonumber(ARGV[1])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
local first = 4
if ARGV[2] ~= '' then
  first = 5
  local bucket = redis.call('GET', KEYS[4])
  if bucket then
    local held = redis.call('GET', ARGV[2] .. bucket .. ':' .. ARGV[3])
    paused = math.max(paused, tonumber(held or '0'))
  end
end
if paused > now then return tostring(paused - now) end
local counted = {}
local hold = 0
for w = 1, 2 do
  local need = tonumber(ARGV[3 + w])
  if need > 0 then
    local window = redis.call('HMGET', KEYS[1 + w], 'remaining', 'reset', 'limit')
    local reset = tonumber(window[2] or '0')
    if reset > now then
      local limit = tonumber(window[3] or '-1')
      if limit >= 0 and need > limit then return 'inf' end
      if need > tonumber(window[1]) then
        hold = math.max(hold, reset - now)
      else
        counted[w] = need
      end
    end
  end
end
if hold > 0 then return tostring(hold) end
local wait = 0
local tats = {}
for i = first, #KEYS do
  local n = i - first + 1
  local interval = tonumber(ARGV[4 + 2 * n])
  local tolerance = tonumber(ARGV[5 + 2 * n])
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or '0'), now)
  wait = math.max(wait, tat - tolerance - now)
  tats[i] = tat + interval
end
if wait > 0 then return tostring(wait) end
for i = first, #KEYS do
  local ttl = math.ceil(tats[i] - now) + 1
  redis.call('SET', KEYS[i], tostring(tats[i]), 'EX', ttl)
end
for w, need in pairs(counted) do redis.call('HINCRBYFLOAT', KEYS[1 + w], 'remaining', -need) end
return '0'
"""

# KEYS[1] the pause, KEYS[2] the route's mapping (with a bucket); ARGV until, now, bucket.
# A pause only grows; it expires (relative to the caller's clock) once it no longer holds.
_PAUSE = """
local ends, now = tonumber(ARGV[1]), tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if ends > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', math.ceil((ends - now) * 1000) + 1000)
end
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[3], 'EX', math.max(tonumber(ARGV[4]), math.ceil(ends - now)))
end
"""


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


class RedisBudgetStore:
    """The same budget for every process: one Lua script checks the pauses and takes all rates
    at once; another grows a pause."""

    def __init__(self, redis: Redis, prefix: str = "interlink:budget") -> None:
        self.redis = redis
        self.prefix = prefix
        self._take = redis.register_script(_TAKE)
        self._pause = redis.register_script(_PAUSE)

    def _route_key(self, key: str, route: Route) -> str:
        return f"{self.prefix}:{key}:route:{_digest(route.template)}"

    def _tokens_key(self, key: str, window: TokenWindow) -> str:
        return f"{self.prefix}:{key}:{'tokens' if window == 'tokens' else 'output-tokens'}"

    async def take(
        self,
        key: str,
        rates: tuple[Rate, ...],
        now: float,
        route: Route | None = None,
        tokens: int = 0,
        output_tokens: int = 0,
    ) -> float:
        keys = [f"{self.prefix}:{key}:paused"]
        keys += [self._tokens_key(key, window) for window in TOKEN_WINDOWS]
        args: list[float | str] = [now, "", "", tokens, output_tokens]
        if route is not None:
            keys.append(self._route_key(key, route))
            args[1:3] = [f"{self.prefix}:{key}:paused:", route.major]
        keys += [f"{self.prefix}:{key}:{r.count}/{r.period_seconds}" for r in rates]
        for rate in rates:
            args += [rate.interval, rate.tolerance]
        with before_the_call():
            return float(await self._take(keys=keys, args=args))

    async def pause(
        self, key: str, until: float, now: float, bucket: tuple[Route, str] | None = None
    ) -> None:
        keys = [f"{self.prefix}:{key}:paused"]
        args: list[float | str] = [until, now]
        if bucket is not None:
            route, name = bucket
            keys = [f"{keys[0]}:{name}:{route.major}", self._route_key(key, route)]
            args += [name, _ROUTE_TTL]
        with after_the_call("pause"):
            await self._pause(keys=keys, args=args)

    async def learn_bucket(self, key: str, route: Route, bucket: str) -> None:
        with after_the_call("learn_bucket"):
            await self.redis.set(self._route_key(key, route), bucket, ex=_ROUTE_TTL)

    async def learn_tokens(
        self, key: str, budget: TokenBudget, now: float, window: TokenWindow = "tokens"
    ) -> None:
        said = {"remaining": budget.remaining, "reset": budget.reset_at}
        said["limit"] = -1 if budget.limit is None else budget.limit
        name = self._tokens_key(key, window)
        with after_the_call("learn_tokens"):
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(name, mapping=said)
                pipe.pexpire(name, math.ceil((budget.reset_at - now) * 1000) + 1000)
                await pipe.execute()

    async def tokens(
        self, key: str, now: float, window: TokenWindow = "tokens"
    ) -> TokenBudget | None:
        with before_the_call():
            fields = ["remaining", "reset", "limit"]
            asked = self.redis.hmget(self._tokens_key(key, window), fields)
            found = await cast(Awaitable[list[bytes | None]], asked)  # typed for both clients
        remaining, reset, limit = (None if value is None else float(value) for value in found)
        if remaining is None or reset is None or reset <= now:
            return None
        return TokenBudget(remaining, reset, None if limit is None or limit < 0 else limit)


_WINDOW_WORDS: dict[TokenWindow, tuple[str, str]] = {
    "tokens": ("needs about {n} tokens", "token"),
    "output_tokens": ("may write up to {n} tokens (its max_tokens)", "output-token"),
}


def _token_refusal(
    window: TokenWindow, need: int, budget: TokenBudget, wait: float, max_wait: float
) -> RateLimitExceeded:
    asks, name = _WINDOW_WORDS[window]
    prefix = "tokens" if window == "tokens" else "output_tokens"
    seen = {f"{prefix}_needed": need, f"{prefix}_remaining": max(0, int(budget.remaining))}
    if math.isinf(wait):
        return RateLimitExceeded(
            f"This call {asks.format(n=need)}, more than the provider's {name} limit of "
            f"{budget.limit:.0f} per window",
            details=[{**seen, f"{prefix[:-1]}_limit": budget.limit}],
        )
    return RateLimitExceeded(
        f"This call {asks.format(n=need)} and the provider's {name} budget has "
        f"{seen[f'{prefix}_remaining']} left; it resets in {wait:.1f} s (waited up to "
        f"{max_wait:.0f} s)",
        details=[{**seen, "retry_after_seconds": round(wait, 3)}],
        headers={"Retry-After": str(max(1, round(wait)))},
    )


class RateLimiter:
    """Takes budget for a call, waiting up to `max_wait` seconds for it; past that, refuses the
    call with RATE_LIMIT_EXCEEDED without touching the provider. Also hands out the
    integration's concurrency slots (`slots.py`)."""

    def __init__(self, store: BudgetStore, clock: Clock, slots: Slots | None = None) -> None:
        self.store = store
        self.clock = clock
        self.slots: Slots = slots if slots is not None else MemorySlots()
        self._buckets: dict[tuple[str, str], str] = {}  # what this process told the store

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def acquire(
        self,
        key: str,
        rates: tuple[Rate, ...],
        max_wait: float,
        route: Route | None = None,
        tokens: int = 0,
        output_tokens: int = 0,
    ) -> float:
        """Returns the seconds slept for budget (0 when it granted the call at once). `tokens`:
        what the call declares it will use of the provider's token window; `output_tokens`, of
        its output-token window (the answer's `max_tokens`, where the provider counts it apart)."""
        deadline, slept = self._now() + max_wait, 0.0
        for _ in range(10_000):  # bounded: each pass either returns, raises or sleeps
            now = self._now()
            wait = await self.store.take(key, rates, now, route, tokens, output_tokens)
            if wait <= 0:
                return slept
            if now + wait > deadline:
                needs = _needs(tokens, output_tokens)
                raise await self._refusal(key, needs, wait, max_wait, now)
            await self.clock.sleep(wait)
            slept += wait
        raise RateLimitExceeded("The rate budget of this integration stayed spent")

    async def _refusal(
        self,
        key: str,
        needs: tuple[tuple[TokenWindow, int], ...],
        wait: float,
        max_wait: float,
        now: float,
    ) -> RateLimitExceeded:
        """Why the call may not go: the token window that holds it longest, else the rates."""
        holding = [
            (budget.wait(need, now), window, need, budget)
            for window, need in needs
            if (budget := await self.store.tokens(key, now, window)) is not None
            and budget.wait(need, now) > 0
        ]
        if not holding:
            return RateLimitExceeded(
                f"The rate budget of this integration is spent; the next call may go in "
                f"{wait:.1f} s (waited up to {max_wait:.0f} s)",
                details=[{"retry_after_seconds": round(wait, 3)}],
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        _, window, need, budget = max(holding, key=lambda held: held[0])
        return _token_refusal(window, need, budget, wait, max_wait)

    async def pause(
        self, key: str, seconds: float, route: Route | None = None, bucket: str | None = None
    ) -> None:
        """Pauses the integration; with a route and its bucket, only that bucket (for the
        route's top-level resource)."""
        now = self._now()
        scope = None
        if route is not None and bucket is not None:
            scope = (route, bucket)
            self._buckets[(key, route.template)] = bucket
        await self.store.pause(key, now + seconds, now, scope)

    def bucket_of(self, key: str, route: Route) -> str | None:
        """The bucket this process last learned for the route."""
        return self._buckets.get((key, route.template))

    async def learn_bucket(self, key: str, route: Route, bucket: str) -> None:
        self._buckets[(key, route.template)] = bucket
        await self.store.learn_bucket(key, route, bucket)

    async def learn_tokens(
        self, key: str, budget: TokenBudget, window: TokenWindow = "tokens"
    ) -> None:
        """The provider's token `window`, as its answer said."""
        now = self._now()
        if budget.reset_at > now:
            await self.store.learn_tokens(key, budget, now, window)

    def concurrency(self, key: str, limit: int, hold: float) -> AbstractAsyncContextManager[Any]:
        """At most `limit` calls in flight for this integration (in this process, or in every
        process sharing the slots); a slot is held at most `hold` seconds."""
        return self.slots.slot(key, limit, hold)
