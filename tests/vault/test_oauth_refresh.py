"""OAuth2 refresh through the API: before expiry, once for many callers, rotated refresh tokens
kept, a 401 refreshed and retried, a revoked grant told apart from a passing failure; at the
credential's own token URL or else its provider's; an expired token that cannot be refreshed
refused, not sent, and health saying so; and the refresh lease: no database lock held while the
token endpoint answers, other processes waiting on the lease, a lease left by a dead process
taken over."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlalchemy import text

from interlink.api.services import Services
from interlink.core.clock import FrozenClock, SystemClock
from interlink.providers.registry import default_registry
from interlink.vault.oauth import LEASE, PATIENCE, OAuthRefresher
from tests.conftest import data, error
from tests.helpers.integrations import create_active
from tests.helpers.servers import serve_app


@dataclass
class OAuthProvider:
    """A token endpoint that rotates refresh tokens, and a resource that wants the live token."""

    url: str = ""
    access: str = "a1"
    refresh: str = "r1"
    generation: int = 1
    token_calls: int = 0
    token_paths: list[str] = field(default_factory=list)
    resource_tokens: list[str] = field(default_factory=list)
    mode: str = "ok"  # ok | revoked | down | echo (refuses, quoting the refresh token)
    expires_in: int | None = 3600
    # When set, a token request waits for `stall` to be set, and says so by setting `entered`.
    stall: asyncio.Event | None = None
    entered: asyncio.Event = field(default_factory=asyncio.Event)

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        self.token_paths.append(request.path)
        form = await request.post()
        if self.stall is not None:
            self.entered.set()
            await self.stall.wait()
        if self.mode == "down":
            return web.json_response({"error": "temporarily_unavailable"}, status=503)
        if self.mode == "echo":
            description = f"refresh token {form.get('refresh_token')} is revoked"
            return web.json_response(
                {"error": "invalid_grant", "error_description": description}, status=400
            )
        if self.mode == "revoked" or form.get("refresh_token") != self.refresh:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "revoked"}, status=400
            )
        await asyncio.sleep(0)  # let concurrent callers pile up behind the lock
        self.generation += 1
        self.access, self.refresh = f"a{self.generation}", f"r{self.generation}"
        expiry = {"expires_in": self.expires_in} if self.expires_in is not None else {}
        return web.json_response(
            {"access_token": self.access, "token_type": "bearer", "refresh_token": self.refresh,
             **expiry}
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
    app.router.add_post("/provider/token", oauth.token)  # the provider's well-known one
    app.router.add_get("/resource", oauth.resource)
    async with serve_app(app) as url:
        oauth.url = url
        yield oauth


# A provider whose OAuth facts name the mock's token endpoint, installed as a third party would.
OAUTHCO = '''
from typing import ClassVar

from pydantic import BaseModel

from interlink.providers.kit.action import CheckResult, Connector, action
from interlink.providers.kit.types import IntegrationType, OAuthFacts


class FetchInput(BaseModel):
    path: str = "/resource"


class Fetched(BaseModel):
    ok: bool


class OAuthCoConnector(Connector):
    spec: ClassVar[IntegrationType] = IntegrationType(
        "oauthco", "OAuthCo", "An API with well-known OAuth endpoints", "{api}", "oauth",
        ("oauth",), oauth=OAuthFacts("{api}/oauth/authorize", "{api}/provider/token"),
    )

    @action()
    async def request(self, ctx, params: FetchInput) -> Fetched:
        """Reads the resource."""
        return Fetched.model_validate((await ctx.http.get(params.path)).json())

    async def check(self, ctx) -> CheckResult:
        await ctx.http.get("/resource")
        return CheckResult(message="read the resource")
'''


@pytest.fixture
def oauthco(
    provider: OAuthProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    module = f"oauthco_{uuid.uuid4().hex[:12]}"  # a module of its own: its URL is this test's
    (tmp_path / f"{module}.py").write_text(OAUTHCO.replace("{api}", provider.url))
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[interlink.connectors]\noauthco = {module}:OAuthCoConnector\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    default_registry.cache_clear()
    yield
    default_registry.cache_clear()


async def _integration(
    client: httpx.AsyncClient,
    provider: OAuthProvider,
    expires_in: float,
    *,
    zone: bool = True,
    type_: str = "http",
    api_url: str | None = None,
    **credentials: Any,
) -> str:
    """An active integration with an OAuth credential; `credentials` replace or, as None, drop
    fields of the usual one."""
    expires_utc = datetime.now(UTC) + timedelta(seconds=expires_in)
    expires = (expires_utc if zone else expires_utc.replace(tzinfo=None)).isoformat()
    given = {
        "access_token": provider.access, "token_type": "bearer",
        "refresh_token": provider.refresh, "expires_at": expires,
        "token_url": f"{provider.url}/oauth/token", "client_id": "client",
        "client_secret": "secret", **credentials,
    }  # fmt: skip
    body = {
        "name": "OAuth API",
        "type": type_,
        "configuration": {
            "api_url": api_url or provider.url,
            "auth_method": "oauth",
            "health_path": "/resource",  # what the http type's check reads
        },
        "credentials": {name: value for name, value in given.items() if value is not None},
    }
    return await create_active(client, body)


async def _call(client: httpx.AsyncClient, iid: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/integrations/{iid}/operations/request", json={"parameters": {"path": "/resource"}}
    )


async def _health(client: httpx.AsyncClient, iid: str) -> tuple[str, dict[str, dict[str, Any]]]:
    """The health check's status, and its checks by name."""
    answer = await client.post(f"/api/v1/integrations/{iid}/health/check")
    assert answer.status_code == 200, answer.text
    run = data(answer)["health_check"]
    return run["status"], {check["name"]: check for check in run["checks"]}


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


async def test_without_a_token_url_of_its_own_a_credential_is_refreshed_at_its_providers(
    oauthco: None, client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=30, type_="oauthco", token_url=None)

    response = await _call(client, iid)

    assert response.status_code == 200, response.text
    assert provider.token_paths == ["/provider/token"]  # the type's oauth.token_url
    assert provider.resource_tokens == ["a2"]
    assert (await _stored(client, iid))["refresh_token"] == "r2"


async def test_a_credentials_own_token_url_comes_before_its_providers(
    oauthco: None, client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=30, type_="oauthco")

    response = await _call(client, iid)

    assert response.status_code == 200, response.text
    assert provider.token_paths == ["/oauth/token"]


async def test_the_providers_token_url_is_not_used_for_an_api_on_another_host(
    oauthco: None, client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    # Another host (a GitHub Enterprise server, say) runs its own OAuth server: its refresh
    # token is not sent to the provider's.
    elsewhere = provider.url.replace("127.0.0.1", "localhost")
    iid = await _integration(
        client, provider, expires_in=-5, type_="oauthco", api_url=elsewhere, token_url=None
    )

    response = await _call(client, iid)

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert "it has no token_url" in error(response)["message"]
    assert provider.token_calls == 0
    assert provider.resource_tokens == []


@pytest.mark.parametrize(
    ("missing", "reason"),
    [("refresh_token", "it has no refresh_token"), ("token_url", "it has no token_url")],
)
async def test_an_expired_token_that_cannot_be_refreshed_is_refused_not_sent(
    client: httpx.AsyncClient, provider: OAuthProvider, missing: str, reason: str
) -> None:
    iid = await _integration(client, provider, expires_in=-5, **{missing: None})

    response = await _call(client, iid)
    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]

    assert response.status_code == 401
    failure = error(response)
    assert failure["code"] == "AUTHENTICATION_FAILED"
    assert "access token expired at" in failure["message"]
    assert reason in failure["message"]
    assert provider.resource_tokens == []  # the stale token never left
    assert provider.token_calls == 0
    operation_id = next(d["operation_id"] for d in failure["details"] if "operation_id" in d)
    recorded = data(
        await client.get(f"/api/v1/integrations/{iid}/operations/request/{operation_id}")
    )
    assert (recorded["status"], recorded["error"]["code"]) == ("failed", "AUTHENTICATION_FAILED")
    assert tested["success"] is False
    assert reason in tested["message"]


async def test_health_is_unhealthy_when_the_token_expired_and_cannot_be_refreshed(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=-5, refresh_token=None)

    status, checks = await _health(client, iid)

    assert status == "unhealthy"
    assert checks["authentication"]["status"] == "failed"
    assert "cannot be refreshed: it has no refresh_token" in checks["authentication"]["message"]
    assert checks["connection"]["status"] == "skipped"  # nothing was sent
    assert provider.resource_tokens == []
    stored = data(await client.get(f"/api/v1/integrations/{iid}/health"))["health"]
    assert stored["status"] == "unhealthy"


async def test_health_warns_of_a_token_that_expires_within_a_day_and_cannot_be_refreshed(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    soon = await _integration(client, provider, expires_in=3 * 3600, refresh_token=None)
    later = await _integration(client, provider, expires_in=3 * 86400, refresh_token=None)
    refreshable = await _integration(client, provider, expires_in=3 * 3600)

    call = await _call(client, soon)
    soon_status, soon_checks = await _health(client, soon)
    later_status, _ = await _health(client, later)
    refreshable_status, _ = await _health(client, refreshable)

    assert call.status_code == 200  # still valid: it is used
    assert soon_status == "degraded"
    assert soon_checks["authentication"]["status"] == "warning"
    assert "expires at" in soon_checks["authentication"]["message"]
    assert "reconnect the account before then" in soon_checks["authentication"]["message"]
    assert (later_status, refreshable_status) == ("healthy", "healthy")


async def test_health_after_a_revoked_grant_is_unhealthy(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=10)
    provider.mode = "revoked"

    status, checks = await _health(client, iid)

    assert status == "unhealthy"
    assert checks["authentication"]["message"] == "AUTHENTICATION_FAILED: revoked"
    assert provider.resource_tokens == []


async def test_a_refreshed_token_without_an_expiry_does_not_keep_the_old_one(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    iid = await _integration(client, provider, expires_in=10)
    provider.expires_in = None  # the token endpoint says nothing of the new token's lifetime

    answers = [await _call(client, iid) for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3
    assert provider.token_calls == 1  # not refreshed again on every call
    assert "expires_at" not in await _stored(client, iid)


async def test_a_token_endpoint_quoting_the_refresh_token_does_not_spread_it(
    client: httpx.AsyncClient, provider: OAuthProvider
) -> None:
    provider.refresh = "rt_quoted_back_0123456789"
    iid = await _integration(client, provider, expires_in=10)
    provider.mode = "echo"

    response = await _call(client, iid)

    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert provider.refresh not in response.text
    failed = data(await client.get("/api/v1/events?type=credential.refresh_failed"))["items"]
    assert failed[0]["data"]["reason"] == "refresh token •••• is revoked"


@pytest.mark.parametrize(
    ("type_", "api_url", "token_url"),
    [
        ("github", "https://api.github.com", "https://github.com/login/oauth/access_token"),
        ("github", "https://ghe.example.com/api/v3", None),  # Enterprise: its own OAuth server
        ("slack", "https://slack.com/api", "https://slack.com/api/oauth.v2.access"),
        (
            "jira",
            "https://api.atlassian.com/ex/jira/1234",
            "https://auth.atlassian.com/oauth/token",
        ),
        ("jira", "https://your-domain.atlassian.net", None),  # 3LO tokens work at the gateway
        ("http", "https://api.example.com", None),
    ],
)
def test_where_a_credential_without_its_own_token_url_is_refreshed(
    type_: str, api_url: str, token_url: str | None
) -> None:
    spec = default_registry().spec(type_)
    assert spec is not None

    assert spec.token_url_for(api_url) == token_url


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
