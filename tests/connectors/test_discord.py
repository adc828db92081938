"""The discord connector through the API, against the Discord mock on a loopback socket.

The app and the mock share one FrozenClock: waiting for a rate-limit bucket moves the clock,
not the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from interlink.core.clock import FrozenClock
from interlink.providers.discord.provider import DiscordConnector
from interlink.testing import DiscordMock, Fault, RunningMock, serve_mock
from interlink.transport.classify import Outcome
from interlink.transport.response import ProviderResponse
from tests.conftest import data, error
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

TOKEN = "discord-bot-token"
CHANNEL = "1200000000000000001"
OTHER_CHANNEL = "1200000000000000002"
MESSAGES = f"/api/v10/channels/{CHANNEL}/messages"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
async def discord(clock: FrozenClock) -> AsyncIterator[RunningMock[DiscordMock]]:
    async with serve_mock(DiscordMock(token=TOKEN, clock=clock)) as running:
        yield running


async def _integration(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock], token: str = TOKEN
) -> str:
    body = {
        "name": "Discord Integration",
        "type": "discord",
        "configuration": {"api_url": discord.api_url, "auth_method": "api_key"},
        "credentials": {"bot_token": token},
    }
    return await create_active(client, body)


async def test_send_and_edit_a_message(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    iid = await _integration(client, discord)
    embeds = [{"title": "Deploy", "description": "v1.2.3 is live", "color": 5763719}]

    sent = data(await _run(client, iid, "send_message", channel_id=CHANNEL, content="Deployed",
                           embeds=embeds))  # fmt: skip
    message = sent["result"]
    edited = data(
        await _run(client, iid, "edit_message", channel_id=CHANNEL, message_id=message["id"],
                   content="Rolled back")
    )["result"]  # fmt: skip

    assert message["channel_id"] == CHANNEL
    assert message["content"] == "Deployed"
    assert message["embeds"] == [{"type": "rich", **embed} for embed in embeds]
    assert message["author"] == {"id": "1100000000000000001", "username": "interlink-mock-bot",
                                 "bot": True}  # fmt: skip
    assert message["id"].isdigit()
    assert edited["id"] == message["id"]
    assert edited["content"] == "Rolled back"
    assert edited["edited_timestamp"] is not None
    assert discord.mock.messages[CHANNEL][message["id"]]["content"] == "Rolled back"
    post = discord.mock.calls.filter("POST", MESSAGES)[0]
    assert post.headers["Authorization"] == f"Bot {TOKEN}"
    body = post.json()
    assert body["content"] == "Deployed"
    assert body["enforce_nonce"] is True
    assert sent["operation_id"].endswith(body["nonce"])  # the operation's id, cut to Discord's 25


async def test_send_through_a_webhook(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    iid = await _integration(client, discord)
    mock = discord.mock

    message = data(
        await _run(client, iid, "send_webhook", webhook_id=mock.webhook_id,
                   webhook_token=mock.webhook_token, content="From the hook", username="Deployer")
    )["result"]  # fmt: skip

    assert message["content"] == "From the hook"
    assert message["webhook_id"] == mock.webhook_id
    assert message["author"]["username"] == "Deployer"
    assert message["channel_id"] == CHANNEL
    call = mock.calls.last
    assert call.path == f"/api/v10/webhooks/{mock.webhook_id}/{mock.webhook_token}"
    assert call.query["wait"] == "true"


async def test_a_wrong_webhook_token_is_authentication_failed(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    iid = await _integration(client, discord)

    response = await _run(client, iid, "send_webhook", webhook_id=discord.mock.webhook_id,
                          webhook_token="wrong", content="hi")  # fmt: skip

    assert response.status_code == 401
    assert error(response)["details"][1]["provider_message"] == "Invalid Webhook Token"


async def test_a_wrong_token_is_authentication_failed(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    iid = await _integration(client, discord, token="wrong")

    response = await _run(client, iid, "send_message", channel_id=CHANNEL, content="hello")
    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert response.status_code == 401
    assert error(response)["code"] == "AUTHENTICATION_FAILED"
    assert error(response)["details"][1]["provider_message"] == "401: Unauthorized"
    assert tested["connection_test"]["success"] is False


async def test_an_unknown_channel_is_not_found(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    iid = await _integration(client, discord)

    response = await _run(client, iid, "send_message", channel_id="999", content="hello")
    edit = await _run(client, iid, "edit_message", channel_id=CHANNEL, message_id="1", content="x")

    assert response.status_code == 404
    assert error(response)["code"] == "EXTERNAL_RESOURCE_NOT_FOUND"
    assert error(response)["details"][1] == {
        "provider_status": 404,
        "provider_message": "Unknown Channel",
    }
    assert edit.status_code == 404
    assert error(edit)["details"][1]["provider_message"] == "Unknown Message"


async def test_a_spent_bucket_waits_for_its_reset_instead_of_asking_again(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock], clock: FrozenClock
) -> None:
    iid = await _integration(client, discord)
    for n in range(5):
        ok = await _run(client, iid, "send_message", channel_id=CHANNEL, content=f"#{n}")
        assert ok.status_code == 200
    assert clock.sleeps == []

    sixth = await _run(client, iid, "send_message", channel_id=CHANNEL, content="#5")

    assert sixth.status_code == 200
    assert clock.sleeps == [5.0]  # X-RateLimit-Remaining: 0, Reset-After: 5
    assert [c.fault for c in discord.mock.calls.filter("POST", MESSAGES)] == [None] * 6
    assert len(discord.mock.messages[CHANNEL]) == 6


async def test_a_429_waits_for_discords_retry_after_then_succeeds(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock], clock: FrozenClock
) -> None:
    # Two integrations on one bot share Discord's bucket: the second learns of it by a 429.
    first = await _integration(client, discord)
    second = await _integration(client, discord)
    for n in range(5):
        assert (await _run(client, first, "send_message", channel_id=CHANNEL, content=f"#{n}")
                ).status_code == 200  # fmt: skip
    clock.advance(1.5)

    sixth = await _run(client, second, "send_message", channel_id=CHANNEL, content="#5")

    assert sixth.status_code == 200
    assert clock.sleeps == [4.0]  # the 429's Retry-After (3.5 s, rounded up), not a guess
    assert discord.mock.calls.count(MESSAGES, "POST") == 7
    assert len(discord.mock.messages[CHANNEL]) == 6


async def test_a_429_without_retry_after_header_honours_the_body(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock], clock: FrozenClock
) -> None:
    iid = await _integration(client, discord)
    body = b'{"message": "You are being rate limited.", "retry_after": 2.25, "global": false}'
    discord.mock.faults.add(Fault.error(429, body=body), path_prefix=MESSAGES)

    sent = await _run(client, iid, "send_message", channel_id=CHANNEL, content="hello")

    assert sent.status_code == 200
    assert clock.sleeps == [2.25]
    assert [c.fault for c in discord.mock.calls.filter("POST", MESSAGES)] == ["status", None]


async def test_other_channels_have_their_own_bucket(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock], clock: FrozenClock
) -> None:
    iid = await _integration(client, discord)
    for channel in (CHANNEL, OTHER_CHANNEL):
        ok = await _run(client, iid, "send_message", channel_id=channel, content="hi")
        assert ok.status_code == 200

    assert clock.sleeps == []


async def test_the_connection_test_names_the_bot(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    iid = await _integration(client, discord)

    tested = data(await client.post(f"/api/v1/integrations/{iid}/test"))

    assert tested["connection_test"]["success"] is True
    assert tested["connection_test"]["message"].endswith("Authenticated as interlink-mock-bot")
    assert discord.mock.calls.last.headers["Authorization"] == f"Bot {TOKEN}"


@pytest.mark.parametrize(
    ("headers", "body", "retry_after"),
    [
        ({}, b'{"retry_after": 1.5, "global": false}', 1.5),
        ({}, b"not json", None),
        ({"retry-after": "2"}, b'{"retry_after": 1.5}', None),  # the transport reads the header
    ],
)
def test_judge_reads_retry_after_from_the_body_when_the_header_is_missing(
    headers: dict[str, str], body: bytes, retry_after: float | None
) -> None:
    response = ProviderResponse(status=429, headers=headers, body=body, url="https://d.test")

    verdict = DiscordConnector.judge(response, DiscordConnector.errors)

    assert verdict.outcome is Outcome.RATE_LIMITED
    assert verdict.retry_after == retry_after


@pytest.mark.parametrize(
    ("status", "code"),
    [(401, "AUTHENTICATION_FAILED"), (403, "PERMISSION_DENIED"),
     (404, "EXTERNAL_RESOURCE_NOT_FOUND")],
)  # fmt: skip
def test_judge_maps_discords_statuses(status: int, code: str) -> None:
    response = ProviderResponse(status=status, headers={}, body=b"{}", url="https://d.test")

    verdict = DiscordConnector.judge(response, DiscordConnector.errors)

    assert verdict.error is not None
    assert verdict.error.code == code
