"""The Stripe mock answers like the Stripe API."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from interlink.core.clock import FrozenClock
from interlink.providers.stripe.mock_forms import decode_form
from interlink.testing import Fault, RunningMock, StripeMock, serve_mock

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
    pairs = [
        ("metadata[order]", "42"),
        ("items[1][price]", "p2"),
        ("items[0][price]", "p1"),
        ("expand[]", "a"),
        ("expand[]", "b"),
        ("name", "Jo"),
    ]
    assert decode_form(pairs) == {
        "metadata": {"order": "42"},
        "items": [{"price": "p1"}, {"price": "p2"}],
        "expand": ["a", "b"],
        "name": "Jo",
    }


async def test_create_and_get_a_customer(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    data = {"email": "jo@example.com", "name": "Jo", "metadata[plan]": "pro"}
    customer, response = await post(stripe, session, "/v1/customers", data)
    assert customer["id"].startswith("cus_")
    assert (customer["object"], customer["livemode"]) == ("customer", False)
    assert customer["created"] == 1748779200
    assert customer["metadata"] == {"plan": "pro"}
    assert response.headers["Request-Id"].startswith("req_")
    async with session.get(f"{stripe.url}/v1/customers/{customer['id']}", headers=AUTH) as r:
        assert await r.json() == customer


async def test_unknown_customer_is_resource_missing(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(stripe.url + "/v1/customers/cus_nope", headers=AUTH) as response:
        assert response.status == 404
        error = (await response.json())["error"]
    assert error == {
        "type": "invalid_request_error",
        "message": "No such customer: 'cus_nope'",
        "code": "resource_missing",
        "param": "id",
        "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
    }


async def test_basic_auth_with_the_key_as_user(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    basic = "Basic " + base64.b64encode(b"sk_test_mock_key:").decode()
    async with session.get(stripe.url + "/v1/balance", headers={"Authorization": basic}) as r:
        assert r.status == 200
        assert (await r.json())["object"] == "balance"


@pytest.mark.parametrize(
    ("headers", "start"),
    [
        ({}, "You did not provide an API key"),
        (
            AUTH | {"Authorization": "Bearer sk_test_wrong_key"},
            "Invalid API Key provided: sk_test_",
        ),
    ],
)
async def test_missing_or_wrong_key_is_401(
    stripe: RunningMock[StripeMock],
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    start: str,
) -> None:
    async with session.get(stripe.url + "/v1/balance", headers=headers) as response:
        assert response.status == 401
        error = (await response.json())["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(start)
    assert "wrong" not in error["message"]


async def test_pending_invoice_items_go_on_the_invoice(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    customer, _ = await post(stripe, session, "/v1/customers", {"email": "a@example.com"})
    for amount in ("1500", "2500"):
        item_data = {"customer": customer["id"], "amount": amount, "currency": "USD"}
        item, _ = await post(stripe, session, "/v1/invoiceitems", item_data)
        assert (item["object"], item["id"][:3], item["invoice"]) == ("invoiceitem", "ii_", None)
    invoice_data = {"customer": customer["id"], "pending_invoice_items_behavior": "include"}
    invoice, _ = await post(stripe, session, "/v1/invoices", invoice_data)
    assert invoice["id"].startswith("in_")
    assert (invoice["status"], invoice["amount_due"], invoice["currency"]) == ("draft", 4000, "usd")
    assert invoice["lines"]["total_count"] == 2
    empty, _ = await post(stripe, session, "/v1/invoices", {"customer": customer["id"]})
    assert empty["amount_due"] == 0


async def test_parameter_errors(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    body, _ = await post(stripe, session, "/v1/customers", {"nickname": "x"}, status=400)
    assert body["error"]["code"] == "parameter_unknown"
    assert body["error"]["param"] == "nickname"
    body, _ = await post(stripe, session, "/v1/payment_intents", {"currency": "usd"}, status=400)
    assert (body["error"]["code"], body["error"]["param"]) == ("parameter_missing", "amount")
    data = {"amount": "10", "currency": "usd"}
    body, _ = await post(stripe, session, "/v1/payment_intents", data, status=400)
    assert body["error"]["code"] == "amount_too_small"
    data = {"customer": "cus_nope", "amount": "100", "currency": "usd"}
    body, _ = await post(stripe, session, "/v1/invoiceitems", data, status=400)
    assert (body["error"]["code"], body["error"]["param"]) == ("resource_missing", "customer")


async def test_payment_intents_succeed_or_decline_and_move_the_balance(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    data = {
        "amount": "2000",
        "currency": "usd",
        "payment_method": "pm_card_visa",
        "confirm": "true",
    }
    intent, _ = await post(stripe, session, "/v1/payment_intents", data)
    assert intent["id"].startswith("pi_")
    assert intent["object"] == "payment_intent"
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 2000)
    declined = data | {"payment_method": "pm_card_chargeDeclined"}
    body, _ = await post(stripe, session, "/v1/payment_intents", declined, status=402)
    error = body["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error",
        "card_declined",
        "generic_decline",
    )
    assert error["payment_intent"]["status"] == "requires_payment_method"
    unconfirmed, _ = await post(
        stripe, session, "/v1/payment_intents", {"amount": "900", "currency": "usd"}
    )
    assert unconfirmed["status"] == "requires_payment_method"
    async with session.get(stripe.url + "/v1/balance", headers=AUTH) as response:
        balance = await response.json()
    assert balance["pending"][0] == {
        "amount": 2000,
        "currency": "usd",
        "source_types": {"card": 2000},
    }


async def test_idempotency_key_replays_the_first_answer(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    key = {"Idempotency-Key": "order-42"}
    first, response = await post(stripe, session, "/v1/customers", {"email": "a@x.io"}, headers=key)
    assert "Idempotent-Replayed" not in response.headers
    again, response = await post(stripe, session, "/v1/customers", {"email": "a@x.io"}, headers=key)
    assert again == first
    assert response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe.mock.customers) == 1
    other, _ = await post(
        stripe, session, "/v1/customers", {"email": "b@x.io"}, headers=key, status=400
    )
    assert other["error"]["type"] == "idempotency_error"
    assert "order-42" in other["error"]["message"]


async def test_a_request_refused_before_running_does_not_keep_its_key(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    key = {"Idempotency-Key": "retry-me"}
    await post(stripe, session, "/v1/payment_intents", {"currency": "usd"}, headers=key, status=400)
    data = {"amount": "500", "currency": "usd"}
    intent, _ = await post(stripe, session, "/v1/payment_intents", data, headers=key)
    assert intent["amount"] == 500


async def test_rate_limit_and_server_errors(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    stripe.mock.faults.add(Fault.rate_limited(retry_after=1))
    stripe.mock.faults.add(Fault.error(500))
    body, response = await post(stripe, session, "/v1/customers", {}, status=429)
    assert (body["error"]["type"], body["error"]["code"]) == ("invalid_request_error", "rate_limit")
    assert response.headers["Retry-After"] == "1"
    body, response = await post(stripe, session, "/v1/customers", {}, status=500)
    assert body["error"]["type"] == "api_error"
    assert response.headers["Stripe-Should-Retry"] == "true"
    assert stripe.mock.customers == {}


async def test_unrecognized_url(
    stripe: RunningMock[StripeMock], session: aiohttp.ClientSession
) -> None:
    async with session.get(stripe.url + "/v1/nope", headers=AUTH) as response:
        assert response.status == 404
        message = (await response.json())["error"]["message"]
    assert message.startswith("Unrecognized request URL (GET: /v1/nope)")
