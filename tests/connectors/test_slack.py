"""What is Slack's own in the slack provider (the contract suite and the recorded fixtures cover
the rest): its `ok: false` codes, an emoji already there, a channel asked for, the check."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.providers.slack.provider import SlackConnector
from interlink.testing import RunningMock, SlackMock, serve_mock
from interlink.transport.classify import Disposition, ErrorTable
from interlink.transport.response import ProviderResponse
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

TOKEN = "xoxb-interlink-test"
GENERAL = "C00000001"


@pytest.fixture
async def slack() -> AsyncIterator[RunningMock[SlackMock]]:
    async with serve_mock(SlackMock(token=TOKEN, messages={"general": ["Deploy"]})) as running:
        yield running


async def _integration(client: httpx.AsyncClient, slack: RunningMock[SlackMock]) -> str:
    configuration = {"api_url": slack.api_url, "auth_method": "oauth"}
    body = {"name": "Slack", "type": "slack", "configuration": configuration}
    return await create_active(client, body | {"credentials": {"bot_token": TOKEN}})


@pytest.mark.parametrize(
    ("code", "disposition", "error_code"),
    [
        ("invalid_auth", Disposition.REFRESH_THEN_RETRY, "AUTHENTICATION_FAILED"),
        ("not_authed", Disposition.FAIL, "AUTHENTICATION_FAILED"),
        ("account_inactive", Disposition.FAIL, "AUTHENTICATION_FAILED"),
        ("token_revoked", Disposition.FAIL, "AUTHENTICATION_FAILED"),
        ("missing_scope", Disposition.FAIL, "PERMISSION_DENIED"),
        ("not_in_channel", Disposition.FAIL, "PERMISSION_DENIED"),
        ("restricted_action", Disposition.FAIL, "PERMISSION_DENIED"),
        ("channel_not_found", Disposition.FAIL, "EXTERNAL_RESOURCE_NOT_FOUND"),
        ("message_not_found", Disposition.FAIL, "EXTERNAL_RESOURCE_NOT_FOUND"),
        ("ratelimited", Disposition.RATE_LIMITED, None),
        ("no_text", Disposition.FAIL, "INVALID_OPERATION"),
        ("is_archived", Disposition.FAIL, "INVALID_OPERATION"),
        ("internal_error", Disposition.RETRY, "EXTERNAL_SERVICE_ERROR"),
    ],
)
def test_judge_maps_slacks_ok_false_codes(
    code: str, disposition: Disposition, error_code: str | None
) -> None:
    body = f'{{"ok": false, "error": "{code}"}}'.encode()
    response = ProviderResponse(status=200, headers={}, body=body, url="https://slack.test/api/x")

    verdict = SlackConnector.judge(response, SlackConnector.errors)

    assert verdict.disposition is disposition
    assert (verdict.error.code if verdict.error else None) == error_code


def test_judge_leaves_ok_answers_and_non_json_alone() -> None:
    for body in (b'{"ok": true}', b"<html>", b"[]"):
        response = ProviderResponse(status=200, headers={}, body=body, url="https://slack.test")
        assert SlackConnector.judge(response, ErrorTable()).disposition is Disposition.OK


async def test_an_emoji_already_there_is_not_an_error(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)
    [message] = slack.mock.messages(GENERAL)
    react = {"channel": GENERAL, "timestamp": message["ts"], "name": "eyes"}

    first = data(await _run(client, iid, "add_reaction", **react))["result"]
    again = data(await _run(client, iid, "add_reaction", **react))["result"]

    assert first == {"ok": True, "already_reacted": False}
    assert again == {"ok": True, "already_reacted": True}
    assert slack.mock.messages(GENERAL)[0]["reactions"][0]["count"] == 1


async def test_without_a_channel_or_a_default_the_channel_is_asked_for(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    response = await _run(client, iid, "send_message", text="Where to?")

    assert response.status_code == 422, response.text
    assert error(response)["details"][-1]["field"] == "channel"
    assert "default_channel" in error(response)["message"]
    assert len(slack.mock.calls) == 0


async def test_the_connection_test_names_the_bot_and_team(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))["connection_test"]

    assert tested["success"] is True
    assert tested["message"].endswith("Authenticated as interlink-bot on Interlink Mock")
