"""Apps with an embedded worker, and polling for a state with a bounded deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI

from interlink.app import create_app
from interlink.config import JobsSettings, Settings
from interlink.core.clock import Clock
from tests.conftest import ADMIN_KEY, client_for, data, make_settings
from tests.transport.conftest import upstream

T = TypeVar("T")
DEADLINE = 30.0


def worker_jobs(**overrides: Any) -> JobsSettings:
    values: dict[str, Any] = {"embedded_worker": True, "polling_interval_seconds": 0.05}
    return JobsSettings(**(values | overrides))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    return make_settings(tmp_path / "data", database_url, jobs=worker_jobs())


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, ADMIN_KEY) as http:
        yield http


async def eventually(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], deadline: float = DEADLINE
) -> T:
    """Call `probe` until `done` holds of its result, or fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() > end:
            raise AssertionError(f"not reached within {deadline} s; last seen: {value!r}")
        await asyncio.sleep(0.05)  # polling for a state, not timing anything


async def http_integration(client: httpx.AsyncClient, url: str, **config: Any) -> str:
    body = {
        "name": "Upstream",
        "type": "http",
        "configuration": {"api_url": url, "auth_method": "api_key", **config},
        "credentials": {"api_key": "k-123"},
    }
    created = data(await client.post("/api/v1/integrations", json=body))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")
    return str(created["id"])


__all__ = ["create_app", "eventually", "http_integration", "upstream", "worker_jobs"]
