"""A live `interlink serve` on SQLite, or on PostgreSQL when INTERLINK_TEST_DATABASE_URL is set,
with OpenAI's mock on a loopback port as its language-model provider: what the SDK's and the
CLI's tests of routes, budgets, usage and chat run against."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from interlink.providers.openai.mock import OpenAIMock
from interlink.sdk import IntegrationConfig, IntegrationManager
from interlink.testing import RunningMock, serve_mock_in_thread
from tests.conftest import PG_URL
from tests.e2e.server import Server, start
from tests.helpers.databases import reset_postgres

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def ai_server(database: str, data_dir: Path, api_key: str) -> Iterator[Server]:
    env = {
        "INTERLINK_BOOTSTRAP_API_KEY": api_key,
        "INTERLINK_ALLOW_PRIVATE_URLS": "true",  # the mock listens on 127.0.0.1
        "INTERLINK_API_RATE_LIMIT": "0",
        "INTERLINK_JOBS_EMBEDDED_WORKER": "false",
    }
    if database == "postgresql":
        if not PG_URL:
            pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
        asyncio.run(reset_postgres(PG_URL))
        env["INTERLINK_DATABASE_URL"] = PG_URL
    running = start(data_dir, env)
    try:
        yield running
    finally:
        running.stop()


@contextmanager
def openai_mock() -> Iterator[RunningMock[OpenAIMock]]:
    with serve_mock_in_thread(OpenAIMock()) as running:
        yield running


def openai_integration(url: str, api_key: str, mock: RunningMock[OpenAIMock]) -> tuple[str, str]:
    """A new active openai integration calling the mock: its id and its (unique) name."""
    name = f"gpt-{uuid.uuid4().hex[:8]}"
    config = IntegrationConfig(
        name=name,
        type="openai",
        configuration={"api_url": mock.api_url, "auth_method": "api_key"},
        credentials={"api_key": mock.mock.token},
    )
    with IntegrationManager(api_key, base_url=url) as manager:
        integration = manager.create_integration(config)
        manager.activate_integration(integration.id)
    return integration.id, name
