"""Health, when the breakers live in Redis: a circuit opened through one process shows in the
health of another, which does not reach the provider either."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from interlink.app import create_app
from interlink.config import RedisSettings, Settings, TransportSettings
from interlink.testing import Fault, GitHubMock, RunningMock, serve_mock
from tests.conftest import ADMIN_KEY, REDIS_URL, client_for, data, make_settings
from tests.helpers.integrations import create_active

pytestmark = pytest.mark.redis


@pytest.fixture
def shared_settings(tmp_path: Path, database_url: str) -> Settings:
    if not REDIS_URL:
        pytest.skip("INTERLINK_TEST_REDIS_URL is not set: the Redis run is skipped")
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(
        tmp_path / "data",
        database_url,
        redis=RedisSettings(url=REDIS_URL),
        transport=TransportSettings(breaker_threshold=2, breaker_cooldown_seconds=60),
    )


@pytest.fixture
async def github() -> AsyncIterator[RunningMock[GitHubMock]]:
    async with serve_mock(GitHubMock(token="ghp_shared")) as running:
        yield running


async def _check(http: httpx.AsyncClient, iid: str) -> dict[str, dict[str, str]]:
    run = data(await http.post(f"/api/v1/integrations/{iid}/health/check"))["health_check"]
    return {c["name"]: c for c in run["checks"]}


async def test_a_circuit_opened_by_one_process_shows_in_anothers_health(
    shared_settings: Settings, github: RunningMock[GitHubMock]
) -> None:
    first, second = create_app(shared_settings), create_app(shared_settings)
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        client_for(first, ADMIN_KEY) as one,
        client_for(second, ADMIN_KEY) as other,
    ):
        body = {
            "name": "GitHub", "type": "github",
            "configuration": {"api_url": github.api_url, "auth_method": "oauth",
                              "rate_limiting": {"max_retries": 0}},
            "credentials": {"access_token": "ghp_shared", "token_type": "bearer"},
        }  # fmt: skip
        iid = await create_active(one, body)
        github.mock.faults.add(Fault.error(503), times=None)
        for _ in range(2):  # the threshold
            assert (await _check(one, iid))["connection"]["status"] == "failed"

        seen = await _check(other, iid)
        await _forget(iid)

    assert seen["circuit_breaker"] == {
        "name": "circuit_breaker", "status": "failed", "message": "Circuit open",
        "latency_ms": None, "time_to_first_token_ms": None,
    }  # fmt: skip
    assert seen["connection"]["message"].startswith("CIRCUIT_OPEN")
    assert github.mock.calls.count("/user") == 2  # the second process did not ask


async def _forget(integration_id: str) -> None:
    """Deletes what the test left in Redis (its keys name the integration)."""
    assert REDIS_URL is not None
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"interlink:*{integration_id}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
