"""Discord's per-route buckets against the Discord mock: a spent bucket pauses only its own
routes (for the same channel), a global 429 pauses the whole integration. In memory, and through
Redis between two processes, where the second never saw the bucket's routes itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.core.errors import RateLimitExceeded
from interlink.providers.discord.provider import DiscordConnector
from interlink.testing import DiscordMock, Fault, RunningMock, serve_mock
from interlink.transport.buckets import RouteBuckets
from interlink.transport.client import ProviderClient, Transport
from interlink.transport.retry import RetryPolicy
from tests.transport.conftest import SharedRedis, client_of

CHANNEL = "1200000000000000001"
OTHER_CHANNEL = "1200000000000000002"
AUTH = {"Authorization": "Bot mock-bot-token"}

Processes = Callable[[], tuple[Transport, Transport]]


@pytest.fixture
async def discord(clock: FrozenClock) -> AsyncIterator[RunningMock[DiscordMock]]:
    async with serve_mock(DiscordMock(clock=clock, global_limit=None)) as running:
        yield running


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def processes(request: pytest.FixtureRequest, transport: Transport) -> Processes:
    """The transport that meets the 429, and the one that makes the next calls: the same one in
    memory; two processes on one Redis."""
    if request.param == "memory":
        return lambda: (transport, transport)
    shared: SharedRedis = request.getfixturevalue("shared")
    return lambda: (shared.transport(), shared.transport())


def _client(
    transport: Transport, running: RunningMock[DiscordMock], **settings: Any
) -> ProviderClient:
    settings.setdefault("retry", RetryPolicy(max_retries=0))
    return client_of(transport, running.api_url, DiscordConnector.facts(), AUTH, **settings)


async def _spend_the_bucket_elsewhere(running: RunningMock[DiscordMock], channel: str) -> None:
    """Another client of the same bot uses up the channel's bucket (5 per 5 s)."""
    bot = {"User-Agent": DiscordConnector.user_agent}  # Discord refuses other clients
    async with aiohttp.ClientSession(headers=bot) as session:
        for _ in range(5):
            url = f"{running.api_url}/channels/{channel}/messages"
            async with session.post(url, json={"content": "x"}, headers=AUTH) as response:
                assert response.status == 200


def _posts(running: RunningMock[DiscordMock], channel: str) -> int:
    return running.mock.calls.count(f"/api/v10/channels/{channel}/messages", "POST")


async def test_a_429_on_one_bucket_leaves_the_others_alone(
    discord: RunningMock[DiscordMock], processes: Processes, clock: FrozenClock
) -> None:
    hit, other = processes()
    await _spend_the_bucket_elsewhere(discord, CHANNEL)

    with pytest.raises(RateLimitExceeded):  # 429, bucket named, not global; no retries left
        await _client(hit, discord).post(f"/channels/{CHANNEL}/messages", json={"content": "a"})
    client = _client(other, discord, max_wait=0)
    other_channel = await client.post(f"/channels/{OTHER_CHANNEL}/messages", json={"content": "b"})
    other_route = await client.get("/users/@me")
    with pytest.raises(RateLimitExceeded) as still_paused:
        await client.post(f"/channels/{CHANNEL}/messages", json={"content": "c"})

    assert other_channel.status == 200  # the same route, another channel: its own bucket
    assert other_route.status == 200  # another route
    assert clock.sleeps == []
    assert _posts(discord, CHANNEL) == 6  # the paused bucket was not asked again
    assert still_paused.value.headers["Retry-After"] == "5"


async def test_a_global_429_pauses_every_route(
    discord: RunningMock[DiscordMock], processes: Processes, clock: FrozenClock
) -> None:
    hit, other = processes()
    discord.mock.global_limit = 1  # one bot request per second, over all routes
    await _client(hit, discord).get("/users/@me")

    with pytest.raises(RateLimitExceeded):  # 429 with X-RateLimit-Global: true
        await _client(hit, discord).post(f"/channels/{CHANNEL}/messages", json={"content": "a"})
    with pytest.raises(RateLimitExceeded) as paused:
        await _client(other, discord, max_wait=0).post(
            f"/channels/{OTHER_CHANNEL}/messages", json={"content": "b"}
        )
    waited = await _client(other, discord, max_wait=5).get("/users/@me")

    assert paused.value.headers["Retry-After"] == "1"
    assert _posts(discord, OTHER_CHANNEL) == 0  # held before it left
    assert waited.status == 200
    assert clock.sleeps == [1.0]


async def test_a_global_429_said_only_in_the_body_pauses_every_route(
    discord: RunningMock[DiscordMock], transport: Transport, clock: FrozenClock
) -> None:
    body = b'{"message": "You are being rate limited.", "retry_after": 3.25, "global": true}'
    discord.mock.faults.add(Fault.error(429, body=body))
    client = _client(transport, discord, max_wait=0)

    with pytest.raises(RateLimitExceeded):
        await client.get("/users/@me")
    with pytest.raises(RateLimitExceeded) as paused:
        await client.post(f"/channels/{CHANNEL}/messages", json={"content": "x"})

    assert paused.value.headers["Retry-After"] == "3"


async def test_a_spent_bucket_waits_only_for_its_own_routes(
    discord: RunningMock[DiscordMock], transport: Transport, clock: FrozenClock
) -> None:
    client = _client(transport, discord, max_wait=10)
    for n in range(5):  # the fifth answer says remaining 0, reset after 5 s
        await client.post(f"/channels/{CHANNEL}/messages", json={"content": f"#{n}"})

    await client.post(f"/channels/{OTHER_CHANNEL}/messages", json={"content": "other"})
    await client.get("/users/@me")
    assert clock.sleeps == []
    await client.post(f"/channels/{CHANNEL}/messages", json={"content": "#5"})
    assert clock.sleeps == [5.0]


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("POST", "/api/v10/channels/12/messages", "POST /api/v10/channels/{major}/messages"),
        ("patch", "/api/v10/channels/12/messages/34",
         "PATCH /api/v10/channels/{major}/messages/{id}"),
        ("POST", "/api/v10/webhooks/56/secret-token", "POST /api/v10/webhooks/{major}"),
        ("GET", "/api/v10/users/@me", "GET /api/v10/users/@me"),
    ],
)  # fmt: skip
def test_a_route_templates_ids_and_keeps_its_top_level_resource_apart(
    method: str, path: str, template: str
) -> None:
    route = RouteBuckets().route(method, path)

    assert route.template == template
    assert "secret-token" not in route.major  # a digest: a webhook token names no key


def test_routes_of_one_channel_share_a_resource_and_other_channels_do_not() -> None:
    buckets = RouteBuckets()

    send = buckets.route("POST", "/channels/1/messages")
    edit = buckets.route("PATCH", "/channels/1/messages/9")
    elsewhere = buckets.route("POST", "/channels/2/messages")

    assert send.major == edit.major != elsewhere.major
    assert send.template == elsewhere.template
