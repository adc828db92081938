"""On PostgreSQL and Redis: queue depth read from `dbos.workflow_status`, circuits read from
Redis in one round trip. Skipped unless INTERLINK_TEST_DATABASE_URL and INTERLINK_TEST_REDIS_URL
are set."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlink.app import create_app
from interlink.config import RedisSettings, TransportSettings
from interlink.testing import HttpMock, RunningMock
from tests.conftest import ADMIN_KEY, PG_URL, REDIS_URL, client_for, make_settings, reset_postgres
from tests.metrics.conftest import integration, run, scrape

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


async def test_queues_and_circuits_from_the_shared_stores(
    tmp_path: Path, mock: RunningMock[HttpMock]
) -> None:
    if not PG_URL or not REDIS_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL and INTERLINK_TEST_REDIS_URL are needed")
    await reset_postgres(PG_URL)
    settings = make_settings(
        tmp_path, PG_URL, redis=RedisSettings(url=REDIS_URL),
        transport=TransportSettings(breaker_threshold=1),
    )  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_for(app, ADMIN_KEY) as client:
        failing = await integration(client, mock.url, rate_limiting={"max_retries": 0})
        healthy = await integration(client, mock.url)
        assert (await run(client, failing, "/status/500")).status_code == 502
        assert (await run(client, healthy)).status_code == 200
        queued = await client.post(
            f"/api/v1/integrations/{healthy}/operations/request",
            json={"async": True, "parameters": {"method": "GET", "path": "/anything"}},
        )
        assert queued.status_code == 202, queued.text

        found = await scrape(client)

    assert found.value("interlink_circuit_breakers", connector_type="http", state="open") == 1
    assert found.value("interlink_circuit_breakers", connector_type="http", state="closed") == 1
    assert found.value("interlink_queue_depth", state="queued") == 1
    assert found.value("interlink_metrics_scrape_errors_total") == 0
