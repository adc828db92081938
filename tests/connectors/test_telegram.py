"""Telegram's own: the bot token in the URL path goes nowhere else (no header), is masked where
it could come back (a result, an error, the logs), and the allowed hosts hold. The rest
(fixtures, wrong token, 403, 404, 429, 5xx) is the contract suite's."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from interlink import TelegramIntegration, TelegramIntegrationConfiguration
from interlink.testing import Fault, RunningMock, TelegramMock, serve_mock, serve_mock_in_thread
from tests.conftest import data, error
from tests.connectors.conftest import create_active, run_operation

TOKEN = "987654321:AAH-mock-telegram-token_for_the_tests"
CHAT = 111111111
SEND = f"/bot{TOKEN}/sendMessage"


@pytest.fixture
async def telegram() -> AsyncIterator[RunningMock[Any]]:
    async with serve_mock(TelegramMock(token=TOKEN)) as running:
        yield running


async def _integration(client: httpx.AsyncClient, telegram: RunningMock[Any], **fields: Any) -> str:
    body = {
        "name": "Telegram",
        "type": "telegram",
        "configuration": {"api_url": telegram.api_url, "auth_method": "api_key"},
        "credentials": {"bot_token": TOKEN},
        **fields,
    }
    return await create_active(client, body)


async def test_the_token_goes_in_the_path_only_and_the_check_names_the_bot(
    client: httpx.AsyncClient, telegram: RunningMock[Any]
) -> None:
    iid = await _integration(client, telegram)

    run = data(await run_operation(client, iid, "send_message", chat_id=CHAT, text="Deployed"))
    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    [sent] = telegram.mock.calls.filter("POST", SEND)
    assert "Authorization" not in sent.headers
    assert sent.json() == {"chat_id": CHAT, "text": "Deployed"}
    assert (run["result"]["chat"]["id"], run["result"]["sender"]["id"]) == (CHAT, 987654321)
    assert tested["connection_test"]["message"].endswith("Authenticated as @interlink_mock_bot")


async def test_a_token_the_provider_echoes_is_masked_in_the_error_and_the_logs(
    client: httpx.AsyncClient, telegram: RunningMock[Any], log_output: io.StringIO
) -> None:
    iid = await _integration(client, telegram)
    echo = f'{{"ok": false, "error_code": 400, "description": "Bad Request: {SEND}"}}'
    telegram.mock.faults.add(Fault.error(400, body=echo.encode()), times=1)

    refused = await run_operation(client, iid, "send_message", chat_id=CHAT, text="hello")
    history = data(await client.get(f"/api/v1/integrations/{iid}/operations/history"))

    assert refused.status_code == 400
    assert "Bad Request: /bot••••/sendMessage" in str(error(refused)["details"])
    assert TOKEN not in refused.text
    assert TOKEN not in str(history)
    assert TOKEN not in log_output.getvalue()


async def test_the_credentials_allowed_hosts_still_hold(
    client: httpx.AsyncClient, telegram: RunningMock[Any]
) -> None:
    body = {"name": "Telegram bot", "type": "api_key", "data": {"bot_token": TOKEN},
            "allowed_hosts": ["api.telegram.org"]}  # fmt: skip
    credential = data(await client.post("/api/v1/credentials", json=body))
    iid = await create_active(
        client,
        {"name": "Telegram", "type": "telegram", "credential_id": credential["id"],
         "configuration": {"api_url": telegram.api_url, "auth_method": "api_key"}},
    )  # fmt: skip

    refused = await run_operation(client, iid, "send_message", chat_id=CHAT, text="hello")

    assert error(refused)["code"] == "CREDENTIAL_HOST_NOT_ALLOWED"
    assert telegram.mock.calls.count() == 0


def test_the_direct_interface_sends_a_message() -> None:
    with serve_mock_in_thread(TelegramMock(token=TOKEN)) as running:
        config = TelegramIntegrationConfiguration(api_url=running.api_url, bot_token=TOKEN)
        with TelegramIntegration(config) as telegram:
            sent = telegram.send_message(
                chat_id="@mock_channel", text="<b>hi</b>", parse_mode="HTML"
            )

    assert (sent["chat"]["title"], sent["text"]) == ("Mock Channel", "<b>hi</b>")
