"""Who may read `/metrics`, what it may show, the worker's own port, and queues read from DBOS's
table."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest

from interlink.api import metrics as metrics_http
from interlink.app import create_app
from interlink.config import MetricsSettings, Settings, TransportSettings
from interlink.core.metrics import Metrics
from interlink.testing import HttpMock, RunningMock
from tests.conftest import ADMIN_KEY, client_for, make_settings
from tests.metrics.conftest import Scrape, integration, run, scrape


async def _app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(settings)
    async with (
        application.router.lifespan_context(application),
        client_for(application, ADMIN_KEY) as http,
    ):
        yield http


def _settings(tmp_path: Path, database_url: str, **metrics: object) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(
        tmp_path / "data",
        database_url,
        metrics=MetricsSettings(**metrics),  # type: ignore[arg-type]
        transport=TransportSettings(breaker_threshold=1),
    )


@pytest.fixture
async def guarded(tmp_path: Path, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _app(_settings(tmp_path, database_url, token="scrape-secret-123")):
        yield http


@pytest.fixture
async def switched_off(tmp_path: Path, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _app(_settings(tmp_path, database_url, enabled=False)):
        yield http


@pytest.fixture
async def per_integration(tmp_path: Path, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _app(_settings(tmp_path, database_url, per_integration=True)):
        yield http


async def test_with_a_token_a_scrape_must_bring_it(guarded: httpx.AsyncClient) -> None:
    anonymous = await guarded.get("/metrics", headers={"Authorization": ""})
    wrong = await guarded.get("/metrics", headers={"Authorization": "Bearer nope"})
    api_key = await guarded.get("/metrics")  # the admin API key is not the metrics token

    assert [anonymous.status_code, wrong.status_code, api_key.status_code] == [401, 401, 401]
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    assert "scrape-secret-123" not in anonymous.text
    found = await scrape(guarded, Authorization="Bearer scrape-secret-123")
    assert "interlink_http_requests_total" in found.names()


async def test_switched_off_there_is_no_route(switched_off: httpx.AsyncClient) -> None:
    assert (await switched_off.get("/metrics")).status_code == 404


async def test_integration_ids_only_when_the_setting_allows(
    per_integration: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await integration(per_integration, mock.url, rate_limiting={"max_retries": 0})
    assert (await run(per_integration, iid, "/status/500")).status_code == 502

    found = await scrape(per_integration)
    labels = {"connector_type": "http", "integration_id": iid, "state": "open"}
    assert found.value("interlink_circuit_breakers", **labels) == 1
    # the other families stay bounded: no ids there either
    others = [s for s in found.samples if s.name != "interlink_circuit_breakers"]
    assert not any(iid in value for s in others for value in s.labels.values())


async def test_queued_work_is_counted_with_its_age(
    tmp_path: Path, database_url: str, mock: RunningMock[HttpMock]
) -> None:
    """An API process without a worker: the queued operations stay in DBOS's table."""
    async for http in _app(_settings(tmp_path, database_url)):
        iid = await integration(http, mock.url)
        for _ in range(2):
            response = await http.post(
                f"/api/v1/integrations/{iid}/operations/request",
                json={"async": True, "parameters": {"method": "GET", "path": "/anything"}},
            )
            assert response.status_code == 202, response.text
        found = await scrape(http)

    depth = [s for s in found.samples if s.name == "interlink_queue_depth"]
    assert [(s.labels["state"], s.value) for s in depth] == [("queued", 2)]
    assert depth[0].labels["queue"].startswith("interlink-ops-")
    assert found.value("interlink_queue_oldest_age_seconds") >= 0
    assert found.labels("interlink_queue_oldest_age_seconds") == [
        {"queue": depth[0].labels["queue"]}
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_a_worker_serves_its_own_metrics_on_loopback() -> None:
    registry = Metrics()
    registry.workflow("completed")
    settings = MetricsSettings(token="worker-token-123")
    port = _free_port()
    runner = await metrics_http.serve(registry, settings, port)
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/metrics"
            async with session.get(url) as refused:
                assert refused.status == 401
            headers = {"Authorization": "Bearer worker-token-123"}
            async with session.get(url, headers=headers) as answer:
                assert answer.status == 200
                found = Scrape(await answer.text())
    finally:
        await runner.cleanup()
    assert found.value("interlink_workflow_executions_total", status="completed") == 1
