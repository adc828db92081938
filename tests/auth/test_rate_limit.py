"""This API's own per-key request budget: announced on every response, 429 when spent, counted per
key (with a key's own limit when it has one), shared through Redis by several instances.

The `limits` library counts in wall-clock windows, so these tests only count requests within one
window and never wait for a reset."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy import text

from interlink.config import ApiSettings, RedisSettings
from tests.auth.conftest import MakeApp, create_key
from tests.conftest import ADMIN_KEY, REDIS_URL, client_for, data, error

RATE_HEADERS = {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}


@pytest.fixture
async def limited(make_app: MakeApp) -> FastAPI:
    return await make_app(api=ApiSettings(rate_limit="3/minute"))


@pytest.fixture
async def admin(limited: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(limited, ADMIN_KEY) as http:
        yield http


def budget(response: httpx.Response) -> tuple[int, int]:
    """(limit, remaining) as announced; the reset is a unix time at most one window away."""
    reset = int(response.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 61, reset
    return int(response.headers["X-RateLimit-Limit"]), int(
        response.headers["X-RateLimit-Remaining"]
    )


def assert_too_many(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 429
    assert error(response)["code"] == "TOO_MANY_REQUESTS"
    assert budget(response) == (limit, 0)
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 61
    assert time.time() + retry_after >= int(response.headers["X-RateLimit-Reset"])


async def test_every_response_announces_the_budget_and_the_fourth_request_is_429(
    admin: httpx.AsyncClient,
) -> None:
    responses = [
        await admin.get("/api/v1/integrations"),
        await admin.get("/api/v1/integrations/int_doesnotexist"),
        await admin.post("/api/v1/api-keys", json={"name": "x", "scopes": ["nonsense"]}),
    ]

    assert [r.status_code for r in responses] == [200, 404, 400]
    assert [budget(r) for r in responses] == [(3, 2), (3, 1), (3, 0)]
    assert all("Retry-After" not in r.headers for r in responses)
    fourth = await admin.get("/api/v1/integrations")
    assert_too_many(fourth, 3)
    assert "X-Request-ID" in fourth.headers
    assert_too_many(await admin.post("/api/v1/workspaces", json={"name": "x"}), 3)
    assert all(len(fourth.headers.get_list(name)) == 1 for name in [*RATE_HEADERS, "retry-after"])


async def test_a_refused_caller_is_not_counted(limited: FastAPI, admin: httpx.AsyncClient) -> None:
    async with client_for(limited, "sk_" + "x" * 40) as stranger:
        refused = [await stranger.get("/api/v1/integrations") for _ in range(4)]

    assert {r.status_code for r in refused} == {401}
    assert all(not RATE_HEADERS & {h.lower() for h in r.headers} for r in refused)
    assert budget(await admin.get("/api/v1/integrations")) == (3, 2)


async def test_the_budget_is_per_key(limited: FastAPI, admin: httpx.AsyncClient) -> None:
    other = await create_key(admin, "integrations:read")
    for _ in range(2):
        assert (await admin.get("/api/v1/integrations")).status_code == 200
    assert_too_many(await admin.get("/api/v1/integrations"), 3)

    async with client_for(limited, other["key"]) as second:
        response = await second.get("/api/v1/integrations")

    assert response.status_code == 200
    assert budget(response) == (3, 2)


async def test_a_key_with_its_own_limit_is_held_to_it(
    limited: FastAPI, admin: httpx.AsyncClient
) -> None:
    slow = await create_key(admin, "integrations:read", rate_limit="1/minute")
    fast = await create_key(admin, "integrations:read", rate_limit="5/minute")
    assert slow["rate_limit"] == "1/minute"

    async with client_for(limited, slow["key"]) as slow_client:
        slow_first = await slow_client.get("/api/v1/integrations")
        slow_second = await slow_client.get("/api/v1/integrations")
    async with client_for(limited, fast["key"]) as fast_client:
        fast_responses = [await fast_client.get("/api/v1/integrations") for _ in range(6)]
    by_admin = await admin.get("/api/v1/integrations")

    assert slow_first.status_code == 200
    assert budget(slow_first) == (1, 0)
    assert_too_many(slow_second, 1)
    assert [r.status_code for r in fast_responses] == [200] * 5 + [429]
    assert budget(fast_responses[4]) == (5, 0)
    assert by_admin.status_code == 200
    assert budget(by_admin) == (3, 0)


async def test_a_token_spends_the_budget_of_its_key(
    limited: FastAPI, admin: httpx.AsyncClient
) -> None:
    key = await create_key(admin, "integrations:read", rate_limit="2/minute")
    async with client_for(limited, key["key"]) as by_key:
        issued = await by_key.post("/api/v1/auth/token")
        assert issued.status_code == 200
        assert budget(issued) == (2, 1)
        async with client_for(limited, data(issued)["access_token"]) as by_token:
            first = await by_token.get("/api/v1/integrations")
            second = await by_token.get("/api/v1/integrations")
        after = await by_key.get("/api/v1/integrations")

    assert first.status_code == 200
    assert budget(first) == (2, 0)
    assert_too_many(second, 2)
    assert_too_many(after, 2)


async def spend(client: httpx.AsyncClient, count: int) -> None:
    for _ in range(count):
        assert (await client.get("/api/v1/integrations")).status_code == 200


async def test_a_caller_over_its_limit_is_refused_before_its_body_is_read(
    limited: FastAPI, admin: httpx.AsyncClient
) -> None:
    await spend(admin, 3)
    json_type = {"Content-Type": "application/json"}

    refused = [
        await admin.post("/api/v1/integrations", content=b"{not json", headers=json_type),
        await admin.post("/api/v1/integrations", content=b"[" * 2_000_000, headers=json_type),
        await admin.post(
            "/api/v1/integrations", content=b"x", headers={"Content-Type": "text/plain"}
        ),
        await admin.post("/api/v1/integrations/int_x/operations/get_repository", json={}),
    ]

    for response in refused:  # not 400, 413 or 415: the body was never read
        assert_too_many(response, 3)
        assert response.headers["X-Request-ID"]
    async with client_for(limited, ADMIN_KEY) as again:
        assert_too_many(await again.get("/api/v1/integrations"), 3)


async def test_a_caller_over_its_limit_still_reaches_the_public_routes(
    limited: FastAPI, admin: httpx.AsyncClient
) -> None:
    steps = [{"name": "echo", "type": "set", "config": {"values": {"n": 1}}}]
    created = await admin.post(
        "/api/v1/workflows",
        json={"name": "hook", "definition": {"steps": steps}, "triggers": [{"type": "webhook"}]},
    )
    workflow_id, token = data(created)["id"], data(created)["trigger_token"]
    await spend(admin, 2)
    assert_too_many(await admin.get("/api/v1/integrations"), 3)

    health = await admin.get("/healthz")
    triggered = await admin.post(f"/api/v1/workflows/{workflow_id}/trigger/{token}", json={})

    assert health.status_code == 200
    assert triggered.status_code == 202, triggered.text


async def test_a_revoked_key_over_its_limit_is_told_it_is_revoked(
    limited: FastAPI, admin: httpx.AsyncClient
) -> None:
    key = await create_key(admin, "integrations:read", rate_limit="1/minute")
    async with client_for(limited, key["key"]) as holder:
        await spend(holder, 1)
        assert_too_many(await holder.get("/api/v1/integrations"), 1)
        assert (await admin.delete(f"/api/v1/api-keys/{key['id']}")).status_code == 200

        after = await holder.get("/api/v1/integrations")

    assert after.status_code == 401
    assert error(after)["message"] == "the API key has been revoked"


@pytest.mark.parametrize("rate_limit", ["1/minute", None], ids=["key-limit", "no-key-limit"])
async def test_no_limit_means_no_headers_and_no_429(
    make_app: MakeApp, rate_limit: str | None
) -> None:
    app = await make_app(api=ApiSettings(rate_limit="0"))
    async with client_for(app, ADMIN_KEY) as unlimited:
        responses = [await unlimited.get("/api/v1/integrations") for _ in range(8)]
        key = await create_key(unlimited, "integrations:read", rate_limit=rate_limit)
    async with client_for(app, key["key"]) as by_key:
        by_key_responses = [await by_key.get("/api/v1/integrations") for _ in range(2)]

    assert [r.status_code for r in responses] == [200] * 8
    assert all(not RATE_HEADERS & {h.lower() for h in r.headers} for r in responses)
    if rate_limit is None:
        assert [r.status_code for r in by_key_responses] == [200, 200]
        assert all(not RATE_HEADERS & {h.lower() for h in r.headers} for r in by_key_responses)
    else:  # a key's own limit applies even when the server sets none
        assert by_key_responses[0].status_code == 200
        assert_too_many(by_key_responses[1], 1)


# -- shared through Redis ----------------------------------------------------------------------


@pytest.fixture
async def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("INTERLINK_TEST_REDIS_URL is not set: the Redis run is skipped")
    return REDIS_URL


async def admin_key_id(app: FastAPI) -> str:
    async with app.state.services.db.engine.connect() as connection:
        found = await connection.scalar(text("SELECT id FROM api_keys"))
    assert isinstance(found, str)
    return found


@pytest.mark.redis
async def test_two_instances_share_one_budget_through_redis(
    make_app: MakeApp, redis_url: str
) -> None:
    shared = {"api": ApiSettings(rate_limit="3/minute"), "redis": RedisSettings(url=redis_url)}
    first, second = await make_app(**shared), await make_app(**shared)
    key_id = await admin_key_id(first)
    redis = Redis.from_url(redis_url)
    try:
        assert not [k async for k in redis.scan_iter(match=f"*{key_id}*")]
        async with client_for(first, ADMIN_KEY) as on_a, client_for(second, ADMIN_KEY) as on_b:
            counted = [
                await on_a.get("/api/v1/integrations"),
                await on_a.get("/api/v1/integrations"),
                await on_b.get("/api/v1/integrations"),
            ]
            refused = [
                await on_a.get("/api/v1/integrations"),
                await on_b.get("/api/v1/integrations"),
            ]
        stored = [k async for k in redis.scan_iter(match=f"*{key_id}*")]
    finally:
        for found in [k async for k in redis.scan_iter(match=f"*{key_id}*")]:
            await redis.delete(found)
        await redis.aclose()

    assert [r.status_code for r in counted] == [200, 200, 200]
    assert [budget(r) for r in counted] == [(3, 2), (3, 1), (3, 0)]
    for response in refused:
        assert_too_many(response, 3)
    assert stored
