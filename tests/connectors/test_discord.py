"""What is Discord's own, through the API against its mock (the rest is the contract suite's and
the fixtures'): the operation as the message's nonce, the DiscordBot User-Agent, the credential
check, and Discord's rate limits: a bucket shared by the bot's integrations, and a 429's retry
hint in its body (the buckets themselves: tests/transport/test_buckets.py). The app and the mock
share one FrozenClock: waiting moves the clock, not the test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from interlink.core.clock import FrozenClock
from interlink.providers.discord.provider import DiscordConnector
from interlink.testing import DiscordMock, RunningMock, serve_mock
from interlink.transport.classify import Disposition
from interlink.transport.response import ProviderResponse
from tests.conftest import data
from tests.connectors.conftest import create_active
from tests.connectors.conftest import run_operation as _run

TOKEN = "discord-bot-token"
CHANNEL = "1200000000000000001"
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
    configuration = {"api_url": discord.api_url, "auth_method": "api_key"}
    body = {"name": "Discord", "type": "discord", "configuration": configuration,
            "credentials": {"bot_token": token}}  # fmt: skip
    return await create_active(client, body)


async def test_a_message_goes_as_the_bot_with_the_operation_as_its_nonce(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    iid = await _integration(client, discord)

    sent = data(await _run(client, iid, "send_message", channel_id=CHANNEL, content="Deployed"))

    post = discord.mock.calls.filter("POST", MESSAGES)[0]
    assert post.headers["Authorization"] == f"Bot {TOKEN}"
    assert post.headers["User-Agent"].startswith("DiscordBot (")
    assert post.json()["enforce_nonce"] is True
    assert sent["operation_id"].endswith(post.json()["nonce"])  # cut to Discord's 25
    assert sent["result"]["content"] == "Deployed"


async def test_the_connection_test_names_the_bot_or_fails_on_a_wrong_token(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock]
) -> None:
    good, bad = await _integration(client, discord), await _integration(client, discord, "wrong")

    tested = data(await client.post(f"/api/v1/integrations/{good}/test"))["connection_test"]
    refused = data(await client.post(f"/api/v1/integrations/{bad}/test"))["connection_test"]

    assert tested["success"] is True
    assert tested["message"].endswith("Authenticated as interlink-mock-bot")
    assert refused["success"] is False


async def test_a_429_met_by_another_integration_of_the_bot_waits_for_its_retry_after(
    client: httpx.AsyncClient, discord: RunningMock[DiscordMock], clock: FrozenClock
) -> None:
    # Two integrations on one bot share Discord's bucket: the second learns of it by a 429.
    first, second = await _integration(client, discord), await _integration(client, discord)
    for n in range(5):
        ok = await _run(client, first, "send_message", channel_id=CHANNEL, content=f"#{n}")
        assert ok.status_code == 200
    clock.advance(1.5)

    sixth = await _run(client, second, "send_message", channel_id=CHANNEL, content="#5")

    assert sixth.status_code == 200
    assert clock.sleeps == [4.0]  # the 429's Retry-After (3.5 s, rounded up), not a guess
    assert discord.mock.calls.count(MESSAGES, "POST") == 7
    assert len(discord.mock.messages[CHANNEL]) == 6


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

    assert (verdict.disposition, verdict.retry_after) == (Disposition.RATE_LIMITED, retry_after)
