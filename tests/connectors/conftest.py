"""Helpers shared by the connector tests: every connector is driven through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import data
from tests.transport.conftest import Upstream, upstream


async def create_active(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    """Creates the integration described by `body`, activates it, and returns its id."""
    created = data(await client.post("/api/v1/integrations", json=body))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")
    return str(created["id"])


async def run_operation(
    client: httpx.AsyncClient, integration_id: str, operation: str, **parameters: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{integration_id}/operations/{operation}",
        json={"parameters": parameters},
    )


__all__ = ["Upstream", "create_active", "run_operation", "upstream"]
