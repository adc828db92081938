"""The Discord mock answers like the Discord HTTP API v10 where discord.py (tests/providers) and
the contract suite do not look: Cloudflare's User-Agent check, form errors, nonces, buckets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.providers.discord.mock import DISCORD_EPOCH_MS
from interlink.testing import DiscordMock, RunningMock, serve_mock

BOT = {"User-Agent": "DiscordBot (https://example.test, 1)"}
AUTH = BOT | {"Authorization": "Bot mock-bot-token"}
CHANNEL, OTHER_CHANNEL = "1200000000000000001", "1200000000000000002"
HOOK = "/webhooks/1300000000000000001/mock-webhook-token"


@pytest.fixture
async def discord(clock: FrozenClock) -> AsyncIterator[RunningMock[DiscordMock]]:
    async with serve_mock(DiscordMock(clock=clock)) as running:
        yield running


async def call(
    running: RunningMock[DiscordMock], session: aiohttp.ClientSession, path: str, body: Any = None,
    *, headers: dict[str, str] = AUTH, status: int = 200, method: str = "POST",
) -> Any:  # fmt: skip
    url = running.api_url + path
    async with session.request(method, url, json=body, headers=headers) as response:
        assert response.status == status
        assert response.headers.get("Content-Type") in {"application/json", None}  # no charset
        return await response.json() if response.status != 204 else None


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Authorization": "Bot mock-bot-token"}, 403, 40333),  # no DiscordBot User-Agent
        (BOT | {"Authorization": "Bot wrong"}, 401, 0),
        (BOT | {"Authorization": "Bearer mock-bot-token"}, 401, 0),
    ],
)
async def test_a_bot_route_wants_a_discordbot_agent_then_the_bot_token(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession,
    headers: dict[str, str], status: int, code: int,
) -> None:  # fmt: skip
    error = await call(discord, session, "/users/@me", headers=headers, status=status, method="GET")

    assert error["code"] == code
    await call(
        discord, session, HOOK, {"content": "webhooks take any agent"}, headers={}, status=204
    )


@pytest.mark.parametrize(
    ("channel", "body", "status", "code"),
    [
        ("999", {"content": "x"}, 404, 10003),
        (CHANNEL, {"content": ""}, 400, 50006),
        (CHANNEL, {"content": "x" * 2001}, 400, 50035),
        (CHANNEL, {"embeds": [{}] * 11}, 400, 50035),
        (CHANNEL, {"content": "x", "nonce": "n" * 26}, 400, 50035),
    ],
)
async def test_message_errors(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession,
    channel: str, body: dict[str, Any], status: int, code: int,
) -> None:  # fmt: skip
    error = await call(discord, session, f"/channels/{channel}/messages", body, status=status)

    assert error["code"] == code


async def test_snowflakes_grow_and_an_enforced_nonce_gives_back_its_message(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession, clock: FrozenClock
) -> None:
    path = f"/channels/{CHANNEL}/messages"
    first = await call(
        discord, session, path, {"content": "a", "nonce": "op1", "enforce_nonce": True}
    )
    again = await call(
        discord, session, path, {"content": "b", "nonce": "op1", "enforce_nonce": True}
    )
    loose = await call(discord, session, path, {"content": "c", "nonce": "op1"})

    assert again == first
    assert int(loose["id"]) > int(first["id"])
    assert (int(first["id"]) >> 22) + DISCORD_EPOCH_MS == int(clock.now().timestamp() * 1000)
    assert [m["content"] for m in discord.mock.messages[CHANNEL].values()] == ["a", "c"]


@pytest.mark.parametrize(("wait", "status"), [("true", 200), ("1", 200), ("0", 204), ("yes", 400)])
async def test_webhook_wait_is_a_boolean_as_discord_reads_it(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession, wait: str, status: int
) -> None:
    answer = await call(discord, session, f"{HOOK}?wait={wait}", {"content": "x"}, status=status)

    assert status != 200 or answer["webhook_id"] == "1300000000000000001"
    assert status != 400 or list(answer["errors"]) == ["wait"]


async def test_a_spent_bucket_answers_429_until_its_reset_and_other_channels_go_on(
    discord: RunningMock[DiscordMock], session: aiohttp.ClientSession, clock: FrozenClock
) -> None:
    url = f"{discord.api_url}/channels/{CHANNEL}/messages"
    seen = []
    for _ in range(6):
        async with session.post(url, json={"content": "x"}, headers=AUTH) as response:
            seen.append((response.status, response.headers["X-RateLimit-Remaining"]))
            headers, body = response.headers, await response.json()

    assert seen == [(200, "4"), (200, "3"), (200, "2"), (200, "1"), (200, "0"), (429, "0")]
    assert (headers["Retry-After"], headers["X-RateLimit-Reset-After"]) == ("5", "5.000")
    assert body == {
        "message": "You are being rate limited.",
        "retry_after": 5.0,
        "global": False,
        "code": 0,
    }
    await call(discord, session, f"/channels/{OTHER_CHANNEL}/messages", {"content": "other"})
    clock.advance(5)
    await call(discord, session, f"/channels/{CHANNEL}/messages", {"content": "after the reset"})


async def test_the_global_limit_answers_a_global_429(
    clock: FrozenClock, session: aiohttp.ClientSession
) -> None:
    async with serve_mock(DiscordMock(clock=clock, global_limit=1)) as discord:
        await call(discord, session, f"/channels/{CHANNEL}/messages", {"content": "one"})
        url = discord.api_url + "/users/@me"
        async with session.get(url, headers=AUTH) as response:
            assert (response.status, response.headers["X-RateLimit-Global"]) == (429, "true")
            assert "X-RateLimit-Bucket" not in response.headers
            assert (await response.json())["global"] is True
        clock.advance(1)
        await call(discord, session, "/users/@me", method="GET")
