"""Apps whose `/metrics` is read back: an embedded worker, a mock upstream from
`interlink.testing`, and helpers to read one sample of the exposition.

Every app has its own registry, so each test starts from zero and tests do not depend on order.
SQLite only: what is counted does not depend on the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from interlink.config import Settings, TransportSettings
from interlink.testing import HttpMock, RunningMock, serve_mock
from tests.conftest import make_settings
from tests.helpers.databases import fresh_sqlite
from tests.helpers.integrations import http_integration
from tests.jobs.conftest import worker_jobs

SECRET = "k-metrics-secret-0123456789"
OPERATION_ROUTE = "/api/v1/integrations/{integration_id}/operations/{operation}"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return fresh_sqlite(tmp_path / "data")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """An embedded worker; circuits open after two failures; a call waits up to 5 s."""
    (tmp_path / "data").mkdir(exist_ok=True)
    transport = TransportSettings(breaker_threshold=2, max_wait_seconds=5)
    return make_settings(tmp_path / "data", database_url, jobs=worker_jobs(), transport=transport)


@pytest.fixture
async def mock() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock()) as running:
        yield running


class Scrape:
    """One exposition, parsed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = [
            sample for family in text_string_to_metric_families(text) for sample in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples named `name` whose labels include `labels` (0 when none)."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def labels(self, name: str) -> list[dict[str, str]]:
        return [s.labels for s in self.samples if s.name == name]

    def names(self) -> set[str]:
        return {s.name for s in self.samples}


async def scrape(client: httpx.AsyncClient, **headers: str) -> Scrape:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)


async def integration(client: httpx.AsyncClient, url: str, **configuration: Any) -> str:
    """An active `http` integration whose API key is SECRET (which no metric may show)."""
    return await http_integration(client, url, credentials={"api_key": SECRET}, **configuration)


async def run(client: httpx.AsyncClient, iid: str, path: str = "/anything") -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/request",
        json={"parameters": {"method": "GET", "path": path}},
    )
