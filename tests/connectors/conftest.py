"""Helpers shared by the connector tests: every connector is driven through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.integrations import create_active
from tests.transport.conftest import Upstream, upstream


async def run_operation(
    client: httpx.AsyncClient, integration_id: str, operation: str, **parameters: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{integration_id}/operations/{operation}",
        json={"parameters": parameters},
    )


__all__ = ["Upstream", "create_active", "run_operation", "upstream"]
