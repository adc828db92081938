"""The process's transport, from the settings: with INTERLINK_REDIS_URL the budgets and pauses,
the breakers and the concurrency slots live in Redis (shared by every process); else in memory."""

from __future__ import annotations

from aiohttp.abc import AbstractResolver
from redis.asyncio import Redis

from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.core.metrics import Metrics
from interlink.transport.breaker import Breakers, MemoryBreakers, RedisBreakers
from interlink.transport.client import Transport
from interlink.transport.ratelimit import (
    BudgetStore,
    MemoryBudgetStore,
    RateLimiter,
    RedisBudgetStore,
)
from interlink.transport.slots import MemorySlots, RedisSlots, Slots
from interlink.transport.ssrf import AddressPolicy


def build_transport(
    settings: Settings,
    clock: Clock,
    metrics: Metrics | None = None,
    resolver: AbstractResolver | None = None,
) -> Transport:
    """`resolver`: how provider names are resolved (DNS by default; tests inject answers)."""
    threshold = settings.transport.breaker_threshold
    cooldown = settings.transport.breaker_cooldown_seconds
    store: BudgetStore
    slots: Slots
    breakers: Breakers
    if settings.redis.url:
        redis = Redis.from_url(settings.redis.url)
        store, slots = RedisBudgetStore(redis), RedisSlots(redis, clock)
        breakers = RedisBreakers(redis, clock, threshold=threshold, cooldown=cooldown)
    else:
        store, slots = MemoryBudgetStore(), MemorySlots()
        breakers = MemoryBreakers(clock, threshold=threshold, cooldown=cooldown)
    policy = AddressPolicy(allow_private=settings.server.allow_private_urls, resolver=resolver)
    return Transport(clock, RateLimiter(store, clock, slots), breakers, policy, metrics)
