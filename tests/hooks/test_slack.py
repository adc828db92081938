"""Slack: v0 signatures over "v0:{ts}:{body}", five minutes; url_verification; slash commands."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import data
from tests.hooks.conftest import NOW, count_hooks, create_integration, flip_bit, provider_events

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
EVENT = json.dumps(
    {
        "type": "event_callback",
        "event_id": "Ev0001",
        "event": {"type": "app_mention", "text": "<@U1> hi"},
    }
).encode()


def signed(body: bytes, ts: int | None = None, content_type: str = "application/json") -> dict:
    ts = int(NOW.timestamp()) if ts is None else ts
    base = f"v0:{ts}:".encode() + body  # Slack's documented base string
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Signature": f"v0={digest}",
        "X-Slack-Request-Timestamp": str(ts),
        "Content-Type": content_type,
    }


@pytest.fixture
async def slack(client: httpx.AsyncClient) -> str:
    return await create_integration(
        client, "slack", {"bot_token": "xoxb-1", "signing_secret": SIGNING_SECRET}
    )


async def test_url_verification_is_answered_with_the_challenge(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, slack: str
) -> None:
    body = json.dumps({"token": "t", "challenge": "3eZbrw1aBm2", "type": "url_verification"})
    response = await anonymous.post(
        f"/api/v1/hooks/{slack}", content=body, headers=signed(body.encode())
    )
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2"}
    assert await count_hooks(app) == 0
    assert await provider_events(client, slack) == []


async def test_an_event_callback_is_named_by_its_inner_event(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, slack: str
) -> None:
    for _ in range(2):  # Slack retries with the same event_id
        response = await anonymous.post(
            f"/api/v1/hooks/{slack}", content=EVENT, headers=signed(EVENT)
        )
        assert response.status_code == 200
    assert data(response)["event"] == "provider.slack.app_mention"
    assert len(await provider_events(client, slack)) == 1
    assert await count_hooks(app) == 1


async def test_a_form_encoded_slash_command_is_accepted(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, slack: str
) -> None:
    body = urlencode({"command": "/deploy", "text": "prod", "trigger_id": "13345.42"}).encode()
    headers = signed(body, content_type="application/x-www-form-urlencoded")
    response = await anonymous.post(f"/api/v1/hooks/{slack}", content=body, headers=headers)
    assert response.status_code == 200
    assert response.content == b""  # Slack would show a JSON answer as a message
    [event] = await provider_events(client, slack)
    assert event["event"] == "provider.slack.slash_command"
    assert event["data"]["body"]["text"] == "prod"


async def test_an_interaction_payload_is_named_by_its_type(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, slack: str
) -> None:
    inner = json.dumps({"type": "block_actions", "trigger_id": "1.2"})
    body = urlencode({"payload": inner}).encode()
    headers = signed(body, content_type="application/x-www-form-urlencoded")
    response = await anonymous.post(f"/api/v1/hooks/{slack}", content=body, headers=headers)
    assert response.status_code == 200
    [event] = await provider_events(client, slack)
    assert event["event"] == "provider.slack.block_actions"


@pytest.mark.parametrize("offset", [-301, 301])
async def test_an_old_or_future_timestamp_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, slack: str, offset: int
) -> None:
    headers = signed(EVENT, int(NOW.timestamp()) + offset)
    response = await anonymous.post(f"/api/v1/hooks/{slack}", content=EVENT, headers=headers)
    assert response.status_code == 401
    assert await count_hooks(app) == 0


async def test_a_one_bit_change_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, slack: str
) -> None:
    response = await anonymous.post(
        f"/api/v1/hooks/{slack}", content=flip_bit(EVENT, 3), headers=signed(EVENT)
    )
    assert response.status_code == 401
    assert await count_hooks(app) == 0


async def test_a_signed_timestamp_cannot_be_swapped(
    anonymous: httpx.AsyncClient, slack: str
) -> None:
    headers = signed(EVENT)
    headers["X-Slack-Request-Timestamp"] = str(int(NOW.timestamp()) + 1)
    response = await anonymous.post(f"/api/v1/hooks/{slack}", content=EVENT, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("signature", "timestamp"),
    [("garbage", None), ("v0=", None), ("v1=00", None), (None, "soon"), (None, "-1"), (None, "")],
)
async def test_malformed_headers_are_401(
    anonymous: httpx.AsyncClient, slack: str, signature: str | None, timestamp: str | None
) -> None:
    headers = signed(EVENT)
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    response = await anonymous.post(f"/api/v1/hooks/{slack}", content=EVENT, headers=headers)
    assert response.status_code == 401
