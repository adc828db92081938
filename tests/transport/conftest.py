"""A scripted upstream on a real loopback socket, and a transport on a frozen clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from interlink.core.clock import FrozenClock
from interlink.transport.breaker import CircuitBreakers
from interlink.transport.client import CallSettings, ProviderClient, ProviderFacts, Transport
from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter
from interlink.transport.retry import RetryPolicy
from interlink.transport.ssrf import AddressPolicy

Reply = Callable[[web.Request], Any]


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
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    scripted.url = f"http://127.0.0.1:{port}"
    yield scripted
    await runner.cleanup()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def transport(clock: FrozenClock) -> AsyncIterator[Transport]:
    made = Transport(
        clock,
        RateLimiter(MemoryBudgetStore(), clock),
        CircuitBreakers(clock, threshold=3, cooldown=30),
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
