"""The console's events: the latest with filters, and the live tail, served under the console's
session by the API's own event stream, on a real socket."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
import uvicorn
from fastapi import FastAPI

from interlink.app import create_app
from interlink.config import Settings
from interlink.console.events_pages import REAUTHORIZE
from interlink.core.clock import FrozenClock
from tests.conftest import ADMIN_KEY, data
from tests.console.readers import assert_clean, browser_with
from tests.e2e.server import free_port
from tests.events.test_stream import LIMIT, Listener, serving
from tests.helpers.polling import eventually

_HIDDEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _integration(client: httpx.AsyncClient, name: str) -> str:
    body = {"name": name, "type": "http", "configuration": {"api_url": "https://example.com"}}
    return str(data(await client.post("/api/v1/integrations", json=body))["id"])


async def test_the_latest_events_with_filters(
    client: httpx.AsyncClient, signed_in: httpx.AsyncClient
) -> None:
    first = await _integration(client, "first")
    second = await _integration(client, "second")
    await client.delete(f"/api/v1/integrations/{second}")
    page = await signed_in.get("/console/events")
    assert page.status_code == 200
    assert page.text.count('<tr class="event"') == 3
    assert 'data-tail="/console/events/stream"' in page.text
    assert f'<option value="{first}">first</option>' in page.text
    deleted = await signed_in.get("/console/events?type=integration.deleted")
    assert deleted.text.count('<tr class="event"') == 1
    family = await signed_in.get("/console/events?type=integration.*")
    assert family.text.count('<tr class="event"') == 3
    assert 'data-tail="/console/events/stream?type=integration.%2A"' in family.text
    of_first = await signed_in.get(f"/console/events?integration_id={first}")
    assert of_first.text.count('<tr class="event"') == 1
    assert f"integration_id={first}" in of_first.text
    assert_clean(page.text)
    wrong = await signed_in.get("/console/events?type=<script>")
    assert wrong.status_code == 400


async def test_without_integrations_read_the_page_and_stream_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async with browser_with(app, client, "webhooks:read") as (reader, _):
        assert (await reader.get("/console/events")).status_code == 403
        assert (await reader.get("/console/events/stream")).status_code == 403


async def test_the_stream_needs_a_session(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/console/events/stream")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/sign-in")


@asynccontextmanager
async def _signed_in(url: str) -> AsyncIterator[aiohttp.ClientSession]:
    """A browser on a real socket: the sign-in form, then the session's cookie."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{url}/console/sign-in") as form:
            found = _HIDDEN.search(await form.text())
        assert found
        fields = {"api_key": ADMIN_KEY, "csrf_token": found.group(1), "next": "/"}
        async with http.post(
            f"{url}/console/sign-in", data=fields, allow_redirects=False
        ) as signed:
            assert signed.status == 303
        yield http


async def _create(url: str, name: str) -> str:
    body = {"name": name, "type": "http", "configuration": {"api_url": "https://example.com"}}
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with (
        aiohttp.ClientSession(headers=headers) as http,
        http.post(f"{url}/api/v1/integrations", json=body) as created,
    ):
        assert created.status == 201
        return str((await created.json())["data"]["id"])


async def test_the_live_tail_follows_the_event_stream_under_the_session(
    settings: Settings,
) -> None:
    async with serving(settings) as running, _signed_in(running.url) as http:
        first = await _create(running.url, "first")
        query = f"?type=integration.*&integration_id={first}"
        async with http.get(f"{running.url}/console/events/stream{query}") as response:
            assert response.status == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert "content-security-policy" in response.headers
            stream = Listener(response)
            await _create(running.url, "second")  # another integration: filtered out
            async with aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {ADMIN_KEY}"}
            ) as api:
                await api.post(f"{running.url}/api/v1/integrations/{first}/activate")
            message = await stream.next()
    assert "event" not in message  # unnamed: the page's onmessage gets every one
    assert message["id"].startswith("evt_")
    assert message["data"]["event"] == "integration.activated"
    assert message["data"]["integration_id"] == first


@asynccontextmanager
async def _serving_on(settings: Settings, clock: FrozenClock) -> AsyncIterator[str]:
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, bool, LIMIT)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, LIMIT)


async def test_a_stream_ends_to_be_authorized_again_and_an_ended_session_gets_no_more(
    settings: Settings, clock: FrozenClock
) -> None:
    async with _serving_on(settings, clock) as url, _signed_in(url) as http:
        async with http.get(f"{url}/console/events/stream") as response:
            assert response.status == 200
            clock.advance(REAUTHORIZE.total_seconds())
            async with asyncio.timeout(LIMIT):
                await response.content.read()  # to its end: the server closed it
        async with http.get(f"{url}/console/events/stream") as again:
            assert again.status == 200  # the session is still good: the browser goes on
        async with http.get(f"{url}/console/") as page:
            token = _HIDDEN.search(await page.text())
        assert token
        signed_out = {"csrf_token": token.group(1)}
        async with http.post(f"{url}/console/sign-out", data=signed_out, allow_redirects=False):
            pass
        async with http.get(f"{url}/console/events/stream", allow_redirects=False) as ended:
            assert ended.status == 303
            assert ended.headers["location"].startswith("/console/sign-in")
