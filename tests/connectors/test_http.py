"""The http connector's `request` action through the API, against the generic HTTP mock on a
loopback socket: absolute URLs and the provider's error bodies. JSON and text answers, the
token, 404, 429 and 5xx are the contract suite's (its fixtures)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.testing import Fault, HttpMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import run_operation
from tests.helpers.integrations import http_integration

TOKEN = "http-mock-token"


@pytest.fixture
async def mock() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock(token=TOKEN)) as running:
        yield running


async def test_an_absolute_url_and_a_json_array(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(client, mock.url, credentials={"api_key": TOKEN})

    run = data(await run_operation(client, iid, "request", url=f"{mock.url}/json-array"))

    assert [item["id"] for item in run["result"]["body"]] == [1, 2, 3]


async def test_an_authentication_failure_keeps_the_providers_message(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(client, mock.url, credentials={"api_key": TOKEN})
    mock.mock.faults.add(Fault.error(401, body=b'{"message": "API key revoked on 2024-05-01"}'))

    response = await run_operation(client, iid, "request", path="/anything/me")

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert {
        "provider_status": 401,
        "provider_message": "API key revoked on 2024-05-01",
    } in error(response)["details"]


async def test_a_provider_error_body_is_kept_in_the_details(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(client, mock.url, credentials={"api_key": TOKEN})
    body = b'{"error": {"type": "invalid_request", "message": "quantity must be positive"}}'
    mock.mock.faults.add(Fault.error(422, body=body), method="POST")

    response = await run_operation(
        client, iid, "request", method="POST", path="/anything/orders", body={"quantity": -1}
    )

    assert response.status_code == 400  # the provider refused the input: not worth a retry
    failure = error(response)
    assert failure["code"] == "INVALID_OPERATION"
    assert {
        "provider_status": 422,
        "provider_message": "quantity must be positive",
    } in failure["details"]
    assert "quantity must be positive" in failure["message"]
    assert mock.mock.calls.count("/anything/orders") == 1
