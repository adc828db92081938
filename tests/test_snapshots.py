"""SnapshotCache: entries expire with the clock, a clear drops them, and a read that raced a
change is not kept."""

from __future__ import annotations

from datetime import UTC, datetime

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
