"""Rows the hot path needs on every call (API keys, integrations, credentials), kept in memory.

A snapshot lives at most `ttl_seconds`. When this process commits a change to a table a cache
watches, the database tells it (`Database.on_commit`) and it is emptied at once; a change made by
another process is seen when the snapshot expires. A read that raced a change is not kept: `put`
takes the generation seen before the read began.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
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

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
