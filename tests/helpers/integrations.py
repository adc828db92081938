"""Integrations made through the API, as a user makes them: created, then activated."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import data

API_KEY = "k-123"


async def create_active(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    """Creates the integration described by `body`, activates it, and returns its id."""
    created = data(await client.post("/api/v1/integrations", json=body))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")
    return str(created["id"])


async def http_integration(
    client: httpx.AsyncClient,
    url: str,
    *,
    credentials: dict[str, Any] | None = None,
    **configuration: Any,
) -> str:
    """An active `http` integration calling `url` with an API key (`credentials` replace it;
    `configuration` adds to or replaces the configuration's fields, `auth_method` included)."""
    body = {
        "name": "Upstream",
        "type": "http",
        "configuration": {"api_url": url, "auth_method": "api_key", **configuration},
        "credentials": credentials or {"api_key": API_KEY},
    }
    return await create_active(client, body)
