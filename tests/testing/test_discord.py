"""The Discord mock answers like the Discord HTTP API v10."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.providers.discord.mock import DISCORD_EPOCH_MS
from interlink.testing import DiscordMock, Fault, RunningMock, serve_mock

AUTH = {"Authorization": "Bot mock-bot-token"}
CHANNEL = "1200000000000000001"
OTHER_CHANNEL = "1200000000000000002"


@pytest.fixture
async def discord(clock: FrozenClock) -> AsyncIterator[RunningMock[DiscordMock]]:
    async with serve_mock(DiscordMock(clock=clock)) as running:
        yield running


async def send(
    running: RunningMock[DiscordMock],
    session: aiohttp.ClientSession,
    body: Any,
    *,
    channel: str = CHANNEL,
    status: int = 200,
) -> dict[str, Any]:
    url = f"{running.api_url}/channels/{channel}/messages"
    async with session.post(url, json=body, headers=AUTH) as response:
        assert response.status == status
        result: dict[str, Any] = await response.json()
        return result


async def test_current_user_is_the_bot(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(discord.api_url + "/users/@me", headers=AUTH) as response:
        user = await response.json()
    assert user["bot"] is True
    assert user["id"].isdigit()


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bot wrong"}, {"Authorization": "Bearer mock-bot-token"}]
)
async def test_bad_authorization_is_401(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    async with session.get(discord.api_url + "/users/@me", headers=headers) as response:
        assert response.status == 401
        assert await response.json() == {"message": "401: Unauthorized", "code": 0}


async def test_create_message_returns_a_message_with_a_snowflake(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession, clock: FrozenClock
) -> None:
    embed = {"title": "Deploy", "description": "done"}
    message = await send(discord, session, {"content": "hello", "embeds": [embed]})
    assert (message["content"], message["channel_id"], message["embeds"]) == (
        "hello",
        CHANNEL,
        [embed],
    )
    assert message["author"]["bot"] is True
    assert message["edited_timestamp"] is None
    assert (int(message["id"]) >> 22) + DISCORD_EPOCH_MS == int(clock.now().timestamp() * 1000)
    second = await send(discord, session, {"content": "again"})
    assert int(second["id"]) > int(message["id"])


@pytest.mark.parametrize(
    ("channel", "body", "status", "code"),
    [
        ("999", {"content": "x"}, 404, 10003),
        (CHANNEL, {"content": ""}, 400, 50006),
        (CHANNEL, {"content": "x" * 2001}, 400, 50035),
        (CHANNEL, {"embeds": [{}] * 11}, 400, 50035),
    ],
)
async def test_message_errors(
    discord: RunningMock[DiscordMock],
    session: aiohttp.ClientSession,
    channel: str,
    body: dict[str, Any],
    status: int,
    code: int,
) -> None:
    error = await send(discord, session, body, channel=channel, status=status)
    assert error["code"] == code
    if code == 10003:
        assert error["message"] == "Unknown Channel"
    if code == 50035:
        assert error["message"] == "Invalid Form Body"
        assert "errors" in error


async def test_edit_a_message(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession
) -> None:
    message = await send(discord, session, {"content": "draft"})
    url = f"{discord.api_url}/channels/{CHANNEL}/messages/{message['id']}"
    async with session.patch(url, json={"content": "final"}, headers=AUTH) as response:
        edited = await response.json()
    assert (edited["id"], edited["content"]) == (message["id"], "final")
    assert edited["edited_timestamp"] is not None
    async with session.patch(url + "0", json={"content": "x"}, headers=AUTH) as response:
        assert response.status == 404
        assert await response.json() == {"message": "Unknown Message", "code": 10008}


async def test_webhook_waits_for_the_message_or_answers_204(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession
) -> None:
    url = f"{discord.api_url}/webhooks/1300000000000000001/mock-webhook-token"
    async with session.post(url + "?wait=true", json={"content": "hook", "username": "CI"}) as r:
        message = await r.json()
    assert (message["webhook_id"], message["author"]["username"]) == ("1300000000000000001", "CI")
    async with session.post(url, json={"content": "quiet"}) as response:
        assert response.status == 204
    assert [m["content"] for m in discord.mock.messages[CHANNEL].values()] == ["hook", "quiet"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/webhooks/1300000000000000001/wrong", 401, 50027),
        ("/webhooks/1/mock-webhook-token", 404, 10015),
    ],
)
async def test_webhook_errors(
    discord: RunningMock[DiscordMock],
    session: aiohttp.ClientSession,
    path: str,
    status: int,
    code: int,
) -> None:
    async with session.post(discord.api_url + path, json={"content": "x"}) as response:
        assert response.status == status
        assert (await response.json())["code"] == code


async def test_bucket_headers_count_down_then_429_until_reset(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession, clock: FrozenClock
) -> None:
    url = f"{discord.api_url}/channels/{CHANNEL}/messages"
    remaining = []
    for _ in range(5):
        async with session.post(url, json={"content": "x"}, headers=AUTH) as response:
            assert response.status == 200
            remaining.append(response.headers["X-RateLimit-Remaining"])
            assert response.headers["X-RateLimit-Limit"] == "5"
            assert float(response.headers["X-RateLimit-Reset-After"]) == 5.0
            bucket = response.headers["X-RateLimit-Bucket"]
    assert remaining == ["4", "3", "2", "1", "0"]
    async with session.post(url, json={"content": "x"}, headers=AUTH) as response:
        assert response.status == 429
        body = await response.json()
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["X-RateLimit-Bucket"] == bucket
        assert response.headers["Retry-After"] == "5"
    assert body == {"message": "You are being rate limited.", "retry_after": 5.0, "global": False}
    await send(discord, session, {"content": "other channel, other bucket"}, channel=OTHER_CHANNEL)
    clock.advance(5)
    await send(discord, session, {"content": "after the reset"})


async def test_rate_limited_fault(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession
) -> None:
    discord.mock.faults.add(Fault.rate_limited(retry_after=1.5))
    body = await send(discord, session, {"content": "x"}, status=429)
    assert body == {"message": "You are being rate limited.", "retry_after": 1.5, "global": False}


async def test_the_global_limit_answers_a_global_429(
    clock: FrozenClock, session: aiohttp.ClientSession
) -> None:
    async with serve_mock(DiscordMock(clock=clock, global_limit=2)) as discord:
        await send(discord, session, {"content": "one"})
        await send(discord, session, {"content": "two"}, channel=OTHER_CHANNEL)
        async with session.get(discord.api_url + "/users/@me", headers=AUTH) as response:
            assert response.status == 429
            assert response.headers["X-RateLimit-Global"] == "true"
            assert response.headers["X-RateLimit-Scope"] == "global"
            assert response.headers["Retry-After"] == "1"
            assert "X-RateLimit-Bucket" not in response.headers
            body = await response.json()
        clock.advance(1)
        await send(discord, session, {"content": "after the second"})
    assert body == {"message": "You are being rate limited.", "retry_after": 1.0, "global": True}
