"""Incoming webhooks: integrations with webhook secrets, a frozen clock, and ways to count what
a hook left behind (stored hooks, provider events)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from interlink.core.clock import FrozenClock
from interlink.hooks.models import IncomingHook
from tests.conftest import data

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
SECRET = "It's a Secret to Everybody"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def github_signed(
    body: bytes, secret: str = SECRET, delivery: str = "d-1", event: str = "issues"
) -> dict[str, str]:
    """GitHub's headers for `body`: "sha256=" + hex HMAC-SHA256 of the payload with the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }


@pytest.fixture
async def github(client: httpx.AsyncClient) -> str:
    """A GitHub integration whose webhook secret is SECRET."""
    return await create_integration(
        client, "github", {"access_token": "ghp_abc", "webhook_secret": SECRET}
    )


async def create_integration(
    client: httpx.AsyncClient,
    type_: str,
    credentials: dict[str, Any],
    configuration: dict[str, Any] | None = None,
) -> str:
    body: dict[str, Any] = {"name": f"{type_} hooks", "type": type_, "credentials": credentials}
    if configuration is not None:
        body["configuration"] = configuration
    response = await client.post("/api/v1/integrations", json=body)
    assert response.status_code == 201, response.text
    integration_id: str = data(response)["id"]
    return integration_id


async def stored_hooks(app: FastAPI) -> list[IncomingHook]:
    async with app.state.services.db.read() as session:
        return list((await session.scalars(select(IncomingHook))).all())


async def count_hooks(app: FastAPI) -> int:
    async with app.state.services.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(IncomingHook)) or 0)


async def provider_events(client: httpx.AsyncClient, integration_id: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"integration_id": integration_id})
    items: list[dict[str, Any]] = data(response)["items"]
    return [e for e in items if e["event"].startswith("provider.")]


def flip_bit(value: bytes, index: int = 0) -> bytes:
    changed = bytearray(value)
    changed[index] ^= 0x01
    return bytes(changed)
