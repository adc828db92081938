"""A provider that echoes what it was sent never gets the credential back to the caller: the
values of the credential in use (and the forms its headers carried: the Bearer token, the Basic
base64 of `user:password`) are masked in the operation's result and error, as answered, as
stored in the history and in the log lines written during the call."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.core.secrets import Scrubber
from interlink.logs import redact
from interlink.testing import Fault, HttpMock, RunningMock, serve_mock
from tests.conftest import data, error
from tests.connectors.conftest import run_operation
from tests.helpers.integrations import http_integration

TOKEN = "echo-token-0123456789abcdef"
PASSWORD = "correct-horse-battery-staple"
BASIC = base64.b64encode(f"ops-bot:{PASSWORD}".encode()).decode()


@pytest.fixture
async def mock() -> AsyncIterator[RunningMock[HttpMock]]:
    async with serve_mock(HttpMock(token=TOKEN)) as running:
        yield running


async def _everything_shown(client: httpx.AsyncClient, iid: str) -> str:
    history = await client.get(f"/api/v1/integrations/{iid}/operations/history")
    events = await client.get("/api/v1/events", params={"integration_id": iid})
    return history.text + events.text


async def test_an_echoed_bearer_token_is_masked_in_the_result_and_the_history(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(client, mock.url, credentials={"api_key": TOKEN})

    echoed = await run_operation(client, iid, "request", path="/anything")
    told = await run_operation(client, iid, "request", path="/bearer")

    assert data(echoed)["result"]["body"]["headers"]["Authorization"] == "Bearer ••••"
    assert data(told)["result"]["body"] == {"authenticated": True, "token": "••••"}
    for shown in (echoed.text, told.text, await _everything_shown(client, iid)):
        assert TOKEN not in shown


async def test_an_echoed_basic_pair_is_masked_in_its_base64_form(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(
        client,
        mock.url,
        credentials={"username": "ops-bot", "password": PASSWORD},
        auth_method="basic",
    )

    echoed = await run_operation(
        client, iid, "request", method="POST", path="/anything", body={"note": "hello"}
    )

    assert data(echoed)["result"]["body"]["headers"]["Authorization"] == "Basic ••••"
    for shown in (echoed.text, await _everything_shown(client, iid)):
        assert BASIC not in shown
        assert PASSWORD not in shown


async def test_a_secret_in_the_providers_error_is_masked(
    client: httpx.AsyncClient, mock: RunningMock[HttpMock]
) -> None:
    iid = await http_integration(client, mock.url, credentials={"api_key": TOKEN})
    answer = {"message": f"token {TOKEN} is not allowed here"}
    mock.mock.faults.add(Fault.error(403, body=json.dumps(answer).encode()))

    refused = await run_operation(client, iid, "request", path="/anything")

    found = error(refused)
    assert found["code"] == "PERMISSION_DENIED"
    assert {"provider_status": 403, "provider_message": "token •••• is not allowed here"} in (
        found["details"]
    )
    stored = data(await client.get(f"/api/v1/integrations/{iid}/operations/history"))["items"][0]
    assert "token •••• is not allowed here" in json.dumps(stored["error"], ensure_ascii=False)
    for shown in (refused.text, await _everything_shown(client, iid)):
        assert TOKEN not in shown


def test_log_lines_written_during_a_call_mask_its_credential() -> None:
    event = {"event": "connector_failed", "detail": f"upstream said {TOKEN}", "n": [PASSWORD]}

    with Scrubber([TOKEN, PASSWORD]).active():
        during = redact(None, "error", dict(event))
    after = redact(None, "error", dict(event))

    assert during["detail"] == "upstream said ••••"
    assert during["n"] == ["••••"]
    assert after["detail"] == f"upstream said {TOKEN}"  # another call's line: not its secrets
