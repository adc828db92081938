"""Concurrency slots: at most `max_concurrent_requests` calls of one integration in flight.

In memory, a slot is an `asyncio.Semaphore` of this process. In Redis, a slot is a lease: a
member of the sorted set `<prefix>:<integration id>`, scored by the time it expires. One Lua
script drops the expired leases and adds a new one if fewer than the limit remain, so a process
that dies holding slots gives them back when their leases run out; a call gives its slot back as
soon as it settles. A lease lasts as long as one attempt can (`hold`: the budget wait, then each
redirect hop at its timeout), so a live call never outlives its lease.

A caller that finds no free lease asks again after a short wait on the injected clock (growing
to `_POLL_MAX`). Callers of one process first queue on a local semaphore of the same size, so a
slot freed here goes to the next local caller at once; only a slot freed by another process is
noticed by polling.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Protocol

from redis.asyncio import Redis

from interlink.core.clock import Clock
from interlink.transport.unavailable import after_the_call, before_the_call

_POLL_FIRST = 0.005
_POLL_MAX = 0.05


class Slots(Protocol):
    def slot(self, key: str, limit: int, hold: float) -> AbstractAsyncContextManager[Any]:
        """Entered when one of the `limit` slots of `key` is free; left when the call settles."""


class MemorySlots:
    """One `asyncio.Semaphore` per integration, in this process (a changed limit starts anew)."""

    def __init__(self) -> None:
        self._semaphores: dict[str, tuple[int, asyncio.Semaphore]] = {}

    def slot(self, key: str, limit: int, hold: float) -> asyncio.Semaphore:
        known = self._semaphores.get(key)
        if known is None or known[0] != limit:
            known = (limit, asyncio.Semaphore(limit))
            self._semaphores[key] = known
        return known[1]


# KEYS[1] the leases; ARGV now, expires, limit, lease id, ttl in ms.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return 1
"""


class RedisSlots:
    """Slots shared by every process on one Redis: leases that expire."""

    def __init__(self, redis: Redis, clock: Clock, prefix: str = "interlink:slots") -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._local = MemorySlots()

    def slot(self, key: str, limit: int, hold: float) -> _Lease:
        return _Lease(self, key, limit, hold)

    async def acquire(self, key: str, limit: int, hold: float) -> str:
        """Waits for a lease of `hold` seconds on one of the `limit` slots; returns its id."""
        lease, delay = uuid.uuid4().hex, _POLL_FIRST
        while True:
            now = self.clock.now().timestamp()
            args: list[float | str] = [now, now + hold, limit, lease, int(hold * 1000) + 1000]
            with before_the_call():
                taken = await self._acquire(keys=[f"{self.prefix}:{key}"], args=args)
            if taken:
                return lease
            await self.clock.sleep(delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
            delay = min(delay * 2, _POLL_MAX)

    async def release(self, key: str, lease: str) -> None:
        with after_the_call("release_slot"):  # else the lease runs out by itself
            await self.redis.zrem(f"{self.prefix}:{key}", lease)


class _Lease:
    def __init__(self, slots: RedisSlots, key: str, limit: int, hold: float) -> None:
        self.slots, self.key, self.limit, self.hold = slots, key, limit, hold
        self.local = slots._local.slot(key, limit, hold)
        self.lease: str | None = None

    async def __aenter__(self) -> _Lease:
        await self.local.acquire()
        try:
            self.lease = await self.slots.acquire(self.key, self.limit, self.hold)
        except BaseException:
            self.local.release()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.lease is not None:
                # Shielded: a cancelled call still gives its slot back (else its lease expires).
                await asyncio.shield(self.slots.release(self.key, self.lease))
        finally:
            self.local.release()
