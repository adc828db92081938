"""The Stripe mock takes Stripe's form, keys and idempotency keys, and refuses as Stripe does
(stripe-python against it: tests/providers/test_stripe_sdk.py)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.providers.stripe.mock_forms import decode_form
from interlink.testing import RunningMock, StripeMock, serve_mock

AUTH = {"Authorization": "Bearer sk_test_mock_key"}


@pytest.fixture
async def stripe(clock: FrozenClock) -> AsyncIterator[RunningMock[StripeMock]]:
    async with serve_mock(StripeMock(clock=clock)) as running:
        yield running


async def post(
    running: RunningMock[StripeMock],
    session: aiohttp.ClientSession,
    path: str,
    data: dict[str, str],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, Any], aiohttp.ClientResponse]:
    async with session.post(running.url + path, data=data, headers=AUTH | (headers or {})) as r:
        assert r.status == status, await r.text()
        body: dict[str, Any] = await r.json()
        return body, r


def test_bracket_form_decoding() -> None:
    pairs = [("metadata[order]", "42"), ("items[1][price]", "p2"), ("items[0][price]", "p1"),
             ("expand[]", "a"), ("expand[]", "b"), ("name", "Jo")]  # fmt: skip

    assert decode_form(pairs) == {
        "metadata": {"order": "42"},
        "items": [{"price": "p1"}, {"price": "p2"}],
        "expand": ["a", "b"],
        "name": "Jo",
    }


@pytest.mark.parametrize(
    ("authorization", "status", "said"),
    [
        ("Basic " + base64.b64encode(b"sk_test_mock_key:").decode(), 200, None),
        ("", 401, "You did not provide an API key"),
        ("Bearer sk_test_wrong_key", 401, "Invalid API Key provided: sk_test_*****_key"),
    ],
)
async def test_the_key_as_bearer_or_basic_user(
    stripe: RunningMock[StripeMock],
    session: aiohttp.ClientSession,
    authorization: str,
    status: int,
    said: str | None,
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with session.get(stripe.url + "/v1/balance", headers=headers) as response:
        assert response.status == status
        body = await response.json()
    assert body.get("error", {}).get("message", "").startswith(said or "")


async def test_pending_invoice_items_go_on_an_invoice_that_includes_them(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    customer, _ = await post(stripe, session, "/v1/customers", {"email": "a@example.com"})
    for amount in ("1500", "2500"):
        item = {"customer": customer["id"], "amount": amount, "currency": "USD"}
        await post(stripe, session, "/v1/invoiceitems", item)
    including = {"customer": customer["id"], "pending_invoice_items_behavior": "include"}

    invoice, _ = await post(stripe, session, "/v1/invoices", including)
    empty, _ = await post(stripe, session, "/v1/invoices", {"customer": customer["id"]})

    assert (invoice["amount_due"], invoice["currency"], invoice["lines"]["total_count"]) == (
        4000, "usd", 2
    )  # fmt: skip
    assert empty["amount_due"] == 0


@pytest.mark.parametrize(
    ("path", "data", "status", "code", "param"),
    [
        ("/v1/customers", {"nickname": "x"}, 400, "parameter_unknown", "nickname"),
        ("/v1/payment_intents", {"currency": "usd"}, 400, "parameter_missing", "amount"),
        ("/v1/payment_intents", {"amount": "10", "currency": "usd"}, 400, "amount_too_small",
         "amount"),
        ("/v1/invoiceitems", {"customer": "cus_nope", "amount": "1", "currency": "usd"}, 400,
         "resource_missing", "customer"),
        ("/v1/nope", {}, 404, None, None),
    ],
)  # fmt: skip
async def test_refusals(
    stripe: RunningMock[StripeMock],
    session: aiohttp.ClientSession,
    path: str,
    data: dict[str, str],
    status: int,
    code: str | None,
    param: str | None,
) -> None:
    body, _ = await post(stripe, session, path, data, status=status)

    assert (body["error"].get("code"), body["error"].get("param")) == (code, param)
    assert body["error"]["type"] == "invalid_request_error"


async def test_an_idempotency_key_is_for_one_request_once_it_ran(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    key = {"Idempotency-Key": "order-42"}
    await post(stripe, session, "/v1/payment_intents", {"currency": "usd"}, headers=key, status=400)
    data = {"amount": "500", "currency": "usd"}

    intent, _ = await post(stripe, session, "/v1/payment_intents", data, headers=key)
    again, replayed = await post(stripe, session, "/v1/payment_intents", data, headers=key)
    other, _ = await post(stripe, session, "/v1/customers", {}, headers=key, status=400)

    assert intent["amount"] == 500  # the refused request did not keep the key
    assert (again, replayed.headers["Idempotent-Replayed"]) == (intent, "true")
    assert other["error"]["type"] == "idempotency_error"
    assert "order-42" in other["error"]["message"]
