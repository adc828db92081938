"""What is HubSpot's own, through the API against the HubSpot mock (the contract suite covers the
rest): an OAuth token refreshed at `/oauth/v1/token`, a private app's token, the ten-second and
daily windows (waited out, or failed at once), health's rate limit and scopes, the search's
offset cursor, and signature v3 on incoming webhooks.

The app and the mock share one FrozenClock: waiting for HubSpot's window moves the clock."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from interlink.core.clock import FrozenClock
from interlink.testing import HubSpotMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
HOOK_URL = "https://interlink.example.com/api/v1/hooks/hubspot%3Fportal%3D1"
SECRET = "app-client-secret"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
async def hubspot(clock: FrozenClock) -> AsyncIterator[RunningMock[HubSpotMock]]:
    async with serve_mock(HubSpotMock(clock=clock)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock], auth: str = "oauth", **creds: Any
) -> str:
    credentials = hubspot.mock.integration_credentials(auth) | creds
    body = {
        "name": "HubSpot",
        "type": "hubspot",
        "configuration": {"api_url": hubspot.api_url, "auth_method": auth},
        "credentials": credentials,
    }
    return await create_active(client, body)


async def _oauth(client: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock], **creds: Any) -> str:
    mock = hubspot.mock
    grant = {
        "access_token": "expired-access-token", "refresh_token": mock.refresh_token,
        "client_id": mock.client_id, "client_secret": mock.client_secret,
        "token_url": f"{hubspot.api_url}/oauth/v1/token",
    }  # fmt: skip
    return await _integration(client, hubspot, **(grant | creds))


async def test_a_refused_oauth_token_is_refreshed_at_hubspots_token_endpoint(
    client: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock]
) -> None:
    iid = await _oauth(client, hubspot)

    response = await _run(client, iid, "get_contact", contact_id="3")

    assert data(response)["result"]["properties"]["email"] == "contact3@example.com"
    assert hubspot.mock.calls.count("/oauth/v1/token", "POST") == 1
    assert hubspot.mock.calls.last.headers["Authorization"] == "Bearer mock-oauth-access-1"


async def test_the_seeds_shapes_an_expired_token_is_refreshed_before_the_call(
    client: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock]
) -> None:
    mock = hubspot.mock
    body = {
        "name": "HubSpot Integration",
        "type": "hubspot",
        "configuration": {"api_url": hubspot.api_url, "auth_method": "oauth",
                          "request_timeout": 30, "rate_limit_per_hour": 5000},
        "credentials": {"access_token": mock.token, "token_type": "bearer",
                        "refresh_token": mock.refresh_token, "expires_at": "2023-12-31T23:59:59Z",
                        "client_id": mock.client_id, "client_secret": mock.client_secret,
                        "token_url": f"{hubspot.api_url}/oauth/v1/token"},
    }  # fmt: skip
    iid = await create_active(client, body)

    response = await _run(client, iid, "create_contact", email="new@example.com")

    assert data(response)["result"]["properties"]["email"] == "new@example.com"
    assert [c.path for c in mock.calls.all()] == ["/oauth/v1/token", "/crm/v3/objects/contacts"]


async def test_a_refresh_token_hubspot_refuses_is_authentication_failed(
    client: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock]
) -> None:
    iid = await _oauth(client, hubspot, refresh_token="revoked")

    response = await _run(client, iid, "get_contact", contact_id="3")

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert "revoked" not in response.text


async def test_health_reports_the_tighter_window_and_a_private_apps_scopes(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    async with serve_mock(HubSpotMock(clock=clock, daily_limit=50)) as hubspot:
        iid = await _integration(client, hubspot, "api_key")
        assert (await _run(client, iid, "get_contact", contact_id="3")).status_code == 200

        run = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))["health_check"]

    checks = {check["name"]: check for check in run["checks"]}
    assert (
        hubspot.mock.calls.last.headers["Authorization"]
        == f"Bearer {hubspot.mock.private_app_token}"
    )
    assert checks["rate_limit"]["message"] == "Rate limit: 48/50 remaining"  # the day, not 98/100
    assert checks["permissions"]["status"] == "passed"
    assert checks["authentication"]["status"] == "passed"
    assert hubspot.mock.calls.count("/oauth/v2/private-apps/get/access-token-info") == 1


async def test_an_oauth_tokens_scopes_are_read_from_its_metadata(
    client: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock]
) -> None:
    iid = await _integration(client, hubspot)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]
    run = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))["health_check"]

    assert tested["message"].endswith("Authenticated to HubSpot account 62515")
    assert {c["name"]: c["status"] for c in run["checks"]}["permissions"] == "passed"
    assert hubspot.mock.token not in json.dumps([tested, run])


async def test_a_spent_ten_second_window_pauses_the_next_call_for_its_interval(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    async with serve_mock(HubSpotMock(clock=clock, rate_limit=2)) as hubspot:
        iid = await _integration(client, hubspot)
        answers = [await _run(client, iid, "get_contact", contact_id=str(n)) for n in (1, 2, 3)]

    assert [r.status_code for r in answers] == [200, 200, 200]
    assert clock.sleeps == [10.0]  # X-HubSpot-RateLimit-Remaining: 0, Interval-Milliseconds: 10000
    assert hubspot.mock.calls.count("/crm/v3/objects/contacts/3") == 1  # no 429 on the way


async def test_a_spent_day_fails_at_once_without_waiting(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    async with serve_mock(HubSpotMock(clock=clock, daily_limit=1)) as hubspot:
        iid = await _integration(client, hubspot, "api_key")
        first = await _run(client, iid, "get_contact", contact_id="1")
        second = await _run(client, iid, "get_contact", contact_id="2")

    assert first.status_code == 200
    assert error(second)["code"] == "RATE_LIMIT_EXCEEDED"
    assert "You have reached your daily limit." in json.dumps(error(second))
    assert (clock.sleeps, hubspot.mock.calls.count("/crm/v3/objects/contacts/2")) == ([], 1)


async def test_a_search_reads_on_from_its_after_offset(
    client: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock]
) -> None:
    iid = await _integration(client, hubspot)
    search = {"query": "example.com", "page_size": 50}

    first = data(await _run(client, iid, "search_contacts", **search, limit=60))["result"]
    rest = data(await _run(client, iid, "search_contacts", **search, after=first["after"]))

    ids = [r["id"] for r in first["results"] + rest["result"]["results"]]
    assert (first["after"], len(ids), len(set(ids))) == ("60", 120, 120)
    assert rest["result"]["after"] is None


def _signed(body: bytes, at: datetime, url: str = HOOK_URL) -> dict[str, str]:
    # As HubSpot documents v3: base64 HMAC-SHA256 of POST + URI (some escapes decoded: %3F
    # is, %3D is not) + body + timestamp in milliseconds, with the app's client secret.
    stamp = str(int(at.timestamp() * 1000))
    uri = url.replace("%3F", "?")
    digest = hmac.new(SECRET.encode(), b"POST" + uri.encode() + body + stamp.encode(),
                      hashlib.sha256).digest()  # fmt: skip
    return {"X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
            "X-HubSpot-Request-Timestamp": stamp}  # fmt: skip


async def test_a_signed_batch_of_events_is_received_and_a_stale_one_refused(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock]
) -> None:
    iid = await _integration(client, hubspot, client_secret=SECRET)
    await client.patch(
        f"/api/v1/integrations/{iid}", json={"configuration": {"webhook": {"url": HOOK_URL}}}
    )
    events = [{"eventId": n, "subscriptionType": "contact.creation", "objectId": n} for n in (1, 2)]
    body = json.dumps(events).encode()

    fresh = await anonymous.post(f"/api/v1/hooks/{iid}", content=body, headers=_signed(body, NOW))
    stale = await anonymous.post(
        f"/api/v1/hooks/{iid}", content=body, headers=_signed(body, NOW - timedelta(minutes=6))
    )

    assert fresh.status_code == 200, fresh.text
    assert data(fresh)["event"] == "provider.hubspot.contact.creation"
    assert stale.status_code == 401


async def test_a_hook_is_refused_until_the_url_hubspot_calls_is_configured(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, hubspot: RunningMock[HubSpotMock]
) -> None:
    iid = await _integration(client, hubspot, client_secret=SECRET)
    body = b'[{"eventId": 1, "subscriptionType": "deal.creation"}]'

    response = await anonymous.post(
        f"/api/v1/hooks/{iid}", content=body, headers=_signed(body, NOW)
    )

    assert response.status_code == 401  # it cannot sign the URI without knowing it
