"""OAuth2 refresh through the API: before expiry, once for many callers, rotated refresh tokens
kept, a 401 refreshed and retried, a revoked grant told apart from a passing failure; and the
refresh lease: no database lock held while the token endpoint answers, other processes waiting
on the lease, a lease left by a dead process taken over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import text

from interlink.api.services import Services
from interlink.core.clock import FrozenClock, SystemClock
from interlink.vault.oauth import LEASE, PATIENCE, OAuthRefresher
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
    # When set, a token request waits for `stall` to be set, and says so by setting `entered`.
    stall: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        form = await request.post()
        if self.stall is not None:
            self.entered.set()
            await self.stall.wait()
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
    client: httpx.AsyncClient, provider: OAuthProvider, expires_in: float, *, zone: bool = True
) -> str:
    expires_utc = datetime.now(UTC) + timedelta(seconds=expires_in)
    expires = (expires_utc if zone else expires_utc.replace(tzinfo=None)).isoformat()
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


def _services(client: httpx.AsyncClient) -> Services:
    services: Services = client._transport.app.state.services  # type: ignore[attr-defined]
    return services


async def _stored(client: httpx.AsyncClient, iid: str) -> dict[str, Any]:
    services = _services(client)
    async with services.db.transaction() as session:
        workspace = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
        row = await services.integrations.get(session, workspace, iid)
        return dict(await services.integrations.revealed_credentials(session, row))


async def _credential(client: httpx.AsyncClient, iid: str) -> tuple[str, str]:
    """The workspace and credential ids of an integration's own credential."""
    services = _services(client)
    workspace = data(await client.get("/api/v1/workspaces"))["items"][0]["id"]
    async with services.db.read() as session:
        row = await services.integrations.get(session, workspace, iid)
    assert row.credential_id is not None
    return workspace, row.credential_id


async def _lease(client: httpx.AsyncClient, iid: str) -> tuple[str | None, datetime | None]:
    services = _services(client)
    workspace, credential_id = await _credential(client, iid)
    async with services.db.read() as session:
        row = await services.credentials.get(session, workspace, credential_id)
    return row.refreshing_by, row.refreshing_until


async def _hold_lease(client: httpx.AsyncClient, iid: str, owner: str, until: datetime) -> None:
    """What another process in the middle of a refresh leaves on the row."""
    services = _services(client)
    workspace, credential_id = await _credential(client, iid)
    async with services.db.transaction() as session:
        row = await services.credentials.get(session, workspace, credential_id)
        row.refreshing_by, row.refreshing_until = owner, until


def _other_process(client: httpx.AsyncClient, clock: Any) -> OAuthRefresher:
    """A refresher of its own, as another replica on the same database has."""
    services = _services(client)
    return OAuthRefresher(clock, services.db, services.credentials, services.transport,
                          services.events)  # fmt: skip


class PollingClock(SystemClock):
    """The system clock, telling when code waits on it."""

    def __init__(self) -> None:
        self.waited = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        self.waited.set()
        await super().sleep(seconds)


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


async def test_an_expiry_without_a_time_zone_is_taken_as_utc_not_a_500(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    provider.access = "a1"
    iid = await _integration(client, provider, expires_in=30, zone=False)

    answer = await _call(client, iid)

    assert answer.status_code == 200, answer.text
    assert provider.token_calls == 1  # 30 s from now in UTC: inside the refresh window


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
    assert await _lease(client, iid) == (None, None)


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
    assert await _lease(client, iid) == (None, None)  # freed for the next attempt


async def test_no_database_lock_is_held_while_the_token_endpoint_answers(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=30)
    _, credential_id = await _credential(client, iid)
    provider.stall = asyncio.Event()
    call = asyncio.create_task(_call(client, iid))
    try:
        await asyncio.wait_for(provider.entered.wait(), timeout=10)
        owner, until = await _lease(client, iid)

        # A write of the very row being refreshed: it would wait for a FOR UPDATE row lock on
        # PostgreSQL, and for the one write lock on SQLite, if the refresh held either.
        async def touch() -> None:
            async with _services(client).db.transaction() as session:
                await session.execute(
                    text("UPDATE credentials SET description = 'touched' WHERE id = :id"),
                    {"id": credential_id},
                )

        await asyncio.wait_for(touch(), timeout=5)
    finally:
        provider.stall.set()
    response = await call

    assert owner is not None  # the lease was taken, in a transaction already committed
    assert until is not None
    assert until > datetime.now(UTC)
    assert response.status_code == 200
    assert provider.token_calls == 1
    assert (await _stored(client, iid))["refresh_token"] == "r2"
    assert await _lease(client, iid) == (None, None)  # freed with the new tokens
    async with _services(client).db.read() as session:
        described = await session.execute(
            text("SELECT description FROM credentials WHERE id = :id"), {"id": credential_id}
        )
        assert described.scalar_one() == "touched"  # the store did not undo the other write


async def test_another_process_waits_for_the_lease_then_uses_the_new_tokens(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=-5)  # expired: it cannot be used
    workspace, credential_id = await _credential(client, iid)
    seen = await _stored(client, iid)
    other_clock = PollingClock()
    other = _other_process(client, other_clock)
    provider.stall = asyncio.Event()
    call = asyncio.create_task(_call(client, iid))
    try:
        await asyncio.wait_for(provider.entered.wait(), timeout=10)
        waiting = asyncio.create_task(other.fresh(workspace, credential_id, seen))
        await asyncio.wait_for(other_clock.waited.wait(), timeout=10)  # it polls the lease
        calls_while_held = provider.token_calls
    finally:
        provider.stall.set()
    response, refreshed = await call, await asyncio.wait_for(waiting, timeout=10)

    assert calls_while_held == 1
    assert response.status_code == 200
    assert provider.token_calls == 1  # one refresh for both "processes"
    assert (refreshed["access_token"], refreshed["refresh_token"]) == ("a2", "r2")


async def test_a_lease_left_by_a_dead_process_lapses_and_is_taken_over(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=-5)
    workspace, credential_id = await _credential(client, iid)
    clock = FrozenClock(datetime.now(UTC))
    await _hold_lease(client, iid, "dead-process", clock.now() + LEASE)

    refreshed = await _other_process(client, clock).fresh(
        workspace, credential_id, await _stored(client, iid)
    )

    assert refreshed["access_token"] == "a2"
    assert provider.token_calls == 1
    assert sum(clock.sleeps) == pytest.approx(LEASE.total_seconds())  # polled until it lapsed
    assert (await _stored(client, iid))["refresh_token"] == "r2"
    assert await _lease(client, iid) == (None, None)


async def test_a_token_still_valid_is_used_rather_than_wait_long_for_another_refresh(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=30)  # due, but valid for 30 s
    workspace, credential_id = await _credential(client, iid)
    clock = FrozenClock(datetime.now(UTC))
    await _hold_lease(client, iid, "slow-process", clock.now() + LEASE)

    answer = await _other_process(client, clock).fresh(
        workspace, credential_id, await _stored(client, iid)
    )

    assert answer["access_token"] == "a1"
    assert provider.token_calls == 0
    assert sum(clock.sleeps) == pytest.approx(PATIENCE.total_seconds())
    assert (await _lease(client, iid))[0] == "slow-process"  # not taken from a live holder
