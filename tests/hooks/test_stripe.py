"""Stripe: `Stripe-Signature: t=...,v1=...` over "{t}.{body}", 300 s either way; the event id
de-duplicates."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import data
from tests.hooks.conftest import NOW, count_hooks, create_integration, flip_bit, provider_events

WHSEC = "whsec_test_0123456789abcdef"
BODY = json.dumps({"id": "evt_1", "type": "invoice.paid", "data": {"object": {}}}).encode()


def sign(body: bytes, t: int, secret: str = WHSEC) -> str:
    # As Stripe documents it: HMAC-SHA256 of "{t}.{payload}" with the endpoint's secret, hex.
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def header(body: bytes, t: int | None = None, *extra: str) -> dict[str, str]:
    t = int(NOW.timestamp()) if t is None else t
    return {"Stripe-Signature": ",".join([f"t={t}", *extra, f"v1={sign(body, t)}"])}


@pytest.fixture
async def stripe(client: httpx.AsyncClient) -> str:
    return await create_integration(
        client, "stripe", {"secret_key": "sk_test_abc", "webhook_secret": WHSEC}
    )


async def test_a_signed_event_is_published_once(
    app: FastAPI, client: httpx.AsyncClient, anonymous: httpx.AsyncClient, stripe: str
) -> None:
    for _ in range(2):
        response = await anonymous.post(
            f"/api/v1/hooks/{stripe}", content=BODY, headers=header(BODY)
        )
        assert response.status_code == 200, response.text
    assert data(response)["duplicate"] is True
    [event] = await provider_events(client, stripe)
    assert event["event"] == "provider.stripe.invoice.paid"
    assert event["data"]["delivery_id"] == "evt_1"
    assert await count_hooks(app) == 1


async def test_any_of_several_v1_signatures_may_match(
    anonymous: httpx.AsyncClient, stripe: str
) -> None:
    t = int(NOW.timestamp())
    stale = sign(BODY, t, secret="whsec_old")
    headers = {"Stripe-Signature": f"t={t},v1={stale},v1={sign(BODY, t)},v0=ignored"}
    response = await anonymous.post(f"/api/v1/hooks/{stripe}", content=BODY, headers=headers)
    assert response.status_code == 200


@pytest.mark.parametrize("offset", [-301, 301, -10_000_000, 10_000_000])
async def test_a_timestamp_outside_five_minutes_either_way_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, stripe: str, offset: int
) -> None:
    headers = header(BODY, int(NOW.timestamp()) + offset)
    response = await anonymous.post(f"/api/v1/hooks/{stripe}", content=BODY, headers=headers)
    assert response.status_code == 401
    assert await count_hooks(app) == 0


@pytest.mark.parametrize("offset", [-300, 300])
async def test_the_edges_of_the_window_pass(
    anonymous: httpx.AsyncClient, stripe: str, offset: int
) -> None:
    headers = header(BODY, int(NOW.timestamp()) + offset)
    response = await anonymous.post(f"/api/v1/hooks/{stripe}", content=BODY, headers=headers)
    assert response.status_code == 200


async def test_a_one_bit_change_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, stripe: str
) -> None:
    tampered = flip_bit(BODY, 5)
    response = await anonymous.post(
        f"/api/v1/hooks/{stripe}", content=tampered, headers=header(BODY)
    )
    assert response.status_code == 401
    assert await count_hooks(app) == 0


@pytest.mark.parametrize(
    "value",
    ["garbage", "v1,a,b", "t=1", "v1=00", "t=abc,v1=00", "t=1,t=2,v1=00", "t=,v1=", ",,,", "t=1 "],
)
async def test_a_malformed_header_is_401(
    app: FastAPI, anonymous: httpx.AsyncClient, stripe: str, value: str
) -> None:
    headers = {"Stripe-Signature": value}
    response = await anonymous.post(f"/api/v1/hooks/{stripe}", content=BODY, headers=headers)
    assert response.status_code == 401
    assert await count_hooks(app) == 0
