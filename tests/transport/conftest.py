"""A scripted upstream on a real loopback socket, and a transport on a frozen clock; with
INTERLINK_TEST_REDIS_URL, transports that share one Redis like the processes of one deployment."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from redis.asyncio import Redis

from interlink.core.clock import FrozenClock
from interlink.transport.breaker import MemoryBreakers, RedisBreakers
from interlink.transport.client import CallSettings, ProviderClient, ProviderFacts, Transport
from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter, RedisBudgetStore
from interlink.transport.retry import RetryPolicy
from interlink.transport.slots import RedisSlots
from interlink.transport.ssrf import AddressPolicy
from tests.conftest import REDIS_URL
from tests.helpers.servers import serve_app

Reply = Callable[[web.Request], Any]


class ScriptedDns(AbstractResolver):
    """DNS answers chosen by the test, the resolver seam of `AddressPolicy`/`create_app`: each
    name answers its scripted lists in turn (the last one again once they run out), so a test
    can make a name rebind between two lookups. `asked` counts the lookups of each name."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: dict[str, int] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        turn = self.asked.get(host, 0)
        self.asked[host] = turn + 1
        if host not in self.answers:
            raise OSError(f"{host} does not resolve here")
        scripted = self.answers[host]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=0,
            )
            for address in scripted[min(turn, len(scripted) - 1)]
        ]

    async def close(self) -> None:
        return None


@dataclass
class Upstream:
    """Answers each request with the next scripted reply (or 200 {"ok": true} when none is left)
    and records what it was sent."""

    url: str = ""
    replies: list[Reply] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "body": await request.read(),
            }
        )
        if not self.replies:
            return web.json_response({"ok": True})
        reply = self.replies.pop(0)
        result = reply(request)
        return await result if asyncio.iscoroutine(result) else result


def redirect(location: str) -> Reply:
    return lambda _: web.Response(status=302, headers={"Location": location})


def status(code: int, body: Any = None, **headers: str) -> Reply:
    return lambda _: web.json_response(body or {"status": code}, status=code, headers=headers)


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    scripted = Upstream()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", scripted.handle)
    async with serve_app(app) as url:
        scripted.url = url
        yield scripted


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def transport(clock: FrozenClock) -> AsyncIterator[Transport]:
    made = Transport(
        clock,
        RateLimiter(MemoryBudgetStore(), clock),
        MemoryBreakers(clock, threshold=3, cooldown=30),
        AddressPolicy(allow_private=True),
    )
    yield made
    await made.close()


@pytest.fixture
def make_client(transport: Transport, upstream: Upstream) -> Callable[..., ProviderClient]:
    def make(facts: ProviderFacts | None = None, **settings: Any) -> ProviderClient:
        settings.setdefault("retry", RetryPolicy(max_retries=2, base_delay=1, max_delay=8))
        call = CallSettings(base_url=upstream.url, **settings)
        return transport.client(
            "int_1", call, facts or ProviderFacts(), {"Authorization": "Bearer t"}
        )

    return make


class SharedRedis:
    """Builds transports that share one Redis under a prefix of their own, as the processes of
    one deployment do; each `transport()` is one such process. Closed and cleaned by the
    fixture."""

    def __init__(self, redis: Redis, clock: FrozenClock) -> None:
        self.redis = redis
        self.clock = clock
        self.prefix = f"test-{uuid.uuid4().hex[:12]}"
        self.transports: list[Transport] = []

    def slots(self) -> RedisSlots:
        return RedisSlots(self.redis, self.clock, f"{self.prefix}:slots")

    def transport(self, *, threshold: int = 3, cooldown: float = 30) -> Transport:
        clock, prefix = self.clock, self.prefix
        limiter = RateLimiter(RedisBudgetStore(self.redis, f"{prefix}:budget"), clock, self.slots())
        breakers = RedisBreakers(
            self.redis, clock, threshold=threshold, cooldown=cooldown, prefix=f"{prefix}:breaker"
        )
        made = Transport(clock, limiter, breakers, AddressPolicy(allow_private=True))
        self.transports.append(made)
        return made

    async def close(self) -> None:
        for made in self.transports:
            await made.close()
        keys = [key async for key in self.redis.scan_iter(f"{self.prefix}:*")]
        if keys:
            await self.redis.delete(*keys)
        await self.redis.aclose()


@pytest.fixture
async def shared(clock: FrozenClock) -> AsyncIterator[SharedRedis]:
    if not REDIS_URL:
        pytest.skip("INTERLINK_TEST_REDIS_URL is not set: the Redis run is skipped")
    made = SharedRedis(Redis.from_url(REDIS_URL), clock)
    yield made
    await made.close()


def client_of(
    transport: Transport,
    upstream_url: str,
    facts: ProviderFacts | None = None,
    auth: dict[str, str] | None = None,
    **settings: Any,
) -> ProviderClient:
    """A client of integration `int_1` on `transport`, retrying twice unless told otherwise."""
    settings.setdefault("retry", RetryPolicy(max_retries=2, base_delay=1, max_delay=8))
    call = CallSettings(base_url=upstream_url, **settings)
    return transport.client("int_1", call, facts or ProviderFacts(), auth or {})
