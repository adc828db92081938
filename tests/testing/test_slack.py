"""The Slack mock answers like the Slack Web API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.testing import Fault, RunningMock, SlackMock, serve_mock

AUTH = {"Authorization": "Bearer xoxb-mock-token"}


@pytest.fixture
async def slack(clock: FrozenClock) -> AsyncIterator[RunningMock[SlackMock]]:
    async with serve_mock(SlackMock(clock=clock)) as running:
        yield running


async def call(
    running: RunningMock[SlackMock],
    session: aiohttp.ClientSession,
    method: str,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    url = f"{running.api_url}/{method}"
    async with session.post(url, headers=AUTH if headers is None else headers, **kwargs) as r:
        assert r.status == 200
        assert r.content_type == "application/json"
        body: dict[str, Any] = await r.json()
        return body


async def test_auth_test_says_who_the_bot_is(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    body = await call(slack, session, "auth.test")
    assert body["ok"] is True
    assert {"url", "team", "user", "team_id", "user_id", "bot_id"} <= body.keys()


@pytest.mark.parametrize(
    ("headers", "error"),
    [({}, "not_authed"), ({"Authorization": "Bearer xoxb-wrong"}, "invalid_auth")],
)
async def test_auth_errors_are_http_200_with_ok_false(
    slack: RunningMock[SlackMock],
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    error: str,
) -> None:
    assert await call(slack, session, "auth.test", headers=headers) == {"ok": False, "error": error}


async def test_the_token_may_come_as_a_form_argument(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    body = await call(slack, session, "auth.test", headers={}, data={"token": "xoxb-mock-token"})
    assert body["ok"] is True


async def test_post_message_with_json_and_with_a_form(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    sent = await call(
        slack, session, "chat.postMessage", json={"channel": "#general", "text": "hi"}
    )
    assert sent["ok"] is True
    assert sent["channel"] == "C00000001"
    assert sent["message"]["text"] == "hi"
    assert sent["message"]["ts"] == sent["ts"]
    assert sent["ts"].startswith("1748779200.")
    form = {"channel": "C00000002", "text": "hello", "thread_ts": sent["ts"]}
    reply = await call(slack, session, "chat.postMessage", data=form)
    assert reply["ok"] is True
    assert reply["message"]["thread_ts"] == sent["ts"]
    assert reply["ts"] != sent["ts"]
    assert [m["text"] for m in slack.mock.messages("C00000001")] == ["hi"]


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        ({"text": "x"}, "channel_not_found"),
        ({"channel": "general"}, "no_text"),
        ({"channel": "channel-025", "text": "x"}, "is_archived"),
    ],
)
async def test_post_message_errors(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession, args: dict[str, str], error: str
) -> None:
    body = await call(slack, session, "chat.postMessage", json=args)
    assert body == {"ok": False, "error": error}


async def test_update_a_message_and_react_to_it(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    sent = await call(slack, session, "chat.postMessage", json={"channel": "general", "text": "v1"})
    update = {"channel": sent["channel"], "ts": sent["ts"], "text": "v2"}
    updated = await call(slack, session, "chat.update", json=update)
    assert (updated["ok"], updated["text"], updated["ts"]) == (True, "v2", sent["ts"])
    missing = await call(slack, session, "chat.update", json=update | {"ts": "1.000001"})
    assert missing == {"ok": False, "error": "message_not_found"}
    reaction = {"channel": sent["channel"], "timestamp": sent["ts"], "name": "thumbsup"}
    assert await call(slack, session, "reactions.add", json=reaction) == {"ok": True}
    again = await call(slack, session, "reactions.add", json=reaction)
    assert again == {"ok": False, "error": "already_reacted"}
    assert slack.mock.messages(sent["channel"])[0]["reactions"][0]["name"] == "thumbsup"


async def test_conversations_list_pages_with_a_cursor(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        args = {"limit": "40", "exclude_archived": "true"} | ({"cursor": cursor} if cursor else {})
        async with session.get(
            slack.api_url + "/conversations.list", params=args, headers=AUTH
        ) as r:
            body = await r.json()
        assert body["ok"] is True
        seen += [channel["id"] for channel in body["channels"]]
        cursor = body["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert cursor == ""
    public = [c for c in slack.mock.channels.values() if not c.is_private and not c.is_archived]
    assert seen == [c.id for c in public]
    assert len(seen) == len(set(seen)) == 132  # 150 less 15 private and 3 other archived


async def test_conversations_list_types_and_bad_cursor(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    private = await call(slack, session, "conversations.list", data={"types": "private_channel"})
    assert private["channels"]
    assert all(c["is_private"] for c in private["channels"])
    bad = await call(slack, session, "conversations.list", data={"cursor": "bm9wZQ=="})
    assert bad == {"ok": False, "error": "invalid_cursor"}


async def test_unknown_method(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    assert await call(slack, session, "chat.nope") == {"ok": False, "error": "unknown_method"}


async def test_rate_limit_is_429_with_retry_after(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    slack.mock.faults.add(Fault.rate_limited(retry_after=30), path_prefix="/api/chat.")
    url = slack.api_url + "/chat.postMessage"
    async with session.post(url, json={"channel": "general", "text": "x"}, headers=AUTH) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == "30"
        assert await r.json() == {"ok": False, "error": "ratelimited"}
    assert slack.mock.messages("C00000001") == []
