"""ProviderClient against a real loopback upstream: retries, budgets, breaker, redirects, errors."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from interlink.core.clock import FrozenClock
from interlink.core.errors import (
    CircuitOpen,
    ExternalResourceNotFound,
    ExternalServiceError,
    ExternalServiceTimeout,
    InvalidCredentials,
    InvalidOperation,
    RateLimitExceeded,
    UrlNotAllowed,
)
from interlink.transport.client import (
    CallLabels,
    CallSettings,
    ProviderClient,
    ProviderFacts,
    Transport,
)
from interlink.transport.pool import SessionOptions
from interlink.transport.ratelimit import Rate
from interlink.transport.retry import RetryPolicy
from tests.conftest import REDIS_URL
from tests.transport.conftest import Upstream, redirect, status

MakeClient = Callable[..., ProviderClient]


async def test_a_call_carries_auth_and_returns_the_answer(
    make_client: MakeClient, upstream: Upstream
) -> None:
    client = make_client(default_headers={"Accept": "application/json"})

    response = await client.get("/repos/a/b", params={"x": "1"})

    assert response.status == 200
    assert response.json() == {"ok": True}
    sent = upstream.seen[0]
    assert sent["headers"]["Authorization"] == "Bearer t"
    assert sent["headers"]["Accept"] == "application/json"
    assert sent["headers"]["User-Agent"].startswith("Interlink")


async def test_5xx_is_retried_with_backoff_then_succeeds(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(503), status(502))

    response = await make_client().get("/flaky")

    assert response.status == 200
    assert len(upstream.seen) == 3
    assert len(clock.sleeps) == 2
    assert 0 <= clock.sleeps[0] <= 1  # full jitter under the cap
    assert 0 <= clock.sleeps[1] <= 2


async def test_retries_stop_at_max_retries(make_client: MakeClient, upstream: Upstream) -> None:
    upstream.script(status(500), status(500), status(500), status(500))

    with pytest.raises(ExternalServiceError) as raised:
        await make_client().get("/down")

    assert len(upstream.seen) == 3
    assert raised.value.details[0]["provider_status"] == 500


async def test_an_unsafe_post_is_not_retried(make_client: MakeClient, upstream: Upstream) -> None:
    upstream.script(status(500), status(200))

    with pytest.raises(ExternalServiceError):
        await make_client().post("/charges", json={"amount": 1})

    assert len(upstream.seen) == 1


async def test_a_post_with_an_idempotency_key_is_retried_with_the_same_key(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(status(500))

    await make_client().post("/charges", json={"amount": 1}, idempotency_key="op_1:charge")

    assert [s["headers"]["Idempotency-Key"] for s in upstream.seen] == ["op_1:charge"] * 2


async def test_429_pauses_for_retry_after_then_retries(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(429, **{"Retry-After": "7"}))

    response = await make_client().get("/limited")

    assert response.status == 200
    assert clock.sleeps == [7.0]


async def test_a_retry_after_longer_than_allowed_fails_at_once(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(status(429, **{"Retry-After": "3600"}))

    with pytest.raises(RateLimitExceeded):
        await make_client(retry=RetryPolicy(max_hint=60)).get("/limited")

    assert len(upstream.seen) == 1


async def test_remaining_zero_pauses_the_next_calls_until_the_reset(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    reset = int(clock.now().timestamp()) + 30
    upstream.script(
        status(200, {"n": 1}, **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    )
    client = make_client(max_wait=60)

    await client.get("/a")
    await client.get("/b")

    assert clock.sleeps == [30.0]
    assert len(upstream.seen) == 2


async def test_when_the_wait_is_too_long_the_call_fails_without_reaching_the_provider(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock, transport: Transport
) -> None:
    reset = int(clock.now().timestamp()) + 300
    upstream.script(
        status(200, **{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset": str(reset)})
    )  # fmt: skip
    client = make_client(max_wait=5)
    await client.get("/a")

    with pytest.raises(RateLimitExceeded) as raised:
        await client.get("/b")

    assert len(upstream.seen) == 1
    assert raised.value.headers["Retry-After"] == "300"
    assert transport.observed["int_1"].describe() == "0/5000 remaining"


async def test_the_configured_budget_is_kept_before_the_provider_is_asked(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    strict = make_client(rates=(Rate(2, 60),), max_wait=0)
    for _ in range(2):
        await strict.get("/x")

    with pytest.raises(RateLimitExceeded):
        await strict.get("/x")
    assert len(upstream.seen) == 2

    patient = make_client(rates=(Rate(2, 60),), max_wait=60)
    await patient.get("/x")
    assert clock.sleeps == [30.0]  # one call's share of the minute
    assert len(upstream.seen) == 3


async def test_the_breaker_opens_after_failures_and_lets_one_probe_through_later(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    client = make_client(retry=RetryPolicy(max_retries=0))
    upstream.script(status(500), status(500), status(500))
    for _ in range(3):
        with pytest.raises(ExternalServiceError):
            await client.get("/x")

    with pytest.raises(CircuitOpen):
        await client.get("/x")
    assert len(upstream.seen) == 3

    clock.advance(30)
    await client.get("/x")  # the probe succeeds and closes the circuit
    await client.get("/x")
    assert len(upstream.seen) == 5


async def test_provider_errors_keep_the_providers_message(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(status(404, {"message": "Not Found", "documentation_url": "https://x"}))

    with pytest.raises(ExternalResourceNotFound) as raised:
        await make_client().get("/repos/nope/nope")

    assert raised.value.details == [{"provider_status": 404, "provider_message": "Not Found"}]
    assert "Not Found" in raised.value.message


async def test_garbage_is_an_external_service_error(
    make_client: MakeClient, upstream: Upstream
) -> None:
    upstream.script(lambda _: web.Response(text="<html>oops", content_type="text/html"))
    response = await make_client().get("/x")

    with pytest.raises(ExternalServiceError):
        response.json()


async def test_a_dropped_connection_is_retried_then_reported(
    make_client: MakeClient, upstream: Upstream
) -> None:
    def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    upstream.script(*[drop] * 10)  # aiohttp itself retries a dropped pooled connection once

    with pytest.raises(ExternalServiceError, match="could not be reached"):
        await make_client().get("/x")
    assert len(upstream.seen) >= 3


async def test_a_slow_provider_times_out(make_client: MakeClient, upstream: Upstream) -> None:
    never = asyncio.Event()

    async def hang(_: web.Request) -> web.Response:
        await asyncio.wait_for(never.wait(), timeout=5)
        return web.Response()

    upstream.script(hang)
    client = make_client(
        session=SessionOptions(total_timeout=0.2), retry=RetryPolicy(max_retries=0)
    )

    with pytest.raises(ExternalServiceTimeout):
        await client.get("/slow")


async def test_redirects_are_followed_and_checked(
    make_client: MakeClient, upstream: Upstream
) -> None:
    other_host = upstream.url.replace("127.0.0.1", "localhost")
    upstream.script(
        redirect(f"{other_host}/landing"),
        status(200),
        redirect("http://169.254.169.254/latest/meta-data/"),
    )
    client = make_client()

    landed = await client.get("/start")
    with pytest.raises(UrlNotAllowed, match="cloud metadata"):
        await client.get("/start-again")

    assert landed.status == 200
    assert upstream.seen[1]["path"] == "/landing"
    assert "Authorization" not in upstream.seen[1]["headers"]  # another host gets no credentials


async def test_a_loopback_provider_is_refused_unless_allowed(
    upstream: Upstream, clock: FrozenClock
) -> None:
    from interlink.transport.breaker import MemoryBreakers
    from interlink.transport.client import CallSettings, ProviderFacts
    from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter
    from interlink.transport.ssrf import AddressPolicy

    strict = Transport(
        clock, RateLimiter(MemoryBudgetStore(), clock), MemoryBreakers(clock),
        AddressPolicy(allow_private=False),
    )  # fmt: skip
    client = strict.client("int_1", CallSettings(base_url=upstream.url), ProviderFacts(), {})
    try:
        with pytest.raises(UrlNotAllowed, match="INTERLINK_ALLOW_PRIVATE_URLS"):
            await client.get("/x")
    finally:
        await strict.close()
    assert upstream.seen == []


@pytest.mark.redis
async def test_two_processes_share_one_budget_through_redis(
    upstream: Upstream, clock: FrozenClock
) -> None:
    if not REDIS_URL:
        pytest.skip("INTERLINK_TEST_REDIS_URL is not set: the Redis run is skipped")
    from redis.asyncio import Redis

    from interlink.transport.breaker import MemoryBreakers
    from interlink.transport.client import CallSettings, ProviderFacts
    from interlink.transport.ratelimit import RateLimiter, RedisBudgetStore
    from interlink.transport.ssrf import AddressPolicy

    redis = Redis.from_url(REDIS_URL)
    prefix = f"test-budget-{os.getpid()}-{id(upstream)}"
    transports = [
        Transport(
            clock, RateLimiter(RedisBudgetStore(redis, prefix), clock), MemoryBreakers(clock),
            AddressPolicy(allow_private=True),
        )
        for _ in range(2)
    ]  # fmt: skip
    settings: dict[str, Any] = {"base_url": upstream.url, "rates": (Rate(2, 60),), "max_wait": 0}
    first, second = (
        t.client("int_shared", CallSettings(**settings), ProviderFacts(), {}) for t in transports
    )
    try:
        await first.get("/x")
        await second.get("/x")
        with pytest.raises(RateLimitExceeded):
            await first.get("/x")
        with pytest.raises(RateLimitExceeded):
            await second.get("/x")
    finally:
        for transport in transports:
            await transport.close()
        keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()
    assert len(upstream.seen) == 2


async def test_a_large_answer_is_read_whole(make_client: MakeClient, upstream: Upstream) -> None:
    items = [{"n": n, "text": "x" * 100} for n in range(20_000)]  # about 2.4 MB
    upstream.script(lambda _: web.json_response(items))

    response = await make_client().get("/big")

    assert response.json() == items


async def test_a_probe_that_is_refused_before_it_leaves_frees_the_half_open_slot(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    client = make_client(retry=RetryPolicy(max_retries=0))
    upstream.script(status(500), status(500), status(500))
    for _ in range(3):
        with pytest.raises(ExternalServiceError):
            await client.get("/x")
    clock.advance(30)
    strict = make_client(retry=RetryPolicy(max_retries=0), rates=(Rate(1, 3600),), max_wait=0)
    await strict.transport.limiter.acquire("int_1", (Rate(1, 3600),), 0)  # someone took the slot

    with pytest.raises(RateLimitExceeded):
        await strict.get("/x")  # the probe is refused by the budget before it leaves
    response = await client.get("/x")  # a probe may still go

    assert response.status == 200


async def test_a_5xx_with_retry_after_waits_what_the_provider_asks(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    upstream.script(status(503, **{"Retry-After": "4"}))

    await make_client().get("/busy")

    assert clock.sleeps == [4.0]


async def test_an_action_that_says_it_is_idempotent_has_its_writes_retried(
    transport: Transport, upstream: Upstream
) -> None:
    from interlink.transport.client import CallSettings, ProviderFacts

    upstream.script(status(500))
    client = transport.client(
        "int_1", CallSettings(base_url=upstream.url), ProviderFacts(), {}, idempotent=True
    )

    response = await client.post("/reactions", json={"name": "+1"})

    assert response.status == 200
    assert len(upstream.seen) == 2


async def test_a_call_refused_while_the_probe_is_out_does_not_free_the_probe(
    make_client: MakeClient, upstream: Upstream, clock: FrozenClock
) -> None:
    arrived, opened = asyncio.Event(), asyncio.Event()

    async def held(_: web.Request) -> web.Response:
        arrived.set()
        await opened.wait()
        return web.json_response({"ok": True})

    client = make_client(retry=RetryPolicy(max_retries=0))
    upstream.script(status(500), status(500), status(500), held)
    for _ in range(3):
        with pytest.raises(ExternalServiceError):
            await client.get("/x")
    clock.advance(30)

    probe = asyncio.create_task(client.get("/probe"))
    await asyncio.wait_for(arrived.wait(), timeout=10)
    for _ in range(2):  # neither refusal hands the probe to the next call
        with pytest.raises(CircuitOpen):
            await client.get("/not-a-probe")
    opened.set()
    await probe

    assert [s["path"] for s in upstream.seen[3:]] == ["/probe"]


async def test_when_redis_does_not_answer_the_call_is_refused_before_it_leaves(
    upstream: Upstream, clock: FrozenClock
) -> None:
    from redis.asyncio import Redis

    from interlink.core.errors import ServiceUnavailable
    from interlink.transport.breaker import RedisBreakers
    from interlink.transport.client import CallSettings, ProviderFacts
    from interlink.transport.ratelimit import RateLimiter, RedisBudgetStore
    from interlink.transport.slots import RedisSlots
    from interlink.transport.ssrf import AddressPolicy

    nowhere = Redis.from_url("redis://127.0.0.1:9/0")  # the discard port: nothing listens
    limiter = RateLimiter(RedisBudgetStore(nowhere), clock, RedisSlots(nowhere, clock))
    transport = Transport(
        clock, limiter, RedisBreakers(nowhere, clock), AddressPolicy(allow_private=True)
    )
    client = transport.client("int_1", CallSettings(base_url=upstream.url), ProviderFacts(), {})
    try:
        with pytest.raises(ServiceUnavailable, match="provider was not called"):
            await client.get("/x")
    finally:
        await transport.close()
        await nowhere.aclose()
    assert upstream.seen == []


async def test_headers_that_cannot_be_sent_are_refused_before_anything_leaves(
    make_client: MakeClient, upstream: Upstream, transport: Transport
) -> None:
    """Whatever their source: a call's own headers, or a credential holding a line break."""
    client = make_client()
    leaky = transport.client(
        "int_2", CallSettings(base_url=upstream.url), ProviderFacts(), {"X-Api-Key": "k\r\nX: 1"}
    )

    with pytest.raises(InvalidOperation, match="control character"):
        await client.get("/x", headers={"X-Trace": "a\nb"})
    with pytest.raises(InvalidOperation, match="frames the request"):
        await client.get("/x", headers={"Content-Length": "5"})
    with pytest.raises(InvalidCredentials, match="'X-Api-Key'") as refused:
        await leaky.get("/x")

    assert "\r" not in refused.value.message
    assert upstream.seen == []


async def test_a_call_with_its_retries_counts_once_toward_the_breaker(
    make_client: MakeClient, upstream: Upstream, transport: Transport
) -> None:
    """Threshold 3: two calls of three failed attempts each leave the circuit closed; the third
    failed call opens it, and the refusal names the circuit (here the host: no integration)."""
    client = make_client(retry=RetryPolicy(max_retries=2, base_delay=0))
    upstream.script(*[status(503)] * 9)
    for _ in range(2):
        with pytest.raises(ExternalServiceError):
            await client.get("/x")
    assert len(upstream.seen) == 6

    with pytest.raises(ExternalServiceError):
        await client.get("/x")  # still reaches the provider, and is the third failed call
    with pytest.raises(CircuitOpen) as refused:
        await client.get("/x")

    assert len(upstream.seen) == 9
    assert refused.value.message.startswith("Calls to 127.0.0.1 are stopped after 3 failed calls")


async def test_a_call_that_fails_then_succeeds_on_retry_leaves_the_circuit_closed(
    make_client: MakeClient, upstream: Upstream
) -> None:
    client = make_client(retry=RetryPolicy(max_retries=3, base_delay=0))
    for _ in range(3):
        upstream.script(status(500), status(502), status(503))
        assert (await client.get("/x")).status == 200

    assert len(upstream.seen) == 12  # never refused: each call ended in a success


async def test_circuit_open_names_the_integration(upstream: Upstream, transport: Transport) -> None:
    settings = CallSettings(base_url=upstream.url, retry=RetryPolicy(max_retries=0))
    labels = CallLabels("http", "request", "int_01abc")
    client = transport.client("int_01abc", settings, ProviderFacts(), {}, labels=labels)
    upstream.script(*[status(500)] * 3)
    for _ in range(3):
        with pytest.raises(ExternalServiceError):
            await client.get("/x")

    with pytest.raises(CircuitOpen, match=r"^Calls to integration int_01abc are stopped"):
        await client.get("/x")


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://[::1/x", "http://example.com:99999/", "ftp://example.com/"]
)
async def test_a_url_that_does_not_parse_is_refused_before_anything(
    make_client: MakeClient, upstream: Upstream, url: str
) -> None:
    with pytest.raises(UrlNotAllowed):
        await make_client().get(url)

    assert upstream.seen == []
