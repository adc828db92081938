"""The live event stream (Server-Sent Events) on a real socket: new events arrive as they are
committed, a filter keeps only the wanted types, Last-Event-ID resumes, and with Redis a commit
in one process wakes the streams of another."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from interlink.app import create_app
from interlink.auth.models import Workspace
from interlink.config import RedisSettings, Settings
from interlink.core.clock import Clock, FrozenClock
from interlink.events.router import REAUTHORIZE_SECONDS
from interlink.events.types import EventRecord, EventType, IntegrationState, new_event
from tests.conftest import ADMIN_KEY, REDIS_URL
from tests.e2e.server import free_port
from tests.helpers.polling import eventually

AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
LIMIT = 15.0  # seconds any one wait may take, at most


@dataclass
class Running:
    app: FastAPI
    url: str


@asynccontextmanager
async def serving(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Running]:
    app = create_app(settings, clock=clock)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    await eventually(partial(_started, server), bool, LIMIT)  # uvicorn has no start-up event
    try:
        yield Running(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, LIMIT)


async def _started(server: uvicorn.Server) -> bool:
    return server.started


class Listener:
    """Reads one SSE response and splits it into messages."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        async with asyncio.timeout(LIMIT):
            while True:
                raw = await self.response.content.readline()
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if "data" in fields:
                        fields["data"] = json.loads(fields["data"])
                        return fields
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                fields[name] = value.lstrip(" ")


@asynccontextmanager
async def listening(
    url: str, *, headers: dict[str, str] | None = None, query: str = ""
) -> AsyncIterator[Listener]:
    async with (
        aiohttp.ClientSession(headers={**AUTH, **(headers or {})}) as http,
        http.get(f"{url}/api/v1/events/stream{query}") as response,
    ):
        assert response.status == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Listener(response)


async def _create(url: str, name: str) -> str:
    body = {"name": name, "type": "http", "configuration": {"api_url": "https://example.com"}}
    async with (
        aiohttp.ClientSession(headers=AUTH) as http,
        http.post(f"{url}/api/v1/integrations", json=body) as created,
    ):
        assert created.status == 201
        return str((await created.json())["data"]["id"])


async def test_a_committed_event_reaches_the_stream(settings: Settings) -> None:
    async with serving(settings) as running, listening(running.url) as stream:
        integration_id = await _create(running.url, "first")

        message = await stream.next()

    assert message["event"] == "integration.created"
    assert message["id"].startswith("evt_")
    assert message["data"]["id"] == message["id"]
    assert message["data"]["event"] == "integration.created"
    assert message["data"]["data"]["integration_id"] == integration_id
    assert set(message["data"]) == {"id", "event", "timestamp", "data"}


async def test_a_stream_whose_key_is_revoked_ends(settings: Settings) -> None:
    clock = FrozenClock(datetime(2026, 12, 7, 12, tzinfo=UTC))
    async with serving(settings, clock) as running, aiohttp.ClientSession(headers=AUTH) as admin:
        asked = {"name": "tail", "scopes": ["integrations:read"]}
        async with admin.post(f"{running.url}/api/v1/api-keys", json=asked) as created:
            key = (await created.json())["data"]
        reader = {"Authorization": f"Bearer {key['key']}"}
        async with listening(running.url, headers=reader) as stream:
            await _create(running.url, "seen")
            assert (await stream.next())["event"] == "integration.created"
            async with admin.delete(f"{running.url}/api/v1/api-keys/{key['id']}") as revoked:
                assert revoked.status == 200
            clock.advance(REAUTHORIZE_SECONDS)
            await _create(running.url, "not seen")

            async with asyncio.timeout(LIMIT):
                rest = await stream.response.content.read()  # to its end: the server closed it

    assert b"integration.created" not in rest


async def test_a_filter_keeps_only_the_wanted_types(settings: Settings) -> None:
    async with (
        serving(settings) as running,
        listening(running.url, query="?type=integration.deleted") as stream,
    ):
        integration_id = await _create(running.url, "short-lived")
        async with aiohttp.ClientSession(headers=AUTH) as http:
            await http.delete(f"{running.url}/api/v1/integrations/{integration_id}")

        message = await stream.next()

    assert message["event"] == "integration.deleted"


async def test_last_event_id_resumes_after_that_event(settings: Settings) -> None:
    async with serving(settings) as running:
        async with listening(running.url) as stream:
            await _create(running.url, "one")
            first = await stream.next()
        await _create(running.url, "two")  # while no one listens

        async with listening(running.url, headers={"Last-Event-ID": first["id"]}) as resumed:
            message = await resumed.next()

    assert message["event"] == "integration.created"
    assert message["id"] > first["id"]
    assert message["data"]["data"]["name"] == "two"


async def test_a_malformed_last_event_id_is_refused(settings: Settings) -> None:
    async with (
        serving(settings) as running,
        aiohttp.ClientSession(headers={**AUTH, "Last-Event-ID": "nope"}) as http,
        http.get(f"{running.url}/api/v1/events/stream") as response,
    ):
        body = await response.json()

    assert response.status == 400
    assert body["error"]["code"] == "INVALID_REQUEST"


@pytest.mark.postgres
async def test_with_redis_a_commit_in_one_process_wakes_the_streams_of_another(
    settings: Settings,
) -> None:
    if not REDIS_URL:
        pytest.skip("INTERLINK_TEST_REDIS_URL is not set: the Redis run is skipped")
    if settings.database_url.startswith("sqlite"):
        pytest.skip("two servers share one database here through PostgreSQL")
    shared = settings.model_copy(update={"redis": RedisSettings(url=REDIS_URL)})
    async with serving(shared) as writer, serving(shared) as reader:
        reader.app.state.services.event_stream.poll_seconds = 3600  # only the bell can wake it
        async with listening(reader.url) as stream:
            bell = reader.app.state.services.event_stream.bell
            await asyncio.wait_for(bell.subscribed.wait(), LIMIT)
            integration_id = await _create(writer.url, "elsewhere")
            message = await stream.next()

    assert message["data"]["data"]["integration_id"] == integration_id


async def test_an_event_committed_after_newer_ones_is_still_sent(app: FastAPI) -> None:
    services = app.state.services
    stream = services.event_stream
    stream.poll_seconds = 0.05  # how often late commits are looked for
    async with services.db.read() as session:
        workspace_id = (await session.scalars(select(Workspace.id))).first()

    def event(name: str) -> EventRecord:
        payload = IntegrationState(integration_id="int_x", name=name, type="http", status="active")
        at = services.clock.now()
        return new_event(workspace_id, EventType.INTEGRATION_ACTIVATED, payload, at=at)

    async def connected() -> bool:
        return False

    older, newer = event("made first"), event("made second")
    assert older.id < newer.id
    cursor = await stream.start(workspace_id, None)
    follow = stream.follow(workspace_id, lambda _type: True, cursor, connected)
    received = []
    async with asyncio.timeout(LIMIT):
        for row in (newer, older):  # committed in the other order, each after the last is sent
            async with services.db.transaction() as session:
                await services.events.publish(session, row)
            received.append(await anext(follow))
    await follow.aclose()

    assert [r.payload["name"] for r in received] == ["made second", "made first"]
