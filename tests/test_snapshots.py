"""SnapshotCache: entries expire with the clock, a clear drops them, and a read that raced a
change is not kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from interlink.core.clock import FrozenClock
from interlink.core.snapshots import SnapshotCache


def _cache(ttl: float = 5.0, **kwargs: int) -> tuple[SnapshotCache[str, int], FrozenClock]:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    return SnapshotCache(clock, ttl, **kwargs), clock


def test_a_snapshot_is_kept_until_its_time_runs_out() -> None:
    cache, clock = _cache()
    cache.put("a", 1, cache.generation)

    clock.advance(4.9)
    assert cache.get("a") == 1
    clock.advance(0.1)
    assert cache.get("a") is None


def test_clear_drops_every_snapshot() -> None:
    cache, _ = _cache()
    cache.put("a", 1, cache.generation)

    cache.clear()

    assert cache.get("a") is None


def test_a_read_that_began_before_a_change_is_not_kept() -> None:
    cache, _ = _cache()
    seen_before_read = cache.generation
    cache.clear()  # a change committed while the read was under way

    cache.put("a", 1, seen_before_read)

    assert cache.get("a") is None


def test_a_time_to_live_of_zero_keeps_nothing() -> None:
    cache, _ = _cache(ttl=0)
    cache.put("a", 1, cache.generation)
    assert cache.get("a") is None


def test_the_oldest_snapshot_goes_first_when_full() -> None:
    cache, _ = _cache(max_entries=2)
    for key, value in (("a", 1), ("b", 2), ("c", 3)):
        cache.put(key, value, cache.generation)

    assert [cache.get(k) for k in ("a", "b", "c")] == [None, 2, 3]


async def test_readers_of_a_missing_snapshot_at_the_same_moment_share_one_read() -> None:
    cache, _ = _cache()
    reads, gate = [], asyncio.Event()

    async def read() -> int:
        reads.append(1)
        await gate.wait()
        return 7

    waiting = [asyncio.create_task(cache.load("a", read)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()

    assert await asyncio.gather(*waiting) == [7] * 5
    assert len(reads) == 1
    assert cache.get("a") == 7


async def test_a_failed_shared_read_lets_each_waiter_read_on_its_own() -> None:
    cache, _ = _cache()
    gate, calls = asyncio.Event(), []

    async def read() -> int:
        calls.append(1)
        if len(calls) == 1:
            await gate.wait()
            raise LookupError("first read fails")
        return 3

    first = asyncio.create_task(cache.load("a", read))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.load("a", read))
    await asyncio.sleep(0)
    gate.set()

    with pytest.raises(LookupError):
        await first
    assert await second == 3


async def test_who_comes_after_a_change_does_not_wait_for_a_read_begun_before_it() -> None:
    cache, _ = _cache()
    gate, values = asyncio.Event(), iter([1, 2])

    async def slow() -> int:
        await gate.wait()
        return next(values)

    async def fast() -> int:
        return next(values)

    before = asyncio.create_task(cache.load("a", slow))
    await asyncio.sleep(0)
    cache.clear()  # a change committed while the first read was under way
    after = await cache.load("a", fast)
    gate.set()

    assert after == 1  # its own read, not the one begun before the change
    assert await before == 2
    assert cache.get("a") == 1  # the read begun before the change was not kept
