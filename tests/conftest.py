"""Shared fixtures: an app on SQLite (always) and on PostgreSQL (when INTERLINK_TEST_DATABASE_URL is
set), called in process through httpx's ASGI transport, with a known admin key. Each test's
database starts empty and already migrated (tests/helpers/databases.py)."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink import logs
from interlink.app import create_app
from interlink.config import (
    ApiSettings,
    BootstrapSettings,
    DatabaseSettings,
    JobsSettings,
    JwtSettings,
    LogSettings,
    RedisSettings,
    ServerSettings,
    Settings,
    VaultSettings,
)
from interlink.core.clock import Clock, SystemClock
from tests.helpers.databases import (
    fresh_sqlite,
    per_worker_database,
    per_worker_redis,
    reset_postgres,
)

ADMIN_KEY = "sk_test_admin_0123456789abcdefghijklmnop"
JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
PG_URL = per_worker_database(os.environ.get("INTERLINK_TEST_DATABASE_URL"))
REDIS_URL = per_worker_redis(os.environ.get("INTERLINK_TEST_REDIS_URL"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database at the head revision (ours and DBOS's tables), the test's own."""
    if request.param == "sqlite":
        return fresh_sqlite(tmp_path / "data")
    if not PG_URL:
        pytest.skip("INTERLINK_TEST_DATABASE_URL is not set: the PostgreSQL run is skipped")
    await reset_postgres(PG_URL)
    return PG_URL


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "server": ServerSettings(data_dir=data_dir, allow_private_urls=True),
        "db": DatabaseSettings(url=database_url, pool_size=5),
        "redis": RedisSettings(url=None),
        "api": ApiSettings(rate_limit="0"),
        "vault": VaultSettings(keys=None, key_file=data_dir / "vault.key"),
        "jwt": JwtSettings(secret=JWT_SECRET),
        "bootstrap": BootstrapSettings(api_key=ADMIN_KEY),
        "log": LogSettings(format="json", level="info"),
        # No worker in API tests (tests/jobs turn it on); queued work waits in the database.
        "jobs": JobsSettings(embedded_worker=False),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url)


@pytest.fixture
def clock() -> Clock:
    return SystemClock()


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: FastAPI, key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, ADMIN_KEY) as http:
        yield http


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, None) as http:
        yield http


@pytest.fixture
async def other_workspace(
    app: FastAPI, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding the admin key of a second workspace."""
    response = await client.post("/api/v1/workspaces", json={"name": "other"})
    assert response.status_code == 201, response.text
    async with client_for(app, response.json()["data"]["admin_key"]["key"]) as http:
        yield http


@pytest.fixture
def key_client(app: FastAPI, client: httpx.AsyncClient) -> Callable[..., Any]:
    """Make an API key with the given scopes and return a client that uses it."""

    async def make(*scopes: str, **extra: Any) -> httpx.AsyncClient:
        body = {"name": "scoped", "scopes": list(scopes), **extra}
        response = await client.post("/api/v1/api-keys", json=body)
        assert response.status_code == 201, response.text
        return client_for(app, response.json()["data"]["key"])

    return make


def data(response: httpx.Response) -> Any:
    """The `data` of a success envelope, failing with the body when it is not one."""
    body = response.json()
    assert body["status"] == "success", response.text
    return body["data"]


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["status"] == "error", response.text
    assert set(body["error"]) == {"code", "message", "details"}
    result: dict[str, Any] = body["error"]
    return result


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What our log handler renders (after redaction), captured as text (JSON lines)."""
    logs.configure(LogSettings(format="json", level="info"))
    ours = next(h for h in logging.getLogger().handlers if h.get_name() == "interlink")
    buffer = io.StringIO()
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(ours.formatter)
    logging.getLogger().addHandler(capture)
    yield buffer
    logging.getLogger().removeHandler(capture)


def log_lines(output: io.StringIO) -> list[dict[str, Any]]:
    """The captured lines, parsed."""
    return [json.loads(line) for line in output.getvalue().splitlines() if line.startswith("{")]
