"""An `http_request` step that names a credential: saving it needs `credentials:use` and a
literal credential id, the credential goes only to its allowed hosts, and whatever the upstream
echoes of it is masked in the step's output, the execution and the `workflow.completed` event."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from interlink.testing import HttpMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.workflows.conftest import create_workflow, run_to_end, step_of

SECRET = "sk_live_step_secret_0123456789"


@pytest.fixture
async def mock() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock(token=SECRET)) as running:
        yield running


async def _credential(client: httpx.AsyncClient) -> str:
    body = {
        "name": "Echo key",
        "type": "api_key",
        "data": {"api_key": SECRET},
        "allowed_hosts": ["127.0.0.1"],
    }
    return str(data(await client.post("/api/v1/credentials", json=body))["id"])


def _step(url: str, credential_id: str) -> dict[str, Any]:
    return {
        "name": "call",
        "type": "http_request",
        "config": {"url": url, "credential_id": credential_id},
    }


async def test_a_step_with_a_credential_needs_credentials_use_and_a_literal_id(
    client: httpx.AsyncClient, key_client: Callable[..., Any], mock: RunningMock[HttpMock]
) -> None:
    credential_id = await _credential(client)
    writer = await key_client("workflows:read", "workflows:write")
    user = await key_client("workflows:read", "workflows:write", "credentials:use")
    body = {"name": "Echo", "definition": {"steps": [_step(mock.url, credential_id)]}}
    templated = {
        "name": "Chosen by input",
        "definition": {"steps": [_step(mock.url, "{{ input.credential }}")]},
    }

    refused = await writer.post("/api/v1/workflows", json=body)
    accepted = await user.post("/api/v1/workflows", json=body)
    by_input = await user.post("/api/v1/workflows", json=templated)

    assert (refused.status_code, error(refused)["code"]) == (403, "FORBIDDEN")
    assert "credentials:use" in error(refused)["message"]
    assert accepted.status_code == 201
    assert by_input.status_code == 400
    assert error(by_input)["details"][0]["field"] == "config.credential_id"
    assert [w["id"] for w in data(await user.get("/api/v1/workflows"))["items"]] == [
        data(accepted)["id"]
    ]


async def test_an_echoed_secret_is_masked_in_the_step_output_and_the_event(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    credential_id = await _credential(client)
    workflow = await create_workflow(client, [_step(f"{mock.url}/anything", credential_id)])

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "completed", [s["error"] for s in ended["steps"]]
    echoed = step_of(ended, "call")["output"]["body"]["headers"]
    assert echoed["Authorization"] == "Bearer ••••"
    events = await client.get("/api/v1/events", params={"type": "workflow.completed"})
    completed = data(events)["items"]
    assert completed[0]["data"]["output"]["body"]["headers"]["Authorization"] == "Bearer ••••"
    shown = await client.get(f"/api/v1/executions/{ended['id']}")
    for text in (shown.text, events.text):
        assert SECRET not in text


async def test_a_step_cannot_send_a_credential_to_another_host(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    credential_id = await _credential(client)
    url = f"http://localhost:{mock.port}/anything"
    workflow = await create_workflow(client, [_step(url, credential_id)])

    ended = await run_to_end(client, workflow["id"])

    assert ended["status"] == "failed"
    assert "CREDENTIAL_HOST_NOT_ALLOWED" in str(step_of(ended, "call")["error"])
    assert mock.mock.calls.count() == 0
