"""OAuth2 refresh through the API: before expiry, once for many callers, rotated refresh tokens
kept, a 401 refreshed and retried, a revoked grant told apart from a passing failure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.conftest import data, error


@dataclass
class OAuthProvider:
    """A token endpoint that rotates refresh tokens, and a resource that wants the live token."""

    url: str = ""
    access: str = "a1"
    refresh: str = "r1"
    generation: int = 1
    token_calls: int = 0
    resource_tokens: list[str] = field(default_factory=list)
    mode: str = "ok"  # ok | revoked | down

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        form = await request.post()
        if self.mode == "down":
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        if self.mode == "revoked" or form.get("refresh_token") != self.refresh:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "revoked"}, status=400
            )
        await asyncio.sleep(0)  # let concurrent callers pile up behind the lock
        self.generation += 1
        self.access, self.refresh = f"a{self.generation}", f"r{self.generation}"
        return web.json_response(
            {"access_token": self.access, "token_type": "bearer", "expires_in": 3600,
             "refresh_token": self.refresh}
        )  # fmt: skip

    async def resource(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.resource_tokens.append(token)
        if token != self.access:
            return web.json_response({"message": "token expired"}, status=401)
        return web.json_response({"ok": True})


@pytest.fixture
async def provider() -> AsyncIterator[OAuthProvider]:
    oauth = OAuthProvider()
    app = web.Application()
    app.router.add_post("/oauth/token", oauth.token)
    app.router.add_get("/resource", oauth.resource)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    oauth.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield oauth
    await runner.cleanup()


async def _integration(
    client: httpx.AsyncClient, provider: OAuthProvider, expires_in: float
) -> str:
    expires = (datetime.now(UTC) + timedelta(seconds=expires_in)).isoformat()
    body = {
        "name": "OAuth API",
        "type": "http",
        "configuration": {"api_url": provider.url, "auth_method": "oauth"},
        "credentials": {
            "access_token": provider.access, "token_type": "bearer",
            "refresh_token": provider.refresh, "expires_at": expires,
            "token_url": f"{provider.url}/oauth/token", "client_id": "client",
            "client_secret": "secret",
        },
    }  # fmt: skip
    created = data(await client.post("/api/v1/integrations", json=body))
    await client.post(f"/api/v1/integrations/{created['id']}/activate")
    return str(created["id"])


async def _call(client: httpx.AsyncClient, iid: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": "/resource"}}
    )


async def _stored(client: httpx.AsyncClient, iid: str) -> dict[str, Any]:
    services = client._transport.app.state.services  # type: ignore[attr-defined]
    async with services.db.transaction() as session:
        workspace = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
        row = await services.integrations.get(session, workspace, iid)
        return dict(await services.integrations.revealed_credentials(session, row))


async def test_a_token_near_expiry_is_refreshed_once_for_many_concurrent_calls(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    provider.access = "a1"
    iid = await _integration(client, provider, expires_in=30)  # inside the 60 s refresh window

    answers = await asyncio.gather(*[_call(client, iid) for _ in range(8)])

    assert [a.status_code for a in answers] == [200] * 8
    assert provider.token_calls == 1
    assert set(provider.resource_tokens) == {"a2"}
    stored = await _stored(client, iid)
    assert stored["access_token"] == "a2"
    assert stored["refresh_token"] == "r2"  # the rotated one is kept
    assert datetime.fromisoformat(stored["expires_at"].replace("Z", "+00:00")) > datetime.now(UTC)


async def test_a_fresh_token_is_not_refreshed(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=3600)

    await _call(client, iid)

    assert provider.token_calls == 0
    assert provider.resource_tokens == ["a1"]


async def test_a_401_refreshes_and_retries_once(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=3600)
    provider.access = "a-rotated-elsewhere"  # the provider stopped accepting a1 early

    response = await _call(client, iid)

    assert response.status_code == 200
    assert provider.token_calls == 1
    assert provider.resource_tokens == ["a1", "a2"]


async def test_a_revoked_grant_is_authentication_failed_with_an_event(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=10)
    provider.mode = "revoked"

    response = await _call(client, iid)

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert "reconnect" in error(response)["message"]
    assert provider.resource_tokens == []
    failed = data(await client.get("/api/v1/events?type=credential.refresh_failed"))["items"]
    assert len(failed) == 1
    assert failed[0]["data"]["reason"] == "revoked"
    assert "secret" not in str(failed[0])


async def test_a_token_endpoint_outage_is_a_passing_failure_without_the_revoked_event(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=10)
    provider.mode = "down"

    response = await _call(client, iid)

    assert response.status_code == 502
    assert error(response)["code"] == "EXTERNAL_SERVICE_ERROR"
    assert data(await client.get("/api/v1/events?type=credential.refresh_failed"))["items"] == []
    assert (await _stored(client, iid))["refresh_token"] == "r1"
