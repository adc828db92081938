"""Helpers of the webhook tests: a real aiohttp receiver on 127.0.0.1, an app on a FrozenClock
whose dispatcher does not run by itself (tests drive it), and shortcuts to the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI

from interlink.api.services import Services
from interlink.config import Settings, WebhookSettings
from interlink.core.clock import Clock, FrozenClock
from tests.conftest import data, make_settings
from tests.helpers.polling import eventually
from tests.helpers.servers import serve_app


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each path with its configured status (200 by default); a path in `hold` waits
    for its event before answering."""

    base: str = ""
    received: list[Received] = field(default_factory=list)
    status: dict[str, int] = field(default_factory=dict)
    hold: dict[str, asyncio.Event] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        self.received.append(Received(path, dict(request.headers), await request.read()))
        gate = self.hold.get(path)
        if gate is not None:
            await asyncio.wait_for(gate.wait(), 10)
        return web.Response(status=self.status.get(path, 200), text=f"answer of {path}")

    async def wait_for(self, path: str, count: int = 1) -> None:
        """Wait (at most 5 s) until `path` has received `count` requests."""

        async def seen() -> int:
            return len(self.at(path))

        await eventually(seen, lambda n: n >= count, deadline=5)


async def _json_ok(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    application = web.Application()
    application.router.add_post("/{path}", found.handle)
    application.router.add_get("/{path}", _json_ok)
    async with serve_app(application) as url:
        found.base = url
        yield found
        for gate in found.hold.values():
            gate.set()


@pytest.fixture
def clock() -> Clock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    (tmp_path / "data").mkdir(exist_ok=True)
    hooks = WebhookSettings(dispatcher_enabled=False, timeout_seconds=2.0)
    return make_settings(tmp_path / "data", database_url, webhooks=hooks)


def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


async def create_webhook(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "events": ["*"], **fields}
    response = await client.post("/api/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = data(response)
    return created


async def deliveries(client: httpx.AsyncClient, webhook_id: str, query: str = "") -> list[Any]:
    response = await client.get(f"/api/v1/webhooks/{webhook_id}/deliveries?page_size=100&{query}")
    items: list[Any] = data(response)["items"]
    return items
