"""Microsoft 365: what is Graph's own. Tokens from the tenant's endpoint (client credentials, a
refresh token), the Teams webhook that never gets the Graph token, where a credential may go,
a next link kept to the integration's Graph, Graph's error codes, and change notifications
(clientState, the validationToken handshake). The rest (fixtures, paging, 401/403/404/429/5xx)
is the contract suite's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from interlink import Microsoft365Integration, Microsoft365IntegrationConfiguration
from interlink.config import TransportSettings
from interlink.core.clock import FrozenClock
from interlink.core.errors import UrlNotAllowed
from interlink.providers.kit.context import ActionContext
from interlink.providers.kit.verifiers import HookReply, IncomingRequest, SignatureRejected
from interlink.providers.microsoft_365 import Microsoft365Connector
from interlink.providers.microsoft_365.models import SendTeamsWebhookInput
from interlink.providers.microsoft_365.verifier import GraphVerifier
from interlink.testing import Fault, Microsoft365Mock, RunningMock, serve_mock, serve_mock_in_thread
from interlink.transport.auth import AllowedHosts
from interlink.transport.breaker import MemoryBreakers
from interlink.transport.client import Transport
from interlink.transport.ratelimit import MemoryBudgetStore, RateLimiter
from interlink.transport.settings import call_settings
from interlink.transport.ssrf import AddressPolicy
from tests.conftest import data, error
from tests.connectors.conftest import create_active, run_operation

TENANT = "contoso.onmicrosoft.com"
GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"
WEBHOOK = "/webhookb2/6d4ce6f8@2a8d4f1c/IncomingWebhook/4f2a9c1b/87d349ed"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CLIENT_STATE = "secretClientValue-4f2a9c1b"


@pytest.fixture
async def graph() -> AsyncIterator[RunningMock[Microsoft365Mock]]:
    async with serve_mock(Microsoft365Mock(messages=12)) as running:
        yield running


def _body(graph: RunningMock[Microsoft365Mock], **credentials: Any) -> dict[str, Any]:
    return {
        "name": "Contoso",
        "type": "microsoft_365",
        "configuration": {"api_url": graph.api_url, "auth_method": "oauth"},
        "credentials": credentials or {"access_token": graph.mock.token},
    }


def _grant(graph: RunningMock[Microsoft365Mock], **fields: str) -> dict[str, Any]:
    mock = graph.mock
    return _body(
        graph, client_id=mock.client_id, client_secret=mock.client_secret,
        token_url=f"{graph.url}/{TENANT}/oauth2/v2.0/token", **fields,
    )  # fmt: skip


async def test_a_client_credentials_grant_gets_an_app_token_at_the_tenants_endpoint(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    body = _grant(
        graph, grant_type="client_credentials", scope="https://graph.microsoft.com/.default"
    )
    body["configuration"]["user"] = "AdeleV@contoso.onmicrosoft.com"  # app-only: no /me
    iid = await create_active(client, body)

    teams = data(await run_operation(client, iid, "list_teams"))["result"]
    run = data(await client.post(f"/api/v1/integrations/{iid}/health/check"))["health_check"]

    [asked, listed, checked] = graph.mock.calls.all()
    assert asked.path == f"/{TENANT}/oauth2/v2.0/token"
    assert asked.form()["grant_type"] == "client_credentials"
    assert listed.path == "/v1.0/users/AdeleV@contoso.onmicrosoft.com/joinedTeams"
    assert listed.headers["Authorization"] == checked.headers["Authorization"]
    assert [t["display_name"] for t in teams["items"]] == ["Contoso Team", "Mark 8 Project Team"]
    by_name = {check["name"]: check for check in run["checks"]}
    assert by_name["rate_limit"]["message"] == "Rate limit: 9998/10000 remaining"
    assert by_name["permissions"]["message"] == (
        "The credentials lack the scopes of: send_channel_message"
    )  # the app token's roles: posting to a channel takes a delegated ChannelMessage.Send


@pytest.mark.parametrize(
    ("api_url", "tenant", "expected"),
    [
        (GRAPH, "contoso.onmicrosoft.com", f"{LOGIN}/contoso.onmicrosoft.com/oauth2/v2.0/token"),
        (
            GRAPH,
            "2a8d4f1c-6a1e-4bde-9d36-5b5c3b1e7a10",
            f"{LOGIN}/2a8d4f1c-6a1e-4bde-9d36-5b5c3b1e7a10/oauth2/v2.0/token",
        ),
        (GRAPH, None, None),  # no tenant: the credential gives its own token_url
        (GRAPH, "evil.example/x?", None),
        ("https://graph.example.com/v1.0", "contoso.onmicrosoft.com", None),
    ],
)
def test_the_token_url_is_the_configured_tenants(
    api_url: str, tenant: str | None, expected: str | None
) -> None:
    configuration = {"tenant": tenant} if tenant else {}

    assert Microsoft365Connector.spec.token_url_for(api_url, configuration) == expected


async def test_a_refused_token_is_refreshed_once_and_the_call_retried(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    body = _grant(graph, access_token="expired-token", refresh_token=graph.mock.first_refresh_token)
    iid = await create_active(client, body)

    found = data(await run_operation(client, iid, "list_messages", limit=3))["result"]

    paths = [call.path for call in graph.mock.calls.all()]
    assert paths == ["/v1.0/me/messages", f"/{TENANT}/oauth2/v2.0/token", "/v1.0/me/messages"]
    assert graph.mock.calls.all()[0].answer.json()["error"]["code"] == "InvalidAuthenticationToken"  # type: ignore[union-attr]
    assert len(found["items"]) == 3


async def test_the_seeds_oauth_shape_works_as_it_is(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    body = _body(
        graph, access_token=graph.mock.token, token_type="bearer",
        refresh_token="your-refresh-token", expires_at="2030-12-31T23:59:59Z",
    )  # fmt: skip
    body["configuration"] |= {"request_timeout": 30, "rate_limit_per_hour": 5000}
    iid = await create_active(client, body)

    found = data(await run_operation(client, iid, "list_events", limit=1))["result"]

    assert [e["subject"] for e in found["items"]] == ["Seeded meeting 1"]


async def test_a_wrong_client_secret_is_authentication_failed(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    body = _grant(
        graph, grant_type="client_credentials", scope="https://graph.microsoft.com/.default"
    )
    body["credentials"]["client_secret"] = "not-the-secret"
    iid = await create_active(client, body)

    response = await run_operation(client, iid, "list_channels", team_id="x")

    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert "not-the-secret" not in response.text


async def test_the_teams_webhook_gets_the_card_and_never_the_graph_token(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    iid = await create_active(client, _body(graph))
    elsewhere = f"http://localhost:{graph.port}{WEBHOOK}"  # another host than the API's

    sent = data(await run_operation(client, iid, "send_teams_webhook", url=elsewhere, text="Hi"))

    [posted] = graph.mock.calls.all()
    assert "Authorization" not in posted.headers
    assert posted.json()["attachments"][0]["content"]["body"][0]["text"] == "Hi"
    assert sent["result"] == {"status": 200}


async def test_a_graph_call_to_another_host_is_refused_before_it_is_sent(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    iid = await create_active(client, _body(graph))
    cursor = f"http://localhost:{graph.port}/v1.0/me/messages?$skiptoken=x"

    response = await run_operation(client, iid, "list_messages", cursor=cursor)

    assert error(response)["code"] == "INVALID_OPERATION"  # not a next link of its Graph
    assert graph.mock.calls.all() == []


async def test_the_webhook_url_still_passes_the_ssrf_guard() -> None:
    clock = FrozenClock(NOW)
    guarded = Transport(
        clock,
        RateLimiter(MemoryBudgetStore(), clock),
        MemoryBreakers(clock),
        AddressPolicy(allow_private=False),
    )
    settings = call_settings({"api_url": GRAPH}, TransportSettings())
    http = guarded.client(
        "m365", settings, Microsoft365Connector.facts(), {"Authorization": "Bearer t0ken"},
        allowed_hosts=AllowedHosts.of(["graph.microsoft.com"]),
    )  # fmt: skip
    webhook = SendTeamsWebhookInput(url="http://169.254.169.254/webhookb2/x", text="Hi")

    with pytest.raises(UrlNotAllowed):
        await Microsoft365Connector().run("send_teams_webhook", ActionContext(http), webhook)
    await guarded.close()


def test_the_direct_interface_sends_the_webhook_without_the_token() -> None:
    mock = Microsoft365Mock(messages=3)
    with serve_mock_in_thread(mock) as running:
        config = Microsoft365IntegrationConfiguration(
            api_url=running.api_url, access_token=mock.token
        )
        m365 = Microsoft365Integration(config)
        messages = m365.list_messages(limit=10)
        m365.send_teams_webhook(url=running.url + WEBHOOK, title="Deploy", text="Done")
        m365.close()

    assert [m["subject"] for m in messages["items"]] == [f"Seeded message {n}" for n in (1, 2, 3)]
    assert "Authorization" not in mock.calls.last.headers


async def test_graphs_error_code_for_a_malformed_id_is_not_found(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    iid = await create_active(client, _body(graph))
    body = b'{"error": {"code": "ErrorInvalidIdMalformed", "message": "Id is malformed."}}'
    graph.mock.faults.add(Fault.error(400, body), times=1)

    response = await run_operation(client, iid, "list_messages", folder="AAMk")

    assert error(response)["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert error(response)["message"].endswith("(GET answered 400: Id is malformed.)")


async def test_a_503_is_waited_out_for_its_retry_after_and_read_again(
    client: httpx.AsyncClient, graph: RunningMock[Microsoft365Mock]
) -> None:
    iid = await create_active(client, _body(graph))
    graph.mock.faults.add(Fault.error(503), times=1)

    found = data(await run_operation(client, iid, "list_events", limit=2))["result"]

    [refused, answered] = graph.mock.calls.all()
    assert refused.answer.headers["Retry-After"] == "2"  # type: ignore[union-attr]
    assert answered.answer.status == 200  # type: ignore[union-attr]
    assert len(found["items"]) == 2


# -- change notifications ----------------------------------------------------------------------
def _notification(state: str, change: str = "created") -> dict[str, Any]:
    return {
        "subscriptionId": "7f105c7d-2dc5-4530-97cd-4e7ae6534c07", "changeType": change,
        "clientState": state, "resource": "Users/87d349ed/Messages/AAMkAGUwNj",
        "subscriptionExpirationDateTime": "2026-03-03T18:23:45.9356913Z",
        "resourceData": {"@odata.type": "#Microsoft.Graph.Message", "id": "AAMkAGUwNj"},
        "tenantId": "2a8d4f1c-6a1e-4bde-9d36-5b5c3b1e7a10",
    }  # fmt: skip


def _incoming(body: bytes, query: dict[str, str] | None = None) -> IncomingRequest:
    credentials = {"client_state": CLIENT_STATE}
    return IncomingRequest(body, {}, {}, credentials, NOW, query or {})


def test_the_validation_token_is_echoed_as_text_and_nothing_is_stored() -> None:
    hook = GraphVerifier().verify(_incoming(b"", {"validationToken": "Validation: Testing <b>"}))

    assert hook.handshake
    assert hook.reply == HookReply(text="Validation: Testing <b>")


def test_notifications_holding_the_client_state_are_accepted_without_it() -> None:
    body = {"value": [_notification(CLIENT_STATE), _notification(CLIENT_STATE)]}
    hook = GraphVerifier().verify(_incoming(json.dumps(body).encode()))

    assert hook.event == "created"
    assert hook.reply == HookReply(status_code=202)
    assert CLIENT_STATE not in json.dumps(hook.payload)


@pytest.mark.parametrize(
    "notes",
    [
        [{"changeType": "created"}],  # no clientState
        [{"changeType": "created", "clientState": "guessed"}],
        [{"changeType": "created", "clientState": CLIENT_STATE}, {"clientState": "guessed"}],
        [],
    ],
)
def test_a_notification_without_the_client_state_is_refused(notes: list[Any]) -> None:
    with pytest.raises(SignatureRejected):
        GraphVerifier().verify(_incoming(json.dumps({"value": notes}).encode()))


async def test_the_hook_endpoint_answers_the_handshake_and_stores_a_notification(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    body = {"name": "M365", "type": "microsoft_365",
            "credentials": {"access_token": "t", "client_state": CLIENT_STATE}}  # fmt: skip
    iid = data(await client.post("/api/v1/integrations", json=body))["id"]
    url = f"/api/v1/hooks/{iid}"

    echoed = await anonymous.post(url, params={"validationToken": "abc 123"}, content=b"")
    noted = await anonymous.post(url, json={"value": [_notification(CLIENT_STATE, "updated")]})
    forged = await anonymous.post(url, json={"value": [_notification("guess", "deleted")]})
    events = data(await client.get("/api/v1/events", params={"integration_id": iid}))["items"]

    assert (echoed.status_code, echoed.headers["content-type"]) == (
        200,
        "text/plain; charset=utf-8",
    )
    assert echoed.text == "abc 123"
    assert (noted.status_code, forged.status_code) == (202, 401)
    [event] = [e for e in events if e["event"].startswith("provider.")]
    assert event["event"] == "provider.microsoft_365.updated"
    assert "clientState" not in event["data"]["body"]["value"][0]
