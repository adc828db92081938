"""A custom provider declared against a mock on a loopback socket, and its integration."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interlink.providers.custom.mock import AcmeMock
from interlink.providers.custom.sample import SAMPLE
from interlink.testing import RunningMock, serve_mock
from tests.conftest import data
from tests.helpers.integrations import create_active

TOKEN = "acme-test-key-5f2c9a"


@pytest.fixture
async def acme() -> AsyncIterator[RunningMock[AcmeMock]]:
    async with serve_mock(AcmeMock(token=TOKEN)) as running:
        yield running


def declaration(base_url: str, **changes: Any) -> dict[str, Any]:
    """The sample declaration calling `base_url`, with top-level `changes`."""
    return {**copy.deepcopy(SAMPLE), "base_url": base_url, **changes}


async def declare(client: httpx.AsyncClient, document: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/v1/custom-providers", json=document)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = data(response)
    return found


async def custom_integration(
    client: httpx.AsyncClient, provider: str, credentials: dict[str, Any] | None = None
) -> str:
    body = {
        "name": f"{provider} integration",
        "type": "custom",
        "configuration": {"provider": provider},
        "credentials": credentials or {"api_key": TOKEN},
    }
    return await create_active(client, body)
