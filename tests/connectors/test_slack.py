"""The slack connector through the API, against the Slack mock on a loopback socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from interlink.providers.slack.provider import SlackConnector
from interlink.testing import Fault, RunningMock, SlackMock, serve_mock
from interlink.transport.classify import ErrorTable, Outcome
from interlink.transport.response import ProviderResponse
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

TOKEN = "xoxb-interlink-test"
GENERAL = "C00000001"


@pytest.fixture
async def slack() -> AsyncIterator[RunningMock[SlackMock]]:
    async with serve_mock(SlackMock(token=TOKEN)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock], token: str = TOKEN
) -> str:
    body = {
        "name": "Slack Integration",
        "type": "slack",
        "configuration": {"api_url": slack.api_url, "auth_method": "oauth"},
        "credentials": {"bot_token": token},
    }
    return await create_active(client, body)


async def test_send_update_and_react_to_a_message(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Deploy* done"}}]

    sent = data(
        await _run(client, iid, "send_message", channel=GENERAL, text="Deploy done", blocks=blocks)
    )["result"]
    reply = data(
        await _run(client, iid, "send_message", channel="#general", text="Details",
                   thread_ts=sent["ts"])
    )["result"]  # fmt: skip
    updated = data(
        await _run(
            client, iid, "update_message", channel=GENERAL, ts=sent["ts"], text="Rolled back"
        )
    )["result"]
    reacted = data(
        await _run(client, iid, "add_reaction", channel=GENERAL, timestamp=sent["ts"],
                   name=":eyes:")
    )["result"]  # fmt: skip
    again = data(
        await _run(client, iid, "add_reaction", channel=GENERAL, timestamp=sent["ts"], name="eyes")
    )["result"]

    assert sent == {"channel": GENERAL, "ts": sent["ts"], "text": "Deploy done", "thread_ts": None}
    assert reply["thread_ts"] == sent["ts"]
    assert updated["ts"] == sent["ts"]
    assert updated["text"] == "Rolled back"
    assert reacted == {"ok": True, "already_reacted": False}
    assert again == {"ok": True, "already_reacted": True}
    first, second = slack.mock.messages(GENERAL)
    assert first["text"] == "Rolled back"
    assert first["blocks"] == blocks
    assert first["reactions"] == [{"name": "eyes", "users": ["U0MOCKBOT1"], "count": 1}]
    assert second["thread_ts"] == sent["ts"]
    post = slack.mock.calls.filter("POST", "/api/chat.postMessage")[0]
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.headers["Content-Type"].startswith("application/json")
    assert post.json() == {"channel": GENERAL, "text": "Deploy done", "blocks": blocks}


async def test_list_channels_follows_the_cursor_up_to_the_limit(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    result = data(await _run(client, iid, "list_channels", limit=120))["result"]

    assert result["total_count"] == len(result["items"]) == 120
    assert len({c["id"] for c in result["items"]}) == 120
    assert result["items"][0] == {
        "id": GENERAL, "name": "general", "is_private": False, "is_archived": False,
        "is_member": True, "num_members": 3, "created": result["items"][0]["created"],
        "topic": None, "purpose": None,
    }  # fmt: skip
    assert not any(c["is_private"] for c in result["items"])
    calls = slack.mock.calls.filter("GET", "/api/conversations.list")
    assert [c.query["limit"] for c in calls] == ["100", "20"]
    assert "cursor" not in calls[0].query
    assert calls[1].query["cursor"]
    assert result["next_cursor"]  # 135 public channels: more remain

    rest = data(await _run(client, iid, "list_channels", limit=1000, cursor=result["next_cursor"]))[
        "result"
    ]
    assert rest["total_count"] == 15
    assert rest["next_cursor"] is None


async def test_list_channels_of_given_types(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    result = data(await _run(client, iid, "list_channels", types=["private_channel"], limit=50))[
        "result"
    ]

    assert result["total_count"] == 15
    assert all(c["is_private"] for c in result["items"])
    assert slack.mock.calls.last.query["types"] == "private_channel"


async def test_an_unknown_channel_is_not_found_with_slacks_code(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    response = await _run(client, iid, "send_message", channel="C0NOWHERE", text="hello")

    assert response.status_code == 404
    assert error(response)["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert error(response)["details"][1] == {
        "provider_status": 200,
        "provider_message": "channel_not_found",
    }
    assert "channel_not_found" in error(response)["message"]


async def test_an_unknown_message_is_not_found(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    response = await _run(client, iid, "update_message", channel=GENERAL, ts="1.000001", text="x")

    assert response.status_code == 404
    assert error(response)["details"][1]["provider_message"] == "message_not_found"


async def test_a_wrong_token_is_authentication_failed(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack, token="xoxb-wrong")

    response = await _run(client, iid, "send_message", channel=GENERAL, text="hello")
    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert error(response)["details"][1]["provider_message"] == "invalid_auth"
    assert slack.mock.calls.count("/api/chat.postMessage") == 1
    assert tested["connection_test"]["success"] is False


async def test_a_429_is_retried_after_slacks_retry_after(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)
    slack.mock.faults.add(Fault.rate_limited(retry_after=0), path_prefix="/api/conversations.list")

    result = data(await _run(client, iid, "list_channels", limit=5))["result"]

    assert result["total_count"] == 5
    calls = slack.mock.calls.filter("GET", "/api/conversations.list")
    assert [c.fault for c in calls] == ["rate_limited", None]


async def test_the_connection_test_names_the_bot_and_team(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert tested["connection_test"]["success"] is True
    assert tested["connection_test"]["message"].endswith(
        "Authenticated as interlink-bot on Interlink Mock"
    )
    assert slack.mock.calls.count("/api/auth.test") == 1


@pytest.mark.parametrize(
    ("code", "outcome", "error_code"),
    [
        ("invalid_auth", Outcome.REFRESH_THEN_RETRY, "AUTHENTICATION_FAILED"),
        ("not_authed", Outcome.FAIL, "AUTHENTICATION_FAILED"),
        ("account_inactive", Outcome.FAIL, "AUTHENTICATION_FAILED"),
        ("token_revoked", Outcome.FAIL, "AUTHENTICATION_FAILED"),
        ("missing_scope", Outcome.FAIL, "PERMISSION_DENIED"),
        ("not_in_channel", Outcome.FAIL, "PERMISSION_DENIED"),
        ("restricted_action", Outcome.FAIL, "PERMISSION_DENIED"),
        ("channel_not_found", Outcome.FAIL, "EXTERNAL_RESOURCE_NOT_FOUND"),
        ("message_not_found", Outcome.FAIL, "EXTERNAL_RESOURCE_NOT_FOUND"),
        ("ratelimited", Outcome.RATE_LIMITED, None),
        ("no_text", Outcome.FAIL, "INVALID_OPERATION"),
        ("is_archived", Outcome.FAIL, "INVALID_OPERATION"),
        ("internal_error", Outcome.RETRY, "EXTERNAL_SERVICE_ERROR"),
    ],
)
def test_judge_maps_slacks_ok_false_codes(
    code: str, outcome: Outcome, error_code: str | None
) -> None:
    body = f'{{"ok": false, "error": "{code}"}}'.encode()
    response = ProviderResponse(status=200, headers={}, body=body, url="https://slack.test/api/x")

    verdict = SlackConnector.judge(response, SlackConnector.errors)

    assert verdict.outcome is outcome
    assert (verdict.error.code if verdict.error else None) == error_code


def test_judge_leaves_ok_answers_and_non_json_alone() -> None:
    for body in (b'{"ok": true}', b"<html>", b"[]"):
        response = ProviderResponse(status=200, headers={}, body=body, url="https://slack.test")
        assert SlackConnector.judge(response, ErrorTable()).outcome is Outcome.OK


async def test_send_message_without_a_channel_goes_to_the_instances_default_channel(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    """Seed 001's connector instance: `config.defaultChannel` is where messages go by default."""
    credential = data(
        await client.post(
            "/api/v1/credentials",
            json={"name": "Slack Bot Token", "type": "oauth", "provider": "slack",
                  "data": {"bot_token": TOKEN}, "allowed_hosts": ["127.0.0.1"]},
        )
    )  # fmt: skip
    seed = {
        "name": "Production Slack",
        "type": "slack",
        "credentialId": credential["id"],
        "config": {"defaultChannel": "#general", "api_url": slack.api_url},
    }
    instance = data(await client.post("/api/v1/connectors", json=seed))
    await client.post(f"/api/v1/integrations/{instance['id']}/activate")

    sent = data(await _run(client, instance["id"], "send_message", text="Deploy done"))["result"]
    elsewhere = await _run(client, instance["id"], "send_message", channel="#random", text="Hi")

    assert instance["configuration"]["default_channel"] == "#general"
    assert sent["channel"] == GENERAL
    assert [m["text"] for m in slack.mock.messages(GENERAL)] == ["Deploy done"]
    assert data(elsewhere)["result"]["channel"] != GENERAL


async def test_send_message_without_a_channel_or_a_default_names_the_channel(
    client: httpx.AsyncClient, slack: RunningMock[SlackMock]
) -> None:
    iid = await _integration(client, slack)

    response = await _run(client, iid, "send_message", text="Where to?")

    assert response.status_code == 422, response.text
    refused = error(response)
    assert refused["code"] == "PARAMETER_VALIDATION_ERROR"
    assert refused["details"][-1]["field"] == "channel"
    assert "default_channel" in refused["message"]
    assert len(slack.mock.calls) == 0
