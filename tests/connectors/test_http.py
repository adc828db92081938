"""The http connector's `request` and `graphql` actions through the API, against the generic HTTP
mock on a loopback socket: absolute URLs, the provider's error bodies, GraphQL errors on a 200
and a connection read on from where it stopped. JSON and text answers, the token, 404, 429 and
5xx are the contract suite's (its fixtures)."""

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


ISSUES = """query($owner: String!, $first: Int, $after: String) {
  repository(owner: $owner, name: "hello") {
    issues(first: $first, after: $after) {
      edges { node { number } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


async def test_a_graphql_connection_is_read_on_from_its_cursor(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(client, mock.url, credentials={"api_key": TOKEN})
    asked = {
        "query": ISSUES,
        "variables": {"owner": "octo"},
        "connection": "data.repository.issues",
    }

    first = data(await run_operation(client, iid, "graphql", **asked, limit=4, page_size=4))
    rest = data(
        await run_operation(client, iid, "graphql", **asked, cursor=first["result"]["cursor"])
    )

    assert [i["number"] for i in first["result"]["items"]] == [1, 2, 3, 4]
    assert [i["number"] for i in rest["result"]["items"]] == list(range(5, 26))
    assert rest["result"]["cursor"] is None


async def test_graphql_errors_on_a_200_are_an_error_with_each_message(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(client, mock.url, credentials={"api_key": TOKEN})
    query = '{ a: repository(owner: "x", name: "y") { name } viewer { nickname } }'

    response = await run_operation(client, iid, "graphql", query=query)

    assert response.status_code == 400
    assert error(response)["code"] == "INVALID_OPERATION"
    messages = [d.get("provider_message") for d in error(response)["details"]]
    assert "Cannot query field 'nickname' on type 'User'." in messages
