"""Auth fixtures: apps built with settings of the test's choosing, and API keys made through the
API (their id and plaintext, which `key_client` does not give back)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from interlink.app import create_app
from interlink.core.clock import Clock
from tests.conftest import data, make_settings

MakeApp = Callable[..., Awaitable[FastAPI]]


@pytest.fixture
async def make_app(tmp_path: Path, database_url: str, clock: Clock) -> AsyncIterator[MakeApp]:
    """Start apps on the test's database with settings overridden as given (make_settings's
    keywords); each call is a separate instance with its own lifespan, all stopped at the end."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    async with AsyncExitStack() as stack:

        async def make(**overrides: Any) -> FastAPI:
            application = create_app(
                make_settings(data_dir, database_url, **overrides), clock=clock
            )
            await stack.enter_async_context(application.router.lifespan_context(application))
            return application

        yield make


async def create_key(client: httpx.AsyncClient, *scopes: str, **extra: Any) -> dict[str, Any]:
    """POST /api-keys and return the created key (with its `id` and its plaintext `key`)."""
    response = await client.post(
        "/api/v1/api-keys", json={"name": "test", "scopes": list(scopes), **extra}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = data(response)
    return created


async def own_workspace_id(client: httpx.AsyncClient) -> str:
    """The id of the workspace of an admin client that has created no other workspace."""
    items = data(await client.get("/api/v1/workspaces"))["items"]
    assert len(items) == 1, items
    workspace_id: str = items[0]["id"]
    return workspace_id
