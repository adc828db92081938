"""Zendesk's own: the base URL made of `configuration.subdomain` (and where its credential may
go), an API token and an OAuth token as Zendesk takes them, a private comment, the idempotent
ticket creation, the rate headers a check reports, and the webhook signature. The rest (fixtures,
wrong token, 403, 404, 429, 5xx, the limit, secrets) is the contract suite's."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from interlink import ZendeskIntegration, ZendeskIntegrationConfiguration
from interlink.providers.kit.verifiers import IncomingRequest, SignatureRejected
from interlink.providers.zendesk.verifier import ZendeskVerifier
from interlink.testing import Fault, RunningMock, ZendeskMock, serve_mock, serve_mock_in_thread
from tests.conftest import data, error
from tests.connectors.conftest import create_active, run_operation

SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # Zendesk's docs' example secret
NOW = datetime(2026, 3, 25, 5, 9, 27, tzinfo=UTC)


@pytest.fixture
async def zendesk() -> AsyncIterator[RunningMock[ZendeskMock]]:
    async with serve_mock(ZendeskMock(tickets=12)) as running:
        yield running


def _token_credentials(mock: ZendeskMock) -> dict[str, str]:
    return {"username": f"{mock.email}/token", "password": mock.token}


async def _integration(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock], **configuration: Any
) -> str:
    body = {
        "name": "Support",
        "type": "zendesk",
        "configuration": {"api_url": zendesk.api_url, **configuration},
        "credentials": _token_credentials(zendesk.mock),
    }
    return await create_active(client, body)


async def test_the_subdomain_makes_the_api_url_and_the_credentials_only_host(
    client: httpx.AsyncClient,
) -> None:
    body = {
        "name": "Support",
        "type": "zendesk",
        "configuration": {"subdomain": "Acme"},
        "credentials": {"username": "agent@acme.com/token", "password": "t0ken"},
    }

    created = data(await client.post("/api/v1/integrations", json=body))
    patch = {"configuration": {"subdomain": "acme-eu"}}
    moved = data(await client.patch(f"/api/v1/integrations/{created['id']}", json=patch))
    credential = data(await client.get(f"/api/v1/credentials/{created['credential_id']}"))

    assert created["configuration"]["api_url"] == "https://acme.zendesk.com/api/v2"
    assert moved["configuration"]["api_url"] == "https://acme-eu.zendesk.com/api/v2"
    assert credential["allowed_hosts"] == ["acme-eu.zendesk.com"]


@pytest.mark.parametrize("subdomain", ["evil.com/x", "acme.evil", "a@b", "-acme", ""])
async def test_a_subdomain_that_is_not_one_dns_label_is_refused(
    client: httpx.AsyncClient, subdomain: str
) -> None:
    body = {
        "name": "Support",
        "type": "zendesk",
        "configuration": {"subdomain": subdomain},
        "credentials": {"username": "agent@acme.com/token", "password": "t0ken"},
    }

    response = await client.post("/api/v1/integrations", json=body)

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_INTEGRATION_CONFIG"
    assert error(response)["details"][0]["field"] == "configuration.subdomain"


async def test_an_api_token_is_basic_auth_as_email_slash_token(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock]
) -> None:
    # The seed's shapes: basic auth's username and password, request_timeout, rate_limit_per_hour
    seed = {"auth_method": "basic", "request_timeout": 30, "rate_limit_per_hour": 5000}
    iid = await _integration(client, zendesk, **seed)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    sent = zendesk.mock.calls.last.headers["Authorization"]
    pair = f"{zendesk.mock.email}/token:{zendesk.mock.token}".encode()
    assert sent == "Basic " + base64.b64encode(pair).decode()
    assert tested["connection_test"]["message"].endswith("Authenticated as Mock Agent (admin)")


async def test_an_oauth_token_is_a_bearer_token(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock]
) -> None:
    body = {
        "name": "Support",
        "type": "zendesk",
        "configuration": {"api_url": zendesk.api_url, "auth_method": "oauth"},
        "credentials": {"access_token": zendesk.mock.token},
    }
    iid = await create_active(client, body)

    ticket = data(await run_operation(client, iid, "get_ticket", ticket_id=3))["result"]

    assert zendesk.mock.calls.last.headers["Authorization"] == f"Bearer {zendesk.mock.token}"
    assert ticket["subject"] == "Seeded ticket 3"


def _oauth_body(zendesk: RunningMock[ZendeskMock], **credentials: str) -> dict[str, Any]:
    client = zendesk.mock.oauth
    return {
        "name": "Support",
        "type": "zendesk",
        "configuration": {"api_url": zendesk.api_url, "auth_method": "oauth"},
        "credentials": {
            "client_id": client.client_id, "client_secret": client.client_secret,
            "token_url": f"{zendesk.url}/oauth/tokens", **credentials,
        },
    }  # fmt: skip


async def test_a_client_credentials_grant_gets_its_token_at_zendesks_endpoint(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock]
) -> None:
    body = _oauth_body(zendesk, grant_type="client_credentials", scope="tickets:read")
    iid = await create_active(client, body)

    ticket = data(await run_operation(client, iid, "get_ticket", ticket_id=3))["result"]
    run = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))["health_check"]

    [asked] = zendesk.mock.oauth.asked
    assert (asked["grant_type"], asked["scope"]) == ("client_credentials", "tickets:read")
    assert zendesk.mock.calls.last.headers["Authorization"] == "Bearer mock-oauth-token-1"
    assert ticket["id"] == 3
    by_name = {check["name"]: check for check in run["checks"]}
    assert by_name["permissions"]["message"] == (
        "The credentials lack the scopes of: create_ticket, get_user, search, update_ticket"
    )  # read from /oauth/tokens/current: tickets:read opens only the ticket reads


async def test_a_refused_oauth_token_is_refreshed_once_and_the_call_retried(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock]
) -> None:
    body = _oauth_body(zendesk, access_token="revoked", refresh_token="mock-refresh-token")
    iid = await create_active(client, body)

    user = data(await run_operation(client, iid, "get_user", user_id=2))["result"]

    [asked] = zendesk.mock.oauth.asked
    assert (asked["grant_type"], asked["refresh_token"]) == ("refresh_token", "mock-refresh-token")
    assert zendesk.mock.oauth.refresh_tokens == {"mock-refresh-token-1"}  # rotated
    assert user["role"] == "end-user"


async def test_a_private_comment_is_an_internal_note(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock]
) -> None:
    iid = await _integration(client, zendesk)

    await run_operation(client, iid, "update_ticket", ticket_id=2, comment="Vendor", public=False)

    [sent] = zendesk.mock.calls.filter("PUT", "/api/v2/tickets/2")
    assert sent.json() == {"ticket": {"comment": {"body": "Vendor", "public": False}}}
    assert zendesk.mock.tickets[2].comments[-1]["public"] is False


async def test_a_ticket_created_after_a_5xx_is_created_once(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock]
) -> None:
    iid = await _integration(client, zendesk)
    zendesk.mock.faults.add(Fault.error(503), times=1)

    created = data(await run_operation(client, iid, "create_ticket", subject="Hi", body="Help"))

    sent = zendesk.mock.calls.filter("POST", "/api/v2/tickets")
    assert len(sent) == 2
    assert sent[0].headers["Idempotency-Key"] == sent[1].headers["Idempotency-Key"]
    assert created["result"]["id"] == 13
    assert len(zendesk.mock.tickets) == 13


async def test_the_health_check_reports_zendesks_rate_headers(
    client: httpx.AsyncClient, zendesk: RunningMock[ZendeskMock]
) -> None:
    iid = await _integration(client, zendesk)

    run = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))["health_check"]

    by_name = {check["name"]: check for check in run["checks"]}
    assert by_name["rate_limit"]["message"] == "Rate limit: 699/700 remaining"
    assert by_name["permissions"]["message"] == "The provider reports no scopes"  # an API token
    assert zendesk.mock.calls.last.path == "/api/v2/users/me"


def test_the_direct_interface_from_a_plain_script() -> None:
    mock = ZendeskMock(tickets=3)
    with serve_mock_in_thread(mock) as running:
        config = ZendeskIntegrationConfiguration(
            api_url=running.api_url, username=f"{mock.email}/token", password=mock.token
        )
        zendesk = ZendeskIntegration(config)
        page = zendesk.list_tickets(limit=10)
        found = zendesk.search(query="status:pending")
        zendesk.close()

    assert [t["id"] for t in page["tickets"]] == [1, 2, 3]
    assert [r["id"] for r in found["results"]] == [2]


# -- webhooks ----------------------------------------------------------------------------------
def _hook(body: bytes, signature: str, stamp: str = "2026-03-25T05:09:27Z") -> IncomingRequest:
    headers = {
        "x-zendesk-webhook-signature": signature,
        "x-zendesk-webhook-signature-timestamp": stamp,
        "x-zendesk-webhook-invocation-id": "8350205582",
    }
    return IncomingRequest(body, headers, {}, {"webhook_secret": SECRET}, NOW)


def _signed(message: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest()).decode()


def test_a_hook_signed_over_timestamp_and_body_is_verified() -> None:
    body = b'{"type":"zen:event-type:ticket.created","id":"evt-1","detail":{"id":"35"}}'

    hook = ZendeskVerifier().verify(_hook(body, _signed(b"2026-03-25T05:09:27Z" + body)))

    assert (hook.event, hook.delivery_id) == ("zen:event-type:ticket.created", "evt-1")


def test_a_triggers_hook_is_named_trigger_and_keyed_by_its_invocation() -> None:
    body = b'{"ticket": "35"}'

    hook = ZendeskVerifier().verify(_hook(body, _signed(b"2026-03-25T05:09:27Z" + body)))

    assert (hook.event, hook.delivery_id, hook.payload) == (
        "trigger",
        "8350205582",
        {"ticket": "35"},
    )


@pytest.mark.parametrize(
    ("signature", "stamp"),
    [
        (_signed(b'{"a": 1}' + b"2026-03-25T05:09:27Z"), "2026-03-25T05:09:27Z"),  # body first
        (_signed(b"2026-03-25T04:09:27Z" + b'{"a": 1}'), "2026-03-25T04:09:27Z"),  # an hour old
        (_signed(b"1774415367" + b'{"a": 1}'), "1774415367"),  # not ISO 8601
        ("not base64!", "2026-03-25T05:09:27Z"),
    ],
)
def test_a_wrong_stale_or_malformed_signature_is_refused(signature: str, stamp: str) -> None:
    with pytest.raises(SignatureRejected):
        ZendeskVerifier().verify(_hook(b'{"a": 1}', signature, stamp))
