"""The http connector's `request` action through the API, against the generic HTTP mock on a
loopback socket: JSON and text answers, authentication, and the provider's error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interlink.testing import Fault, HttpMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import create_active, run_operation

TOKEN = "http-mock-token"


@pytest.fixture
async def mock() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock(token=TOKEN)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock], key: str = TOKEN, **config: Any
) -> str:
    body = {
        "name": "Any API",
        "type": "http",
        "configuration": {"api_url": mock.url, "auth_method": "api_key", **config},
        "credentials": {"api_key": key},
    }
    return await create_active(client, body)


async def test_a_json_answer_is_the_parsed_result(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await _integration(client, mock)

    run = data(
        await run_operation(
            client, iid, "request", method="POST", path="/anything/orders",
            query={"dry_run": "1"}, headers={"X-Request-Source": "tests"},
            body={"sku": "A-1", "quantity": 2},
        )
    )  # fmt: skip

    result = run["result"]
    assert run["status"] == "completed"
    assert result["status"] == 200
    assert result["headers"]["content-type"].startswith("application/json")
    echo = result["body"]
    assert (echo["method"], echo["path"]) == ("POST", "/anything/orders")
    assert echo["query"] == {"dry_run": ["1"]}
    assert echo["json"] == {"sku": "A-1", "quantity": 2}
    assert echo["headers"]["X-Request-Source"] == "tests"
    assert echo["headers"]["Authorization"] == "Bearer ••••"  # sent, and masked in the result


async def test_an_absolute_url_and_a_json_array(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await _integration(client, mock)

    run = data(await run_operation(client, iid, "request", url=f"{mock.url}/json-array"))

    assert [item["id"] for item in run["result"]["body"]] == [1, 2, 3]


async def test_a_text_answer_is_returned_as_text(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await _integration(client, mock)

    run = data(await run_operation(client, iid, "request", path="/text"))

    assert run["result"]["body"] == "hello from the mock upstream\n"
    assert run["result"]["headers"]["content-type"].startswith("text/plain")


async def test_the_right_key_authenticates_and_a_wrong_one_is_authentication_failed(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    good = await _integration(client, mock)
    bad = await _integration(client, mock, key="not-the-token")

    accepted = data(await run_operation(client, good, "request", path="/bearer"))
    refused = await run_operation(client, bad, "request", path="/bearer")

    assert accepted["result"]["body"] == {"authenticated": True, "token": "••••"}  # echo masked
    assert refused.status_code == 401
    assert error(refused)["code"] == "AUTHENTICATION_FAILED"
    assert {"provider_status": 401} in error(refused)["details"]
    assert mock.mock.calls.count("/bearer") == 2  # a 401 is not retried


async def test_an_authentication_failure_keeps_the_providers_message(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await _integration(client, mock)
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
    iid = await _integration(client, mock)
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


async def test_a_provider_5xx_is_retried_then_an_external_service_error(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await _integration(client, mock, rate_limiting={"max_retries": 1})

    # Retry-After: 0 makes the retry immediate (the API's clock is the system's).
    response = await run_operation(
        client, iid, "request", path="/status/503", query={"retry_after": "0"}
    )

    assert response.status_code == 502
    assert error(response)["code"] == "EXTERNAL_SERVICE_ERROR"
    assert {"provider_status": 503} in error(response)["details"]
    assert mock.mock.calls.count("/status/503") == 2
