"""The Slack mock takes arguments and tokens every way Slack does, and answers Slack's errors as
HTTP 200 with `ok: false` (slack_sdk against it: tests/providers/test_slack_sdk.py)."""

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
    async with serve_mock(SlackMock(clock=clock, messages={"general": ["hi"]})) as running:
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


async def test_a_form_with_the_token_in_it(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    form = {"token": "xoxb-mock-token", "channel": "C00000002", "text": "hello",
            "thread_ts": "1748779200.000001", "blocks": '[{"type": "divider"}]'}  # fmt: skip

    reply = await call(slack, session, "chat.postMessage", headers={}, data=form)

    assert reply["ok"] is True
    assert reply["ts"] == "1748779200.000002"  # the seeded message was the first
    assert reply["message"]["blocks"] == [{"type": "divider"}]
    assert reply["message"]["thread_ts"] == "1748779200.000001"


@pytest.mark.parametrize(
    ("method", "args", "headers", "error"),
    [
        ("auth.test", {}, {}, "not_authed"),
        ("auth.test", {}, {"Authorization": "Bearer xoxb-wrong"}, "invalid_auth"),
        ("chat.postMessage", {"channel": "C0NOPE", "text": "x"}, AUTH, "channel_not_found"),
        ("chat.postMessage", {"text": "x"}, AUTH, "channel_not_found"),
        ("chat.postMessage", {"channel": "general"}, AUTH, "no_text"),
        ("chat.postMessage", {"channel": "channel-025", "text": "x"}, AUTH, "is_archived"),
        ("reactions.add", {"channel": "general"}, AUTH, "no_item_specified"),
        ("conversations.list", {"cursor": "bm9wZQ=="}, AUTH, "invalid_cursor"),
        ("chat.nope", {}, AUTH, "unknown_method"),
    ],
)
async def test_errors_are_http_200_with_ok_false(
    slack: RunningMock[SlackMock],
    session: aiohttp.ClientSession,
    method: str,
    args: dict[str, str],
    headers: dict[str, str],
    error: str,
) -> None:
    body = await call(slack, session, method, headers=headers, json=args)

    assert body == {"ok": False, "error": error}


async def test_private_channels_are_listed_only_when_asked_for(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    public = await call(slack, session, "conversations.list", data={"limit": "1000"})
    private = await call(slack, session, "conversations.list", data={"types": "private_channel"})

    assert len(public["channels"]) == 135
    assert [c["name"] for c in private["channels"]][:2] == ["channel-010", "channel-020"]
    assert all(c["is_private"] and c["is_group"] for c in private["channels"])


async def test_a_refusal_and_a_429_as_slack_answers_them(
    slack: RunningMock[SlackMock], session: aiohttp.ClientSession
) -> None:
    slack.mock.faults.add(Fault.forbidden(), times=1)
    slack.mock.faults.add(Fault.rate_limited(retry_after=30), times=1)
    refused = await call(slack, session, "chat.postMessage", json={"channel": "general"})
    url = slack.api_url + "/chat.postMessage"

    async with session.post(url, json={"channel": "general", "text": "x"}, headers=AUTH) as r:
        assert (r.status, r.headers["Retry-After"]) == (429, "30")
        assert await r.json() == {"ok": False, "error": "ratelimited"}

    assert refused["error"] == "missing_scope"
    assert refused["needed"] == "chat:write"
    assert [m["text"] for m in slack.mock.messages("C00000001")] == ["hi"]
