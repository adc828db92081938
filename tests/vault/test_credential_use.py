"""Where a credential may go, and who may send it there: binding a stored credential (or moving
the host it is sent to) needs `credentials:use`, a credential is sent only to its allowed hosts
(checked in the transport, before anything leaves), and a redirect to another host leaves it
behind. The upstream is the generic HTTP mock on 127.0.0.1; `localhost` reaches the same server
under another host name, as an attacker's echo server would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from interlink.testing import HttpMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import run_operation
from tests.helpers.integrations import create_active

SECRET = "sk_live_use_test_secret_0123456789"


@pytest.fixture
async def mock() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock(token=SECRET)) as running:
        yield running


def elsewhere(mock: RunningMock[HttpMock], path: str = "/anything") -> str:
    """The same server under a host name the credential was not given."""
    return f"http://localhost:{mock.port}{path}"


async def shared_credential(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Echo API key",
        "type": "api_key",
        "data": {"api_key": SECRET},
        "allowed_hosts": ["127.0.0.1"],
        **fields,
    }
    created: dict[str, Any] = data(await client.post("/api/v1/credentials", json=body))
    return created


def http_body(mock: RunningMock[HttpMock], **fields: Any) -> dict[str, Any]:
    return {
        "name": "Echo",
        "type": "http",
        "configuration": {"api_url": mock.url, "auth_method": "api_key"},
        **fields,
    }


async def test_binding_a_credential_needs_credentials_use(
    client: httpx.AsyncClient, key_client: Callable[..., Any], mock: RunningMock[HttpMock]
) -> None:
    credential = await shared_credential(client)
    writer = await key_client("integrations:read", "integrations:write")
    bound = http_body(mock, credential_id=credential["id"])

    refused = await writer.post("/api/v1/integrations", json=bound)
    existing = data(await writer.post("/api/v1/integrations", json=http_body(mock)))
    switched = await writer.patch(
        f"/api/v1/integrations/{existing['id']}", json={"credential_id": credential["id"]}
    )

    assert (refused.status_code, error(refused)["code"]) == (403, "FORBIDDEN")
    assert "credentials:use" in error(refused)["message"]
    assert (switched.status_code, error(switched)["code"]) == (403, "FORBIDDEN")
    listed = data(await writer.get("/api/v1/integrations"))["items"]
    assert [i["id"] for i in listed] == [existing["id"]]  # nothing else was made
    assert data(await writer.get(f"/api/v1/integrations/{existing['id']}"))["credential_id"] is None


async def test_a_key_with_credentials_use_binds_and_calls_the_credentials_host(
    client: httpx.AsyncClient, key_client: Callable[..., Any], mock: RunningMock[HttpMock]
) -> None:
    credential = await shared_credential(client)
    user = await key_client("integrations:read", "integrations:write", "credentials:use")

    iid = await create_active(user, http_body(mock, credential_id=credential["id"]))
    run = data(await run_operation(user, iid, "request", path="/anything"))

    assert run["result"]["body"]["headers"]["Authorization"] == "Bearer ••••"
    assert mock.mock.calls.count("/anything") == 1


async def test_a_credential_is_not_sent_to_a_host_it_was_not_given(
    client: httpx.AsyncClient, key_client: Callable[..., Any], mock: RunningMock[HttpMock]
) -> None:
    credential = await shared_credential(client)
    iid = await create_active(client, http_body(mock, credential_id=credential["id"]))
    operator = await key_client("integrations:read", "integrations:write")

    refused = await run_operation(operator, iid, "request", url=elsewhere(mock))

    assert refused.status_code == 403
    found = error(refused)
    assert found["code"] == "CREDENTIAL_HOST_NOT_ALLOWED"
    assert {"host": "localhost", "allowed_hosts": ["127.0.0.1"]} in found["details"]
    assert mock.mock.calls.count() == 0  # nothing left this server
    history = data(await operator.get(f"/api/v1/integrations/{iid}/operations/history"))
    assert history["items"][0]["error"]["code"] == "CREDENTIAL_HOST_NOT_ALLOWED"


async def test_moving_an_integration_with_a_credential_to_another_host_needs_credentials_use(
    client: httpx.AsyncClient, key_client: Callable[..., Any], mock: RunningMock[HttpMock]
) -> None:
    credential = await shared_credential(client)
    iid = await create_active(client, http_body(mock, credential_id=credential["id"]))
    writer = await key_client("integrations:read", "integrations:write")
    moved = {"configuration": {"api_url": elsewhere(mock, "")}}

    refused = await writer.patch(f"/api/v1/integrations/{iid}", json=moved)
    renamed = await writer.patch(f"/api/v1/integrations/{iid}", json={"name": "Renamed"})
    accepted = await client.patch(f"/api/v1/integrations/{iid}", json=moved)
    call = await run_operation(client, iid, "request", path="/anything")

    assert (refused.status_code, error(refused)["code"]) == (403, "FORBIDDEN")
    assert renamed.status_code == 200  # the same host: no credential moves
    assert accepted.status_code == 200
    # The shared credential keeps its own hosts: the integration may move, the secret does not.
    assert (call.status_code, error(call)["code"]) == (403, "CREDENTIAL_HOST_NOT_ALLOWED")
    assert mock.mock.calls.count() == 0


async def test_an_inline_credential_goes_to_its_integrations_host_and_follows_it(
    client: httpx.AsyncClient, key_client: Callable[..., Any], mock: RunningMock[HttpMock]
) -> None:
    writer = await key_client("integrations:read", "integrations:write")
    iid = await create_active(writer, http_body(mock, credentials={"api_key": SECRET}))

    away = await run_operation(writer, iid, "request", url=elsewhere(mock))
    home = await run_operation(writer, iid, "request", path="/anything")
    moved = {"configuration": {"api_url": elsewhere(mock, "")}}
    refused = await writer.patch(f"/api/v1/integrations/{iid}", json=moved)
    await client.patch(f"/api/v1/integrations/{iid}", json=moved)
    there = await run_operation(writer, iid, "request", path="/anything")
    back = await run_operation(writer, iid, "request", url=f"{mock.url}/anything")

    assert error(away)["code"] == "CREDENTIAL_HOST_NOT_ALLOWED"
    assert home.status_code == 200
    assert (refused.status_code, error(refused)["code"]) == (403, "FORBIDDEN")
    assert there.status_code == 200
    assert error(back)["code"] == "CREDENTIAL_HOST_NOT_ALLOWED"
    assert mock.mock.calls.count("/anything") == 2
    owned = data(await client.get(f"/api/v1/integrations/{iid}"))["credential_id"]
    assert data(await client.get(f"/api/v1/credentials/{owned}"))["allowed_hosts"] == ["localhost"]


@pytest.mark.parametrize("header", ["Authorization", "X-Api-Key"])
async def test_a_redirect_to_another_host_leaves_the_credential_behind(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock], header: str
) -> None:
    credentials = {"api_key": SECRET, "header_name": header}
    iid = await create_active(client, http_body(mock, credentials=credentials))

    same = data(await run_operation(client, iid, "request", path="/redirect?to=/anything"))
    away = data(
        await run_operation(client, iid, "request", path="/redirect", query={"to": elsewhere(mock)})
    )

    assert header in same["result"]["body"]["headers"]  # same host: still authenticated
    assert header not in away["result"]["body"]["headers"]
    assert away["result"]["body"]["url"].startswith("http://localhost:")


async def test_allowed_hosts_given_at_create_or_the_providers_api_host(
    client: httpx.AsyncClient,
) -> None:
    given = await shared_credential(client, allowed_hosts=["API.Example.com.", "*.example.org"])
    github = await shared_credential(client, provider="github", allowed_hosts=None)
    unknown = await shared_credential(client, allowed_hosts=None)
    bad = await client.post(
        "/api/v1/credentials",
        json={"name": "x", "type": "api_key", "data": {"api_key": SECRET},
              "allowed_hosts": ["https://api.example.com/v1"]},
    )  # fmt: skip

    assert given["allowed_hosts"] == ["*.example.org", "api.example.com"]
    assert github["allowed_hosts"] == ["api.github.com"]
    assert unknown["allowed_hosts"] == []
    assert bad.status_code == 400
    assert any("allowed_hosts" in str(d.get("field")) for d in error(bad)["details"])


async def test_sending_a_credential_to_more_hosts_needs_credentials_use(
    client: httpx.AsyncClient, key_client: Callable[..., Any]
) -> None:
    credential = await shared_credential(client, allowed_hosts=["a.example.com", "b.example.com"])
    writer = await key_client("credentials:read", "credentials:write")
    path = f"/api/v1/credentials/{credential['id']}"

    narrowed = await writer.put(path, json={"allowed_hosts": ["a.example.com"]})
    widened = await writer.put(path, json={"allowed_hosts": ["a.example.com", "evil.example"]})
    by_provider = await writer.put(path, json={"provider": "github", "allowed_hosts": None})

    assert data(narrowed)["allowed_hosts"] == ["a.example.com"]
    assert (widened.status_code, error(widened)["code"]) == (403, "FORBIDDEN")
    assert (by_provider.status_code, error(by_provider)["code"]) == (403, "FORBIDDEN")
    assert data(await writer.get(path))["allowed_hosts"] == ["a.example.com"]  # unchanged
