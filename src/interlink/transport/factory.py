"""The process's transport, from the settings: budgets in Redis when configured, else in memory."""

from __future__ import annotations

from redis.asyncio import Redis

from interlink.config import Settings
from interlink.core.clock import Clock
from interlink.transport.breaker import CircuitBreakers
from interlink.transport.client import Transport
from interlink.transport.ratelimit import (
    BudgetStore,
    MemoryBudgetStore,
    RateLimiter,
    RedisBudgetStore,
)
from interlink.transport.ssrf import AddressPolicy


def build_transport(settings: Settings, clock: Clock) -> Transport:
    store: BudgetStore = (
        RedisBudgetStore(Redis.from_url(settings.redis.url))
        if settings.redis.url
        else MemoryBudgetStore()
    )
    breakers = CircuitBreakers(
        clock,
        threshold=settings.transport.breaker_threshold,
        cooldown=settings.transport.breaker_cooldown_seconds,
    )
    policy = AddressPolicy(allow_private=settings.server.allow_private_urls)
    return Transport(clock, RateLimiter(store, clock), breakers, policy)
