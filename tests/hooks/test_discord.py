"""Discord: Ed25519 over timestamp + body with the application's public key, the timestamp
within five minutes either way; PINGs; events received once."""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi import FastAPI

from tests.hooks.conftest import (
    NOW,
    count_hooks,
    create_integration,
    flip_bit,
    provider_events,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_HEX = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
COMMAND = json.dumps(
    {"id": "1234", "type": 2, "token": "tok", "data": {"name": "deploy"}, "version": 1}
).encode()
EVENT = json.dumps(
    {"version": 1, "application_id": "9", "type": 1,
     "event": {"type": "APPLICATION_AUTHORIZED", "timestamp": "2026-03-01T12:00:00Z", "data": {}}}
).encode()  # fmt: skip
STAMP = str(int(NOW.timestamp()))


def signed(body: bytes, timestamp: str = STAMP) -> dict[str, str]:
    signature = KEY.sign(timestamp.encode() + body).hex()
    return {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


@pytest.fixture
async def discord(client: httpx.AsyncClient) -> str:
    return await create_integration(
        client, "discord", {"bot_token": "bot"}, {"webhook": {"public_key": PUBLIC_HEX}}
    )


async def test_an_interaction_ping_is_answered_with_a_pong(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, discord: str
) -> None:
    body = json.dumps({"id": "1", "type": 1, "application_id": "9", "version": 1}).encode()
    response = await anonymous.post(f"/api/v1/hooks/{discord}", content=body, headers=signed(body))
    assert response.status_code == 200
    assert response.json() == {"type": 1}
    assert await count_hooks(app) == 0
    assert await provider_events(client, discord) == []


async def test_a_webhook_event_ping_is_answered_204(
    anonymous: httpx.AsyncClient, discord: str
) -> None:
    body = json.dumps({"version": 1, "application_id": "9", "type": 0}).encode()
    response = await anonymous.post(f"/api/v1/hooks/{discord}", content=body, headers=signed(body))
    assert response.status_code == 204
    assert response.content == b""


async def test_a_command_gets_a_deferred_answer_and_becomes_an_event_once(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, discord: str
) -> None:
    for _ in range(2):
        response = await anonymous.post(
            f"/api/v1/hooks/{discord}", content=COMMAND, headers=signed(COMMAND)
        )
        assert response.status_code == 200
        assert response.json() == {"type": 5}
    [event] = await provider_events(client, discord)
    assert event["event"] == "provider.discord.application_command"
    assert await count_hooks(app) == 1


async def test_a_webhook_event_is_named_by_its_type(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, discord: str
) -> None:
    body = json.dumps(
        {"version": 1, "application_id": "9", "type": 1,
         "event": {"type": "APPLICATION_AUTHORIZED", "data": {}}}
    ).encode()  # fmt: skip
    response = await anonymous.post(f"/api/v1/hooks/{discord}", content=body, headers=signed(body))
    assert response.status_code == 204
    [event] = await provider_events(client, discord)
    assert event["event"] == "provider.discord.application_authorized"


@pytest.mark.parametrize("change", ["body", "signature", "timestamp", "other_key"])
async def test_a_changed_request_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, discord: str, change: str
) -> None:
    body, headers = COMMAND, signed(COMMAND)
    if change == "body":
        body = flip_bit(COMMAND, 2)
    elif change == "signature":
        headers["X-Signature-Ed25519"] = flip_bit(
            bytes.fromhex(headers["X-Signature-Ed25519"])
        ).hex()
    elif change == "timestamp":
        headers["X-Signature-Timestamp"] = str(int(STAMP) + 1)
    else:
        other = Ed25519PrivateKey.generate()
        headers["X-Signature-Ed25519"] = other.sign(STAMP.encode() + body).hex()
    response = await anonymous.post(f"/api/v1/hooks/{discord}", content=body, headers=headers)
    assert response.status_code == 401
    assert await count_hooks(app) == 0


@pytest.mark.parametrize("value", ["", "zz", "00", "0" * 128, "0" * 129])
async def test_a_malformed_signature_is_401(
    anonymous: httpx.AsyncClient, discord: str, value: str
) -> None:
    headers = {**signed(COMMAND), "X-Signature-Ed25519": value}
    response = await anonymous.post(f"/api/v1/hooks/{discord}", content=COMMAND, headers=headers)
    assert response.status_code == 401


async def test_a_bad_public_key_in_the_configuration_is_401_not_500(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    broken = await create_integration(
        client, "discord", {"bot_token": "bot"}, {"webhook": {"public_key": "not hex"}}
    )
    response = await anonymous.post(
        f"/api/v1/hooks/{broken}", content=COMMAND, headers=signed(COMMAND)
    )
    assert response.status_code == 401


@pytest.mark.parametrize("offset", [-30 * 86400, -301, 301, 30 * 86400])
async def test_a_signature_older_or_newer_than_five_minutes_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, discord: str, offset: int
) -> None:
    for body in (EVENT, COMMAND):
        headers = signed(body, str(int(STAMP) + offset))
        response = await anonymous.post(f"/api/v1/hooks/{discord}", content=body, headers=headers)
        assert response.status_code == 401
    assert await count_hooks(app) == 0


@pytest.mark.parametrize("offset", [-300, 300])
async def test_a_signature_within_five_minutes_either_way_is_accepted(
    anonymous: httpx.AsyncClient, discord: str, offset: int
) -> None:
    headers = signed(EVENT, str(int(STAMP) + offset))
    response = await anonymous.post(f"/api/v1/hooks/{discord}", content=EVENT, headers=headers)
    assert response.status_code == 204


async def test_the_window_can_be_configured(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    webhook = {"public_key": PUBLIC_HEX, "tolerance_seconds": 60}
    narrow = await create_integration(client, "discord", {"bot_token": "b"}, {"webhook": webhook})
    url = f"/api/v1/hooks/{narrow}"
    late = await anonymous.post(url, content=EVENT, headers=signed(EVENT, str(int(STAMP) - 61)))
    assert late.status_code == 401
    ok = await anonymous.post(url, content=EVENT, headers=signed(EVENT, str(int(STAMP) - 60)))
    assert ok.status_code == 204


async def test_a_webhook_event_sent_again_becomes_one_event(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, discord: str
) -> None:
    # Discord gives webhook events no delivery id: the signed body is what is recognised.
    for stamp in (STAMP, STAMP, str(int(STAMP) + 5)):
        response = await anonymous.post(
            f"/api/v1/hooks/{discord}", content=EVENT, headers=signed(EVENT, stamp)
        )
        assert response.status_code == 204
    assert len(await provider_events(client, discord)) == 1
    assert await count_hooks(app) == 1
