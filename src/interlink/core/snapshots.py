"""Rows the hot path needs on every call (API keys, integrations, credentials), kept in memory.

A snapshot lives at most `ttl_seconds`. When this process commits a change to a table a cache
watches, the database tells it (`Database.on_commit`) and it is emptied at once; a change made by
another process is seen when the snapshot expires. A read that raced a change is not kept: `put`
takes the generation seen before the read began.

`load` reads a missing snapshot once for all who want it at the same moment: when a busy key's
snapshot expires, fifty requests in flight make one read, not fifty.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from interlink.core.clock import Clock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SnapshotCache(Generic[K, V]):
    def __init__(self, clock: Clock, ttl_seconds: float, *, max_entries: int = 10_000) -> None:
        self.clock = clock
        self.ttl = timedelta(seconds=ttl_seconds)
        self.max_entries = max_entries
        self.generation = 0
        self._entries: OrderedDict[K, tuple[datetime, V]] = OrderedDict()
        self._reads: dict[K, asyncio.Future[V | None]] = {}  # reads under way, by key

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, value = found
        if self.clock.now() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, key: K, value: V, generation: int) -> None:
        """Keep `value`, read after `generation` was current, unless a change came since."""
        if generation != self.generation or self.ttl <= timedelta(0):
            return
        self._entries[key] = (self.clock.now() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def load(self, key: K, read: Callable[[], Awaitable[V | None]]) -> V | None:
        """The snapshot of `key`, else what `read` returns (kept unless None or raced by a
        change). Who asks while a read of the same key is under way, with no change since it
        began, waits for that read; if it fails, each reads on its own (and sees its error)."""
        found = self.get(key)
        if found is not None:
            return found
        shared = self._reads.get(key)
        if shared is not None:
            try:
                return await asyncio.shield(shared)
            except Exception:  # noqa: S110 - the reader saw the error; read on our own
                pass
            return await self._read(key, read, None)
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._reads[key] = future
        return await self._read(key, read, future)

    async def _read(
        self,
        key: K,
        read: Callable[[], Awaitable[V | None]],
        future: asyncio.Future[V | None] | None,
    ) -> V | None:
        generation = self.generation
        try:
            value = await read()
        except BaseException as exc:
            if future is not None:
                self._settle(key, future)
                future.set_exception(exc if isinstance(exc, Exception) else RuntimeError())
                future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        if value is not None:
            self.put(key, value, generation)
        if future is not None:
            self._settle(key, future)
            future.set_result(value)
        return value

    def _settle(self, key: K, future: asyncio.Future[V | None]) -> None:
        if self._reads.get(key) is future:
            del self._reads[key]

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
        self._reads.clear()  # a read begun before the change must not serve those who come after
